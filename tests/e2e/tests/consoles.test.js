// Text channels as consoles: echo round trip, input history, clear, status stream, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, launchBrowser, openPage, waitLive } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const lines = (page, id) => page.locator(`[data-console="${id}"] .console-line`).evaluateAll(
  (rows) => rows.map((r) => ({ dir: r.classList.contains('tx') ? 'tx' : 'rx', text: r.querySelector('.console-text').textContent })));

test('a line typed in the echo console is sent and its echo comes back', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  const input = page.getByRole('textbox', { name: /Echo console/ });
  const word = `hello-${Date.now()}`;
  await input.fill(word);
  await input.press('Enter');
  const echo = page.locator('[data-console="console"] .console-line.rx .console-text', { hasText: `echo: ${word}` });
  await echo.waitFor({ timeout: 5000 });
  const all = await lines(page, 'console');
  const tx = all.findIndex((l) => l.dir === 'tx' && l.text === word);
  const rx = all.findIndex((l) => l.dir === 'rx' && l.text === `echo: ${word}`);
  assert.ok(tx >= 0 && rx > tx, JSON.stringify(all.slice(-4)));
  assert.equal(await input.inputValue(), '', 'input cleared after sending');

  // Up recalls the last line, Down returns to the (empty) draft.
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), word);
  await input.press('ArrowDown');
  assert.equal(await input.inputValue(), '');

  // A second page opening the channel gets the history from the open ack.
  const other = await openPage(browser, baseUrl());
  await waitLive(other);
  await other.locator('[data-console="console"] .console-line.rx .console-text', { hasText: `echo: ${word}` })
    .waitFor({ timeout: 5000 });

  // Clear empties only this page's scrollback.
  await page.locator('[data-console="console"] button', { hasText: 'Clear' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-console="console"] .console-line').length === 0);
  assert.ok((await lines(other, 'console')).length > 0);
  page.hwb.check();
  other.hwb.check();
  await page.hwb.context.close();
  await other.hwb.context.close();
});

test('the status console streams lines from the device', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  const count = () => page.locator('[data-console="status"] .console-line.rx').count();
  const before = await count();
  // The demo status display prints every 3 s.
  await page.waitForFunction((n) => document.querySelectorAll('[data-console="status"] .console-line.rx').length > n,
    before, { timeout: 8000 });
  page.hwb.check();
  await page.hwb.context.close();
});

test('the display-only status console has no input line, and the bridge refuses a line sent to it', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  await page.locator('[data-console="status"] .console-line').first().waitFor();
  assert.equal(await page.locator('[data-console="status"] .console-input').isVisible(), false, 'no input box on a display');
  assert.equal(await page.locator('[data-console="status"] button', { hasText: 'Send' }).isVisible(), false);
  assert.equal(await page.locator('[data-console="status"]').getAttribute('data-control'), 'no');
  assert.equal(await page.locator('[data-console="console"] .console-input').isVisible(), true, 'the echo console takes lines');
  const answer = await page.evaluate(() => window.hwbridge.connections.text
    .request({ type: 'send', channel: 'status', line: 'hello display' }).then(() => 'accepted', (e) => e.code));
  assert.equal(answer, 'read_only');
  page.hwb.check();
  await page.hwb.context.close();
});

test('a line over the channel limit shows the server error inline and is kept for editing', async () => {
  const page = await openPage(browser, baseUrl());
  await waitLive(page);
  const limit = await page.evaluate(() => window.hwbridge.connections.text.hello.channels
    .find((c) => c.id === 'console').max_line_bytes);
  const input = page.getByRole('textbox', { name: /Echo console/ });
  const long = 'x'.repeat(limit + 1);
  await input.fill(long);
  await input.press('Enter');
  const message = page.locator('[data-console="console"] .console-message.error');
  await message.waitFor({ timeout: 5000 });
  assert.match(await message.textContent(), /too_long/);
  assert.equal(await input.inputValue(), long);
  page.hwb.check();
  await page.hwb.context.close();
});
