// Stopping and restarting the daemon on the same port: the page notices, reconnects with backoff
// and shows the new daemon's state from its hello, without duplicating anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openPage, relaySwitch, startDaemon, waitLive } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const waitChecked = (page, id, value, timeout = 5000) => page.waitForFunction(([id, value]) => {
  const s = document.querySelector(`[data-relay="${id}"] [role="switch"]`);
  return s.getAttribute('aria-checked') === value && s.getAttribute('aria-busy') === 'false';
}, [id, value], { timeout });

test('after a daemon restart the page reconnects and shows the restarted relays as off', async () => {
  let daemon = await startDaemon({ name: 'reconnect' });
  const port = daemon.port;
  try {
    // While the daemon is down the browser logs failed WebSocket connections; those are expected.
    const page = await openPage(browser, daemon.url, { allowConsoleErrors: /WebSocket connection to .* failed/ });
    await waitLive(page);
    await page.evaluate(() => { window.__oldHellos = Object.values(window.hwbridge.connections).map((c) => c.hello); });

    // pump has safe_state off (switched off on shutdown); flaky has none, so it stays on until the
    // new daemon's hello says otherwise.
    await relaySwitch(page, 'pump').click();
    await waitChecked(page, 'pump', 'true');
    await relaySwitch(page, 'flaky').click();
    await waitChecked(page, 'flaky', 'true');
    await page.locator('[data-console="console"] .console-input').fill('before restart');
    await page.locator('[data-console="console"] .console-input').press('Enter');
    await page.locator('[data-console="console"] .console-text', { hasText: 'echo: before restart' }).waitFor();

    const stopped = await daemon.stop();
    assert.equal(stopped.code, 0, `daemon exit ${JSON.stringify(stopped)}`);
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'down', null, { timeout: 30000 });
    assert.match(await page.locator('#conn-label').textContent(), /Disconnected|Reconnecting|Connecting/);
    assert.equal(await page.locator('#relays').getAttribute('class'), 'panel stale');
    assert.equal(await relaySwitch(page, 'flaky').getAttribute('aria-disabled'), 'true', 'no controls while disconnected');
    assert.equal(await checked(page, 'flaky'), 'true', 'last known state kept while disconnected');

    daemon = await startDaemon({ name: 'reconnect', listen: `127.0.0.1:${port}` });
    assert.equal(daemon.port, port);
    await waitLive(page, 30000);
    await waitChecked(page, 'pump', 'false');
    await waitChecked(page, 'flaky', 'false');
    // Controls come back with the relay connection's hello (the three sockets reconnect one by one).
    await page.waitForFunction(() => document.querySelector('[data-relay="flaky"] [role="switch"]')
      .getAttribute('aria-disabled') === 'false', null, { timeout: 10000 });
    assert.ok(await page.evaluate(() => Object.values(window.hwbridge.connections)
      .every((c, i) => c.hello && c.hello !== window.__oldHellos[i])), 'every socket got a new hello');
    // Rebuilt in place: one card per channel, the console's scrollback is the new daemon's history.
    assert.equal(await page.locator('[data-sensor]').count(), 4);
    assert.equal(await page.locator('[data-relay]').count(), 4);
    assert.equal(await page.locator('[data-console]').count(), 2);
    assert.equal(await page.locator('[data-console="console"] .console-text', { hasText: 'before restart' }).count(), 0);
    await page.waitForFunction(() => document.getElementById('relays').className === 'panel', null, { timeout: 10000 });
    // The relay works on the new daemon.
    await relaySwitch(page, 'pump').click();
    await waitChecked(page, 'pump', 'true');
    page.hwb.check();
    await page.hwb.context.close();
  } finally {
    await daemon.stop();
  }
});

const checked = (page, id) => relaySwitch(page, id).getAttribute('aria-checked');

// Segments of the trend of sensor `id` that hold at least two points.
const drawnStretches = (page, id) => page.evaluate((id) =>
  [...document.querySelectorAll(`[data-sensor="${id}"] .trend-line`)]
    .filter((line) => (line.getAttribute('points') || '').trim().split(/\s+/).length >= 2).length, id);

