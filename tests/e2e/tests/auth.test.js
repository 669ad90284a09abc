// Signing in on a bridge with authentication (docs/web-page.md, "Signing in"): the pass-phrase
// form, a wrong pass-phrase, and a viewer that sees everything but can switch nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG, OUTPUT_DIR, launchBrowser, openPage, relaySwitch, startDaemon, waitLive } from './helpers.js';

const PASSPHRASE = 'open the greenhouse';
// 401 and 429 answers of sign-in attempts are logged by Chromium as failed resources: expected.
const EXPECTED_ERRORS = /status of (401|429)/;

let browser;
let daemon;
let dir;

const hwbridge = (args, input) => execFileSync(process.env.HWB_BINARY, args, { input, encoding: 'utf8' }).trim();

before(async () => {
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'hwbridge-e2e-auth-'));
  const secret = join(dir, 'secret');
  hwbridge(['token', '--init-secret', secret]);
  const hash = hwbridge(['token', '--hash-passphrase', '--iterations', '100000'], `${PASSPHRASE}\n`);
  const map = join(dir, 'map.yaml');
  writeFileSync(map, `${readFileSync(DEMO_CONFIG, 'utf8')}\nauth:\n  secret_file: ${secret}\n  passphrase_hash: "${hash}"\n`);
  daemon = await startDaemon({ name: 'auth', config: map });
});

after(async () => {
  await daemon?.stop();
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const waitChecked = (page, id, value) => page.waitForFunction(([id, value]) => {
  const s = document.querySelector(`[data-relay="${id}"] [role="switch"]`);
  return s && s.getAttribute('aria-checked') === value && s.getAttribute('aria-busy') === 'false';
}, [id, value], { timeout: 5000 });

test('signing in with the pass-phrase shows the channels and the role, and switches a relay', async () => {
  const page = await openPage(browser, daemon.url, { allowConsoleErrors: EXPECTED_ERRORS });
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#dashboard').isVisible(), false);
  assert.equal(await page.locator('[data-relay]').count(), 0, 'nothing about the channels before signing in');
  await page.locator('#signin-passphrase').fill(PASSPHRASE);
  await page.locator('#signin-passphrase-form button[type="submit"]').click();
  await waitLive(page);
  assert.equal(await page.locator('#signin').isVisible(), false);
  assert.equal(await page.locator('#who-text').textContent(), 'operator · passphrase');
  assert.equal(await page.locator('[data-relay="pump"]').getAttribute('data-control'), 'yes');
  await relaySwitch(page, 'pump').click();
  await waitChecked(page, 'pump', 'true');
  // The token is kept for the tab: a reload signs in by itself.
  await page.reload();
  await waitLive(page);
  assert.equal(await page.locator('#who-text').textContent(), 'operator · passphrase');
  // Signing out asks again.
  await page.locator('#sign-out').click();
  await page.locator('#signin').waitFor({ state: 'visible' });
  page.hwb.check();
  await page.hwb.context.close();
});

test('signing out clears the identity from the header at once and asks the bridge nothing without a token', async () => {
  // No 401 is expected here at all: any in the console fails the test.
  const page = await openPage(browser, `${daemon.url}/#map`);
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.locator('#signin-passphrase').fill(PASSPHRASE);
  await page.locator('#signin-passphrase-form button[type="submit"]').click();
  await waitLive(page);
  await page.waitForFunction(() => document.getElementById('map-text').value.length > 0);
  assert.equal(await page.locator('#who-text').textContent(), 'operator · passphrase');
  const named = await page.locator('#bridge-name').textContent();
  assert.notEqual(named, 'hwbridge', 'the bridge is named in its hello');

  const unsigned = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/') && !request.headers().authorization) unsigned.push(request.url());
  });
  const logBefore = readFileSync(join(OUTPUT_DIR, 'auth.log'), 'utf8').length;
  await page.locator('#sign-out').click();
  await page.locator('#signin').waitFor({ state: 'visible' });
  // The header forgets who was signed in, without a reload.
  assert.equal(await page.locator('#who').isVisible(), false);
  assert.equal(await page.locator('#sign-out').isVisible(), false);
  assert.equal(await page.locator('#bridge-name').textContent(), 'hwbridge');
  assert.equal(await page.title(), 'hwbridge');
  assert.equal(await page.locator('#map-text').inputValue(), '', 'the map shown to the old identity is gone');
  assert.equal((await page.locator('#map-highlight').textContent()).trim(), '', 'from the coloured copy too');
  // Every connection asked again and got "sign in" (condition: all three not open).
  await page.waitForFunction(() => Object.values(window.hwbridge.connections).every((c) => c.state === 'signin'));
  // Still nothing after a settled round trip through the bridge (a request it answers).
  await page.evaluate(() => fetch('/healthz'));
  assert.deepEqual(unsigned, [], 'no /api request without a token after signing out');
  const refused = readFileSync(join(OUTPUT_DIR, 'auth.log'), 'utf8').slice(logBefore);
  assert.doesNotMatch(refused, /audit: .*map.*refused/);
  page.hwb.check();
  await page.hwb.context.close();
});

