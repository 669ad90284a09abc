// Relay switches show the confirmed state, a pending state, errors, and changes by others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, launchBrowser, openPage, relaySwitch, startDaemon, waitLive } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const checked = (page, id) => relaySwitch(page, id).getAttribute('aria-checked');
const waitChecked = (page, id, value, timeout = 5000) => page.waitForFunction(([id, value]) => {
  const s = document.querySelector(`[data-relay="${id}"] [role="switch"]`);
  return s.getAttribute('aria-checked') === value && s.getAttribute('aria-busy') === 'false';
}, [id, value], { timeout });

test('toggling a relay in one browser context updates a second one, with who changed it', async () => {
  const a = await openPage(browser, baseUrl());
  const b = await openPage(browser, baseUrl());
  await Promise.all([waitLive(a), waitLive(b)]);
  const start = await checked(a, 'pump');
  assert.equal(await checked(b, 'pump'), start);
  const target = start === 'true' ? 'false' : 'true';

  await relaySwitch(a, 'pump').click();
  await waitChecked(a, 'pump', target);
  await waitChecked(b, 'pump', target);
  const clientA = await a.evaluate(() => window.hwbridge.connections.relay.hello.client);
  assert.match(await b.locator('[data-relay="pump"] .relay-cause').textContent(), new RegExp(`^by ${clientA} ·`));
  // Without authentication a change is credited to the connection; the page that made it says so.
  assert.match(await a.locator('[data-relay="pump"] .relay-cause').textContent(), /^by this page ·/);

  // Keyboard: Space on the focused switch switches it back, seen by both.
  await relaySwitch(b, 'pump').focus();
  await b.keyboard.press('Space');
  await waitChecked(b, 'pump', start);
  await waitChecked(a, 'pump', start);
  a.hwb.check();
  b.hwb.check();
  await a.hwb.context.close();
  await b.hwb.context.close();
});

test('a switch is pending (busy, not re-clickable) until the bridge confirms', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  const start = await checked(page, 'heater'); // heater has latency: 150ms
  const target = start === 'true' ? 'false' : 'true';
  // In the page: record the switch's attributes as they change and what the page sends, then
  // click twice in a row — the second click lands while the first request is pending.
  await page.evaluate(() => {
    const ws = window.hwbridge.connections.relay.socket;
    window.__sent = [];
    const original = ws.send.bind(ws);
    ws.send = (data) => { window.__sent.push(JSON.parse(data)); original(data); };
    const sw = document.querySelector('[data-relay="heater"] [role="switch"]');
    window.__seen = [];
    new MutationObserver(() => window.__seen.push(
      `${sw.getAttribute('aria-busy')}/${sw.getAttribute('aria-checked')}`)).observe(sw, { attributes: true });
    sw.click();
    window.__seen.push(`after click: ${sw.getAttribute('aria-busy')}/${sw.getAttribute('aria-checked')}`);
    sw.click();
  });
  await waitChecked(page, 'heater', target);
  const { sent, seen } = await page.evaluate(() => ({ sent: window.__sent, seen: window.__seen }));
  assert.equal(seen[0], `after click: true/${start}`, `pending at once, confirmed state kept: ${seen}`);
  assert.equal(sent.length, 1, `one request only: ${JSON.stringify(sent)}`);
  assert.equal(sent[0].type, 'set');
  assert.equal(sent[0].state, target === 'true' ? 'on' : 'off');
  // The demo heater has `device_class: heat`: Heating / Off.
  assert.equal(await page.locator('[data-relay="heater"] .relay-state').textContent(), target === 'true' ? 'Heating' : 'Off');
  // Back to how it was, for the other tests.
  await relaySwitch(page, 'heater').click();
  await waitChecked(page, 'heater', start);
  page.hwb.check();
  await page.hwb.context.close();
});

test('the flaky relay shows the hardware error of its 3rd write and returns to the confirmed state', async () => {
  const daemon = await startDaemon({ name: 'flaky' }); // fresh: the write count starts at 0
  try {
    const page = await openPage(browser, daemon.url);
    await waitLive(page);
    assert.equal(await checked(page, 'flaky'), 'false');
    await relaySwitch(page, 'flaky').click(); // write 1: on
    await waitChecked(page, 'flaky', 'true');
    await relaySwitch(page, 'flaky').click(); // write 2: off
    await waitChecked(page, 'flaky', 'false');
    await relaySwitch(page, 'flaky').click(); // write 3: fails
    const error = page.locator('[data-relay="flaky"] .relay-error');
    await error.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await error.textContent(), /^hardware: .*fail_every: 3/);
    await waitChecked(page, 'flaky', 'false');
    assert.equal(await page.locator('[data-relay="flaky"] .relay-state').textContent(), 'Closed'); // device_class: valve
    // The next write works again and clears the error.
    await relaySwitch(page, 'flaky').click(); // write 4: on
    await waitChecked(page, 'flaky', 'true');
    assert.equal(await error.isHidden(), true);
    page.hwb.check();
    await page.hwb.context.close();
  } finally {
    await daemon.stop();
  }
});

test('a pulse shows its auto-off countdown and policies from the map are listed', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  assert.match(await page.locator('[data-relay="heater"] .relay-policy').textContent(), /max on 30 min/);
  await waitChecked(page, 'fan', 'false');
  await page.locator('[data-relay="fan"] button.pulse').click();
  await waitChecked(page, 'fan', 'true');
  assert.match(await page.locator('[data-relay="fan"] .relay-timer').textContent(), /^auto-off in 1 s$/);
  await waitChecked(page, 'fan', 'false');
  assert.match(await page.locator('[data-relay="fan"] .relay-cause').textContent(), /^pulse ended/);
  assert.equal(await page.locator('[data-relay="fan"] .relay-timer').isHidden(), true);
  page.hwb.check();
  await page.hwb.context.close();
});
