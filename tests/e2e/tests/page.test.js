// The page loads cleanly, stays on 127.0.0.1, and is built from the three hellos.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, launchBrowser, openPage, waitLive } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('page loads without console errors and every request stays on 127.0.0.1', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  // Let the first readings, console history and charts render.
  await page.waitForFunction(() => document.querySelectorAll('[data-sensor] .trend-line[points*=","]').length >= 3);
  const { problems } = page.hwb;
  assert.ok(problems.requests.length >= 5, `expected page, assets and WebSockets, saw ${problems.requests.join(', ')}`);
  for (const url of problems.requests) assert.equal(new URL(url).hostname, '127.0.0.1', url);
  page.hwb.check();
  await page.hwb.context.close();
});

test('header, sections and cards come from the hello messages', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  assert.equal(await page.locator('#bridge-name').textContent(), 'Demo bench');
  assert.match(await page.title(), /Demo bench/);
  assert.equal(await page.locator('#conn-label').textContent(), 'Live');
  // In the map's groups (config/demo.yaml `ui:`): the door is in Controls, above the Climate sensors.
  assert.deepEqual(await page.locator('[data-sensor]').evaluateAll((n) => n.map((e) => e.dataset.sensor)),
    ['door', 'temperature', 'humidity', 'pressure']);
  assert.deepEqual(await page.locator('[data-relay]').evaluateAll((n) => n.map((e) => e.dataset.relay)),
    ['pump', 'fan', 'heater', 'flaky']);
  assert.deepEqual(await page.locator('[data-console]').evaluateAll((n) => n.map((e) => e.dataset.console)),
    ['console', 'status']);
  assert.equal(await page.locator('[data-sensor="temperature"] .card-title').textContent(), 'Temperature');
  assert.equal(await page.locator('[data-sensor="temperature"] .unit').textContent(), '°C');
  assert.equal(await page.locator('[data-relay="flaky"] .card-title').textContent(), 'Flaky valve (fails every 3rd switch)');
  // Every switch and input has an accessible name.
  for (const id of ['pump', 'fan', 'heater', 'flaky']) {
    const name = await page.getByRole('switch', { name: (await page.locator(`[data-relay="${id}"] h3`).textContent()) });
    assert.equal(await name.count(), 1, `switch for ${id}`);
  }
  assert.equal(await page.getByRole('textbox', { name: /Echo console/ }).count(), 1);
  // No duplicate element ids.
  const dupes = await page.evaluate(() => {
    const seen = new Map();
    for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  });
  assert.deepEqual(dupes, []);
  page.hwb.check();
  await page.hwb.context.close();
});

test('the server sends a CSP that the page lives with (no inline script or style)', async () => {
  const response = await fetch(baseUrl() + '/');
  assert.match(response.headers.get('content-security-policy') || '', /script-src 'self'/);
  const html = await response.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'inline script');
  assert.doesNotMatch(html, /\sstyle=/, 'inline style attribute');
  assert.doesNotMatch(html, /https?:\/\//, 'external reference');
});
