// Layout on a laptop and a 360 px phone, with the reference screenshots for docs/web-page.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { baseUrl, launchBrowser, openPage, OUTPUT_DIR, waitLive } from './helpers.js';

let browser;
after(async () => { await browser?.close(); });

// Both pages are opened together and given some data (about 12 s of the temperature trend and
// an echo in the console) so the screenshots show a page in use.
let desktop;
let phone;
before(async () => {
  browser = await launchBrowser();
  [desktop, phone] = await Promise.all([
    openPage(browser, baseUrl(), { viewport: { width: 1280, height: 800 } }),
    openPage(browser, baseUrl(), { viewport: { width: 360, height: 740 } }),
  ]);
  await Promise.all([settle(desktop), settle(phone)]);
});

async function settle(page) {
  await waitLive(page);
  const input = page.locator('[data-console="console"] .console-input');
  await input.fill('status');
  await input.press('Enter');
  await page.locator('[data-console="console"] .console-text', { hasText: 'echo: status' }).first().waitFor();
  // Typing scrolled the phone to the console; charts off screen are not drawn, so go back up.
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.waitForFunction(() => {
    const line = document.querySelector('[data-sensor="temperature"] .trend-line');
    return (line?.getAttribute('points') || '').split(' ').length >= 48;
  }, null, { timeout: 30000 });
}

test('desktop 1280x800: cards in columns, screenshot', async () => {
  const page = desktop;
  const widths = await page.locator('[data-sensor]').evaluateAll((n) => n.map((e) => e.getBoundingClientRect().width));
  assert.ok(widths.every((w) => w < 640), `sensor cards side by side: ${widths}`);
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 1280));
  await page.screenshot({ path: join(OUTPUT_DIR, 'desktop.png') });
  page.hwb.check();
  await page.hwb.context.close();
});

test('phone 360x740: no horizontal overflow, controls usable, screenshot', async () => {
  const page = phone;
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= 360, `scrollWidth ${width} > 360`);
  // Nothing sticks out of the viewport on the right.
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > 360.5 && e.getClientRects().length)
    .map((e) => e.className || e.tagName).slice(0, 5));
  assert.deepEqual(wide, []);
  // The switches are big enough to hit with a finger.
  const box = await page.locator('[data-relay="pump"] [role="switch"]').boundingBox();
  assert.ok(box.width >= 44 && box.height >= 24, JSON.stringify(box));
  await page.screenshot({ path: join(OUTPUT_DIR, 'phone.png') });
  page.hwb.check();
  await page.hwb.context.close();
});

test('dark mode renders with the dark palette', async () => {
  const page = await openPage(browser, baseUrl(), { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
  await waitLive(page);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(13, 17, 23)');
  page.hwb.check();
  await page.hwb.context.close();
});
