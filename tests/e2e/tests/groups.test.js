// Map-driven order and groups, words that fit the thing, and the relay logbook (docs/web-page.md,
// "Order and groups", "Words and icons", "Logbook"), on the demo map: its switches are in group
// Controls (order 1..4), its climate sensors in group Climate, its consoles in no group.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { baseUrl, launchBrowser, openPage, OUTPUT_DIR, relaySwitch, startDaemon, waitLive } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const onFirstScreen = (page, ids) => page.evaluate((ids) => ids.map((id) => {
  const r = document.querySelector(`[data-relay="${id}"] [role="switch"]`).getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
}), ids);

const dashboardOrder = (page) => page.evaluate(() => [...document.querySelectorAll('#dashboard section:not([hidden])')]
  .map((s) => ({
    title: s.dataset.group || s.id,
    cards: [...s.querySelectorAll('.card')].map((c) => c.dataset.relay || c.dataset.sensor || c.dataset.console),
  })));

test('cards and rows: groups in the map\'s order, titled, ungrouped channels last; on a phone the chosen switches come first', async () => {
  const page = await openPage(browser, baseUrl(), { viewport: { width: 390, height: 844 } });
  await waitLive(page);
  await page.waitForFunction(() => document.querySelectorAll('.group').length === 2);
  const expected = [
    { title: 'Controls', cards: ['pump', 'fan', 'heater', 'flaky', 'door'] },
    { title: 'Climate', cards: ['temperature', 'humidity', 'pressure'] },
    { title: 'consoles', cards: ['console', 'status'] },
  ];
  assert.deepEqual(await dashboardOrder(page), expected);
  assert.deepEqual(await page.locator('.group h2').allTextContents(), ['Controls', 'Climate']);
  // Kind sections with every channel in a group are not shown.
  assert.equal(await page.locator('#sensors').isHidden(), true);
  assert.equal(await page.locator('#relays').isHidden(), true);
  // Cards view on a 390x844 phone: the first switches of the map's order are on the first screen.
  assert.deepEqual(await onFirstScreen(page, ['pump', 'fan', 'heater']), [true, true, true]);
  // The door is `compact`: a one-line row even among cards, without a trend.
  const door = await page.locator('[data-sensor="door"]').boundingBox();
  assert.ok(door.height < 90, `compact door is one line (${door.height} px)`);
  assert.equal(await page.locator('[data-sensor="door"] .trend-wrap').isVisible(), false);
  assert.equal(await page.locator('[data-sensor="temperature"] .trend-wrap').isVisible(), true);
  await page.screenshot({ path: join(OUTPUT_DIR, 'phone-groups.png') }); // for docs/web-page.md
  // Rows: the same groups and order, every switch on the first screen.
  await page.locator('#layout-rows').click();
  assert.deepEqual(await dashboardOrder(page), expected);
  assert.deepEqual(await onFirstScreen(page, ['pump', 'fan', 'heater', 'flaky']), [true, true, true, true]);
  await page.locator('#layout-cards').click();
  page.hwb.check();
  await page.hwb.context.close();
});

test('a boolean sensor and relays say their words and show their class\'s icon', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  // The demo door toggles every 7 s: both of its words appear, never On/Off.
  const seen = new Set();
  await page.waitForFunction(() => /^(Open|Closed)$/.test(document.querySelector('[data-sensor="door"] .value').textContent));
  seen.add(await page.locator('[data-sensor="door"] .value').textContent());
  await page.waitForFunction((before) => {
    const text = document.querySelector('[data-sensor="door"] .value').textContent;
    return text !== before && /^(Open|Closed)$/.test(text);
  }, [...seen][0], { timeout: 20000 });
  seen.add(await page.locator('[data-sensor="door"] .value').textContent());
  assert.deepEqual([...seen].sort(), ['Closed', 'Open']);
  assert.equal(await page.locator('[data-sensor="door"] .card-title').textContent(), 'Door');
  assert.equal(await page.locator('[data-sensor="door"] .thing-icon').getAttribute('data-class'), 'door');
  // Relays: the confirmed state in the class's words (pump: running; heater: heat).
  await page.waitForFunction(() => ['pump', 'heater', 'flaky'].every((id) =>
    document.querySelector(`[data-relay="${id}"]`)?.dataset.state !== 'unknown'));
  const word = (id) => page.locator(`[data-relay="${id}"] .relay-state`).textContent();
  const state = (id) => page.locator(`[data-relay="${id}"]`).getAttribute('data-state');
  assert.equal(await word('pump'), (await state('pump')) === 'on' ? 'Running' : 'Stopped');
  assert.equal(await word('heater'), (await state('heater')) === 'on' ? 'Heating' : 'Off');
  assert.equal(await word('flaky'), (await state('flaky')) === 'on' ? 'Open' : 'Closed');
  assert.equal(await page.locator('[data-relay="heater"] .thing-icon').getAttribute('data-class'), 'heat');
  // Consoles are not affected: no words, no icon.
  assert.equal(await page.locator('[data-console] .thing-icon').count(), 0);
  page.hwb.check();
  await page.hwb.context.close();
});