test('a wrong pass-phrase says so, and a quick retry is told to wait', async () => {
  const page = await openPage(browser, daemon.url, { allowConsoleErrors: EXPECTED_ERRORS });
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.locator('#signin-passphrase').fill('not the pass-phrase');
  await page.locator('#signin-passphrase-form button[type="submit"]').click();
  await page.locator('#signin-message', { hasText: 'Wrong pass-phrase.' }).waitFor({ timeout: 5000 });
  await page.locator('#signin-passphrase').fill(PASSPHRASE);
  await page.locator('#signin-passphrase-form button[type="submit"]').click();
  await page.locator('#signin-message', { hasText: 'Too many failed attempts' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#dashboard').isVisible(), false);
  page.hwb.check();
  await page.hwb.context.close();
});

test('a viewer sees the relays and consoles but gets no controls, and the bridge refuses a switch', async () => {
  const viewer = hwbridge(['token', '--secret-file', join(dir, 'secret'), '--role', 'viewer', '--subject', 'visitor', '--ttl', '10m']);
  const page = await openPage(browser, daemon.url, { allowConsoleErrors: EXPECTED_ERRORS });
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.locator('#signin-token').fill(viewer);
  await page.locator('#signin-token-form button[type="submit"]').click();
  await waitLive(page);
  assert.equal(await page.locator('#who-text').textContent(), 'viewer · visitor');
  assert.equal(await page.locator('[data-relay]').count(), 4);
  assert.equal(await page.locator('[data-relay="pump"]').getAttribute('data-control'), 'no');
  assert.equal(await relaySwitch(page, 'pump').isVisible(), false, 'no switch for a viewer');
  assert.equal(await page.locator('[data-relay="pump"] .view-only').isVisible(), true);
  assert.equal(await page.locator('[data-console="console"] .console-input').isVisible(), false, 'no input line');
  // Sent anyway (a page edited in the browser's tools): the bridge says no and nothing moves.
  const code = await page.evaluate(() => window.hwbridge.connections.relay
    .request({ type: 'set', channel: 'pump', state: 'on' }).then(() => 'ack', (e) => e.code));
  assert.equal(code, 'forbidden');
  const audit = /audit: relay set pump on by visitor from 127\.0\.0\.1 \(c\d+\): refused \(forbidden\)/;
  const log = () => readFileSync(join(OUTPUT_DIR, 'auth.log'), 'utf8');
  for (let i = 0; i < 50 && !audit.test(log()); i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.match(log(), audit);
  assert.equal(log().includes(viewer), false, 'the token is never logged');
  // The map editor: readable, without Apply and Save.
  await page.goto(`${daemon.url}/#map`);
  await waitLive(page);
  await page.locator('#map-text').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('map-text').value.includes('auth:'));
  assert.equal(await page.locator('#map-apply').isVisible(), false);
  assert.equal(await page.locator('#map-save').isVisible(), false);
  page.hwb.check();
  await page.hwb.context.close();
});

test('a change is credited to the signed-in subject, on this page, on others and in the logbook', async () => {
  const operator = hwbridge(['token', '--secret-file', join(dir, 'secret'), '--role', 'operator', '--subject', 'operator-tester', '--ttl', '10m']);
  const viewer = hwbridge(['token', '--secret-file', join(dir, 'secret'), '--role', 'viewer', '--subject', 'onlooker', '--ttl', '10m']);
  const signIn = async (token) => {
    const page = await openPage(browser, daemon.url, { allowConsoleErrors: EXPECTED_ERRORS });
    await page.locator('#signin').waitFor({ state: 'visible' });
    await page.locator('#signin-token').fill(token);
    await page.locator('#signin-token-form button[type="submit"]').click();
    await waitLive(page);
    return page;
  };
  const a = await signIn(operator);
  const b = await signIn(viewer);
  const was = await relaySwitch(a, 'fan').getAttribute('aria-checked');
  const target = was === 'true' ? 'false' : 'true';
  await relaySwitch(a, 'fan').click();
  await waitChecked(a, 'fan', target);
  await waitChecked(b, 'fan', target);
  assert.match(await a.locator('[data-relay="fan"] .relay-cause').textContent(), /^by operator-tester \(this page\) · /);
  assert.match(await b.locator('[data-relay="fan"] .relay-cause').textContent(), /^by operator-tester · /);
  assert.doesNotMatch(await b.locator('[data-relay="fan"] .relay-cause').textContent(), /by c\d/);
  await b.locator('[data-relay="fan"] .relay-log-title').click();
  assert.match(await b.locator('[data-relay="fan"] .relay-log-entry').first().textContent(), / by operator-tester$/);
  a.hwb.check();
  b.hwb.check();
  await a.hwb.context.close();
  await b.hwb.context.close();
});
