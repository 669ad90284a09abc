// A phone (390x844, touch): every control can be hit with a finger (at least 44x44 px), text
// fields use 16 px type (phones zoom into smaller ones on focus), and the editor's keyboard hint
// (Tab, Escape) is replaced by buttons that work without a keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { baseUrl, launchBrowser, openPage, OUTPUT_DIR, waitLive } from './helpers.js';

const PHONE = { viewport: { width: 390, height: 844 } };
let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function openPhone(path = '') {
  const page = await openPage(browser, `${baseUrl()}/${path}`, PHONE);
  return page;
}

// Visible controls smaller than 44x44 px, as "what (w x h)".
const smallTargets = (page) => page.evaluate(() => {
  const controls = document.querySelectorAll('button, [role="switch"], input, textarea, select, a[href]');
  const small = [];
  for (const c of controls) {
    if (c.classList.contains('skip-link') || !c.getClientRects().length) continue;
    const style = getComputedStyle(c);
    if (style.visibility === 'hidden') continue;
    const r = c.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) {
      const name = c.id || c.getAttribute('aria-label') || c.textContent.trim().slice(0, 20) || c.className;
      small.push(`${c.tagName.toLowerCase()} ${name} (${Math.round(r.width)}x${Math.round(r.height)})`);
    }
  }
  return small;
});

// Visible text fields with a font below 16 px.
const smallText = (page) => page.evaluate(() => [...document.querySelectorAll('input, textarea')]
  .filter((e) => e.getClientRects().length && parseFloat(getComputedStyle(e).fontSize) < 16)
  .map((e) => `${e.id || e.className} (${getComputedStyle(e).fontSize})`));

async function newContextWithTouch(path) {
  const context = await browser.newContext({ ...PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${baseUrl()}/${path}`);
  return { context, page };
}

test('phone 390x844: every control of the dashboard is at least 44x44 px and text fields use 16 px', async () => {
  const page = await openPhone();
  await waitLive(page);
  await page.locator('[data-console="console"] .console-input').waitFor();
  assert.deepEqual(await smallTargets(page), []);
  assert.deepEqual(await smallText(page), []);
  const box = await page.locator('[data-relay="pump"] [role="switch"]').boundingBox();
  console.log(`switch ${box.width}x${box.height}`);
  await page.screenshot({ path: join(OUTPUT_DIR, 'phone-390.png'), fullPage: false });
  page.hwb.check();
  await page.hwb.context.close();
});

test('phone 390x844: the editor has finger-sized controls, no Tab/Escape hint, and Indent/Outdent buttons that work', async () => {
  const page = await openPhone('#map');
  await page.waitForFunction(() => document.getElementById('map-text').value.length > 0);
  assert.deepEqual(await smallTargets(page), []);
  assert.deepEqual(await smallText(page), []);
  assert.equal(await page.locator('#map-keys').isVisible(), false, 'no keyboard hint on a phone');
  const visibleText = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(visibleText, /press (Tab|Escape)/i);
  // Indent the first line and outdent it again with the buttons.
  const first = await page.evaluate(() => document.getElementById('map-text').value.split('\n')[0]);
  await page.locator('#map-text').evaluate((a) => { a.focus(); a.setSelectionRange(0, 0); });
  await page.locator('#map-indent').click();
  await page.waitForFunction((line) => document.getElementById('map-text').value.split('\n')[0] === `  ${line}`, first);
  await page.locator('#map-outdent').click();
  await page.waitForFunction((line) => document.getElementById('map-text').value.split('\n')[0] === line, first);
  // Apply stays in reach when scrolled down to the problems and the diff.
  await page.evaluate(() => document.getElementById('map-diff-title').scrollIntoView());
  const apply = await page.locator('#map-apply').boundingBox();
  assert.ok(apply.y >= 0 && apply.y + apply.height <= 844, `Apply on screen: ${JSON.stringify(apply)}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUTPUT_DIR, 'phone-editor.png') }); // for docs/web-page.md
  page.hwb.check();
  await page.hwb.context.close();
});

test('a touch phone (coarse pointer) gets the same sizes', async () => {
  const { context, page } = await newContextWithTouch('');
  await waitLive(page);
  assert.equal(await page.evaluate(() => matchMedia('(pointer: coarse)').matches), true);
  assert.deepEqual(await smallTargets(page), []);
  assert.deepEqual(await smallText(page), []);
  await context.close();
});
