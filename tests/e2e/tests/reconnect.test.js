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
    await page.waitForFunction(() => document.getElementById('conn').dataset.state === 'down', null, { timeout: 5000 });
    assert.match(await page.locator('#conn-label').textContent(), /Disconnected|Reconnecting|Connecting/);
    assert.equal(await page.locator('#relays').getAttribute('class'), 'panel stale');
    assert.equal(await relaySwitch(page, 'flaky').getAttribute('aria-disabled'), 'true', 'no controls while disconnected');
    assert.equal(await checked(page, 'flaky'), 'true', 'last known state kept while disconnected');

    daemon = await startDaemon({ name: 'reconnect', listen: `127.0.0.1:${port}` });
    assert.equal(daemon.port, port);
    await waitLive(page, 15000);
    await waitChecked(page, 'pump', 'false');
    await waitChecked(page, 'flaky', 'false');
    assert.equal(await relaySwitch(page, 'flaky').getAttribute('aria-disabled'), 'false');
    assert.ok(await page.evaluate(() => Object.values(window.hwbridge.connections)
      .every((c, i) => c.hello && c.hello !== window.__oldHellos[i])), 'every socket got a new hello');
    // Rebuilt in place: one card per channel, the console's scrollback is the new daemon's history.
    assert.equal(await page.locator('[data-sensor]').count(), 4);
    assert.equal(await page.locator('[data-relay]').count(), 4);
    assert.equal(await page.locator('[data-console]').count(), 2);
    assert.equal(await page.locator('[data-console="console"] .console-text', { hasText: 'before restart' }).count(), 0);
    assert.equal(await page.locator('#relays').getAttribute('class'), 'panel');
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
