// The compact row view (docs/web-page.md, "Rows"): one line per channel with the relays first, so
// that on a phone (390x844) every relay switch is on the first screen; the choice is remembered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { baseUrl, launchBrowser, openPage, OUTPUT_DIR, relaySwitch, waitLive } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const switchesOnFirstScreen = (page) => page.evaluate(() => [...document.querySelectorAll('[data-relay] [role="switch"]')]
  .map((s) => s.getBoundingClientRect()).every((r) => r.height > 0 && r.bottom <= window.innerHeight));

test('phone 390x844: in rows every relay switch is on the first screen, switches usable, and the choice stays', async () => {
  const page = await openPage(browser, baseUrl(), { viewport: { width: 390, height: 844 } });
  await waitLive(page);
  // The demo map groups its switches first (ui: group Controls, order 1..4; groups.test.js), so
  // even the cards have them on the first screen; without that they were below four sensor cards.
  assert.equal(await switchesOnFirstScreen(page), true, 'cards: the Controls group comes first');
  await page.locator('#layout-rows').click();
  assert.equal(await page.locator('#layout-rows').getAttribute('aria-pressed'), 'true');
  assert.equal(await switchesOnFirstScreen(page), true, 'rows: every switch on the first screen');
  // Every sensor still shows its value and label, in one row without its trend.
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-sensor="temperature"] .value').textContent));
  assert.equal(await page.locator('[data-sensor="temperature"] .trend-wrap').isVisible(), false);
  assert.equal(await page.locator('[data-sensor="temperature"] .card-title').isVisible(), true);
  const row = await page.locator('[data-sensor="temperature"]').boundingBox();
  assert.ok(row.height < 90, `a sensor row is one line (${row.height} px)`);
  await page.screenshot({ path: join(OUTPUT_DIR, 'phone-rows.png') }); // for docs/web-page.md
  // Switches stay finger-sized.
  const box = await relaySwitch(page, 'fan').boundingBox();
  assert.ok(box.width >= 44 && box.height >= 44, JSON.stringify(box));
  // Usable (this daemon is shared with tests that switch relays: not switched here).
  assert.equal(await relaySwitch(page, 'fan').getAttribute('aria-disabled'), 'false');
  const hit = await page.evaluate(() => {
    const r = document.querySelector('[data-relay="fan"] [role="switch"]').getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)?.closest('[role="switch"]') != null;
  });
  assert.ok(hit, 'nothing covers the switch');
  // Remembered by this browser.
  await page.reload();
  await waitLive(page);
  assert.equal(await page.locator('#dashboard').getAttribute('data-layout'), 'rows');
  assert.equal(await switchesOnFirstScreen(page), true);
  await page.locator('#layout-cards').click();
  await page.waitForFunction(() => document.querySelector('[data-sensor="temperature"] .trend-wrap').getClientRects().length > 0);
  page.hwb.check();
  await page.hwb.context.close();
});