test('the relay logbook comes from the bridge, grows live, says who, and survives a reload', async () => {
  // A daemon of its own: the shared one's relays are switched by other test files meanwhile.
  const daemon = await startDaemon({ name: 'groups-logbook' });
  try {
    const page = await openPage(browser, daemon.url);
    await waitLive(page);
    const entries = () => page.locator('[data-relay="fan"] .relay-log-entry').allTextContents();
    const log = () => page.evaluate(() => window.hwbridge.panels.relay.cards.get('fan').log.map((e) => [e.time, e.state, e.cause]));
    assert.deepEqual((await log()).map(([, state, cause]) => [state, cause]), [['off', 'startup']], 'the hello brought the start-up entry');
    // Switch the fan twice from this page.
    for (let i = 0; i < 2; i++) {
      const was = await relaySwitch(page, 'fan').getAttribute('aria-checked');
      await relaySwitch(page, 'fan').click();
      await page.waitForFunction((was) => {
        const s = document.querySelector('[data-relay="fan"] [role="switch"]');
        return s.getAttribute('aria-checked') !== was && s.getAttribute('aria-busy') === 'false';
      }, was);
    }
    await page.locator('[data-relay="fan"] .relay-log-title').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-relay="fan"] .relay-log-entry').length === 3);
    const live = await entries();
    // Newest first, in the relay's words, by whom.
    assert.match(live[0], /^\d\d:\d\d:\d\d Off by this page$/, live[0]);
    assert.match(live[1], /^\d\d:\d\d:\d\d On by this page$/, live[1]);
    assert.match(live[2], /^\d\d:\d\d:\d\d Off at start-up$/, live[2]);
    assert.equal(await page.locator('[data-relay="fan"] .relay-log-count').textContent(), '3 recent changes');
    const liveLog = await log();
    // After a reload the bridge's logbook has the same changes (same times from the bridge); this
    // is another connection now, so the entries name the old one.
    const oldClient = await page.evaluate(() => window.hwbridge.connections.relay.hello.client);
    await page.reload();
    await waitLive(page);
    assert.deepEqual(await log(), liveLog);
    await page.locator('[data-relay="fan"] .relay-log-title').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-relay="fan"] .relay-log-entry').length === 3);
    const reloaded = await entries();
    assert.match(reloaded[0], new RegExp(`^\\d\\d:\\d\\d:\\d\\d Off by ${oldClient}$`), reloaded[0]);
    page.hwb.check();
    await page.hwb.context.close();
  } finally {
    await daemon.stop();
  }
});

test('applying a map that changes only ui rearranges open pages and restarts nothing', async () => {
  const daemon = await startDaemon({ name: 'groups-apply' });
  try {
    const page = await openPage(browser, daemon.url);
    await waitLive(page);
    await relaySwitch(page, 'fan').click();
    await page.waitForFunction(() => document.querySelector('[data-relay="fan"] [role="switch"]').getAttribute('aria-checked') === 'true');
    const map = await (await fetch(`${daemon.url}/api/map`)).json();
    const from = '    ui: {group: Controls, order: 2}\n';
    assert.ok(map.text.includes(from), 'the demo map gives the fan its ui block');
    const text = map.text.replace(from, '    ui: {group: Air, order: 0}\n');
    const answer = await (await fetch(`${daemon.url}/api/map/apply`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text, version: map.version }),
    })).json();
    assert.deepEqual(answer.summary, ['relay fan: ui changed']);
    // The new hello moves the fan into its own group, first (order 0 before the Controls' 1).
    await page.waitForFunction(() => document.querySelector('.group')?.dataset.group === 'Air');
    assert.deepEqual(await page.locator('.group[data-group="Air"] [data-relay]').evaluateAll((n) => n.map((e) => e.dataset.relay)), ['fan']);
    assert.equal(await page.locator('.group[data-group="Controls"] [data-relay="fan"]').count(), 0);
    // Still on, and its logbook still has the switch (the relay was not recreated).
    assert.equal(await relaySwitch(page, 'fan').getAttribute('aria-checked'), 'true');
    assert.deepEqual(await page.evaluate(() => window.hwbridge.panels.relay.cards.get('fan').log.map((e) => e.state)), ['off', 'on']);
    page.hwb.check();
    await page.hwb.context.close();
  } finally {
    await daemon.stop();
  }
});