test('a bridge outage breaks every trend line, and the cards say the bridge is not connected', async () => {
  let daemon = await startDaemon({ name: 'outage' });
  const port = daemon.port;
  const sensors = ['temperature', 'humidity', 'pressure', 'door'];
  try {
    const page = await openPage(browser, daemon.url, { allowConsoleErrors: /WebSocket connection to .* failed/ });
    await waitLive(page);
    // Every trend has a stretch before the outage.
    await page.waitForFunction((ids) => ids.every((id) => window.hwbridge.panels.sensor.cards.get(id).series.length >= 3), sensors);
    await page.waitForFunction(() => /just now/.test(document.querySelector('[data-sensor="temperature"] .updated').textContent));
    const lastBefore = await page.evaluate(() => window.hwbridge.panels.sensor.cards.get('temperature').series.lastTime);

    await daemon.stop();
    // Every reading before the outage is at or before this (the end marker, if already there, too).
    const stoppedAt = await page.evaluate((ids) => Object.fromEntries(ids.map((id) =>
      [id, window.hwbridge.panels.sensor.cards.get(id).series.lastTime])), sensors);
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'down');
    // The freshness line no longer claims a recent update.
    await page.waitForFunction((ids) => ids.every((id) =>
      /bridge not connected/.test(document.querySelector(`[data-sensor="${id}"] .updated`).textContent)), sensors);
    assert.equal(await page.locator('.card.sensor .updated', { hasText: 'just now' }).count(), 0);

    daemon = await startDaemon({ name: 'outage', listen: `127.0.0.1:${port}` });
    await waitLive(page, 30000);
    // New readings after the outage ...
    await page.waitForFunction(([ids, t]) => ids.every((id) => {
      const series = window.hwbridge.panels.sensor.cards.get(id).series;
      return series.lastTime > t && series.length >= 3;
    }), [sensors, lastBefore]);
    await page.waitForFunction(() => /updated/.test(document.querySelector('[data-sensor="temperature"] .updated').textContent));
    // ... drawn as a new stretch: no segment joins the last reading before the outage to the first after.
    for (const id of sensors) {
      // Between the last reading before the daemon stopped and the first of the new one: a gap.
      const gap = await page.evaluate(([id, t]) => {
        const s = window.hwbridge.panels.sensor.cards.get(id).series;
        let gapSinceReading = false;
        for (let k = 0; k < s.length; k += 1) {
          const at = (s.start + k) % s.times.length;
          if (Number.isNaN(s.values[at])) gapSinceReading = true;
          else if (s.times[at] > t) return gapSinceReading;
          else gapSinceReading = false;
        }
        return false;
      }, [id, stoppedAt[id]]);
      assert.ok(gap, `${id}: the series marks the outage after its last reading before it`);
    }
    await page.waitForFunction((ids) => ids.every((id) =>
      [...document.querySelectorAll(`[data-sensor="${id}"] .trend-line`)]
        .filter((line) => (line.getAttribute('points') || '').trim().split(/\s+/).length >= 2).length >= 2), sensors,
    { timeout: 15000 }).catch(() => {});
    for (const id of sensors) assert.ok(await drawnStretches(page, id) >= 2, `${id}: the trend is broken at the outage`);
    page.hwb.check();
    await page.hwb.context.close();
  } finally {
    await daemon.stop();
  }
});

test('while the bridge is away the page shows one countdown that only counts down, never above 2 s, and reconnects', async () => {
  let daemon = await startDaemon({ name: 'countdown' });
  const port = daemon.port;
  try {
    const page = await openPage(browser, daemon.url, { allowConsoleErrors: /WebSocket connection to .* failed/ });
    await waitLive(page);
    // Every text the indicator shows, as it changes.
    await page.evaluate(() => {
      window.__labels = [];
      const label = document.getElementById('conn-label');
      new MutationObserver(() => window.__labels.push(label.textContent)).observe(label, { childList: true, characterData: true, subtree: true });
    });
    await daemon.stop();
    // Four tries while the bridge is away (each a change to "Reconnecting…" or "Connecting…").
    // Or, on a page whose countdown jumps, until it went up once (the assertions below say so).
    await page.waitForFunction(() => {
      const all = window.__labels;
      const tries = all.filter((t, i) => !/retry in/.test(t) && /retry in/.test(all[i - 1] || '')).length;
      const n = all.map((t) => Number((t.match(/retry in (\d+) s/) || [])[1]));
      const wentUp = n.some((v, i) => i > 0 && v > n[i - 1]);
      return tries >= 4 || wentUp;
    }, null, { timeout: 30000 });
    const labels = await page.evaluate(() => window.__labels);
    const seconds = [];
    let run = [];
    for (const text of labels) {
      const m = text.match(/retry in (\d+) s/);
      if (m) run.push(Number(m[1]));
      else if (run.length) { seconds.push(run); run = []; }
    }
    if (run.length) seconds.push(run);
    for (const countdown of seconds) {
      assert.ok(countdown.every((s, i) => i === 0 || s <= countdown[i - 1]), `counts down only: ${countdown} (${JSON.stringify(labels)})`);
      assert.ok(countdown.every((s) => s <= 2), `the next try is at most 2 s away: ${countdown}`);
    }
    daemon = await startDaemon({ name: 'countdown', listen: `127.0.0.1:${port}` });
    await waitLive(page, 30000);
    page.hwb.check();
    await page.hwb.context.close();
  } finally {
    await daemon.stop();
  }
});
