// Delivery of the page (docs/web-page.md, "Delivery"): files compressed at build time and served
// gzip to browsers that accept it, strong ETags with Cache-Control: no-cache so a second visit
// revalidates (304, no body) instead of downloading everything again, the icon fetched once, and
// the page's size budget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { baseUrl, launchBrowser, openPage, waitLive } from './helpers.js';

// The budget, as docs/web-page.md states it: everything the page loads on a first visit.
const BUDGET_COMPRESSED = 48 * 1024; // bytes on the wire (gzip)
const BUDGET_RAW = 160 * 1024; // bytes uncompressed

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// GET with raw headers; resolves { status, headers, bytes } without decompressing.
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

// The page's own files (not the API, not WebSockets) that a first visit loads.
async function pageFiles() {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  const files = [...new Set(page.hwb.problems.requests.filter((u) => u.startsWith('http') && !u.includes('/api/')))];
  const icon = page.hwb.problems.requests.filter((u) => u.endsWith('/icon.svg')).length;
  page.hwb.check();
  await page.hwb.context.close();
  return { files, icon };
}

test('every file of the page is gzip with a strong ETag and no-cache; a second visit gets 304 without a body', async () => {
  const { files } = await pageFiles();
  assert.ok(files.length >= 10, `the page's files: ${files}`);
  for (const url of files) {
    const first = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(first.status, 200, url);
    const etag = first.headers.etag;
    assert.match(etag || '', /^"[0-9a-f]+(-gz)?"$/, `${url}: a strong ETag (${etag})`);
    assert.match(first.headers.vary || '', /Accept-Encoding/i);
    if (!url.endsWith('.svg')) {
      assert.equal(first.headers['content-encoding'], 'gzip', `${url} compressed`);
      assert.equal(first.headers['cache-control'], 'no-cache', `${url}: revalidated on use`);
    }
    const again = await get(url, { 'accept-encoding': 'gzip, deflate, br', 'if-none-match': etag });
    assert.equal(again.status, 304, `${url} revalidated`);
    assert.equal(again.bytes, 0);
    assert.equal(again.headers.etag, etag);
    // A client without gzip gets the file itself, under its own validator.
    const plain = await get(url);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    if (!url.endsWith('.svg')) assert.notEqual(plain.headers.etag, etag);
    assert.equal((await get(url, { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding'], undefined);
  }
});

test('the icon is fetched once per visit, and the page stays within its size budget', async () => {
  const { files, icon } = await pageFiles();
  assert.equal(icon, 1, 'icon.svg requested once (tab icon and header)');
  let compressed = 0;
  let raw = 0;
  for (const url of files) {
    compressed += (await get(url, { 'accept-encoding': 'gzip' })).bytes;
    raw += (await get(url)).bytes;
  }
  console.log(`page: ${files.length} files, ${raw} bytes, ${compressed} bytes gzip`);
  assert.ok(compressed <= BUDGET_COMPRESSED, `${compressed} bytes on the wire > budget ${BUDGET_COMPRESSED}`);
  assert.ok(raw <= BUDGET_RAW, `${raw} bytes uncompressed > budget ${BUDGET_RAW}`);
});

test('a reload in the browser revalidates: no file of the page is downloaded again', async () => {
  // A context of its own: openPage's request checks (routing) turn the browser's cache off.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl());
  await waitLive(page);
  const statuses = [];
  page.on('response', (r) => { if (!r.url().includes('/api/')) statuses.push([r.url(), r.status(), r.fromServiceWorker()]); });
  const sizes = [];
  page.on('requestfinished', async (r) => {
    if (r.url().includes('/api/')) return;
    const s = await r.sizes().catch(() => null);
    if (s) sizes.push([r.url(), s.responseBodySize]);
  });
  await page.reload();
  await waitLive(page);
  await page.waitForFunction(() => document.readyState === 'complete');
  const downloaded = sizes.filter(([, bytes]) => bytes > 0);
  assert.deepEqual(downloaded, [], `downloaded again: ${JSON.stringify(downloaded)} (responses ${JSON.stringify(statuses)})`);
  await context.close();
});
