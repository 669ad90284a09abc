// The device map editor (#map) against its own daemon on a copy of the demo map: errors at the
// right line as you type, the diff against the running map, Apply updating the dashboard of an
// open page through a new hello, and the refusal of a draft based on an outdated version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, DEMO_CONFIG, launchBrowser, openPage, OUTPUT_DIR, startDaemon, waitLive } from './helpers.js';

let browser;
let daemon;
let dir;
const demo = readFileSync(DEMO_CONFIG, 'utf8');
const demoLines = demo.split('\n');
// 1-based line of the temperature sensor's `precision:` and `label:` keys.
const temperatureAt = demoLines.findIndex((l) => l.includes('id: temperature'));
const precisionLine = demoLines.findIndex((l, i) => i > temperatureAt && l.trim().startsWith('precision:')) + 1;
const labelLine = demoLines.findIndex((l, i) => i > temperatureAt && l.trim() === 'label: Temperature') + 1;
const fanAt = demoLines.findIndex((l) => l.trim() === '- id: fan');
const fanLabelLine = demoLines.findIndex((l, i) => i > fanAt && l.trim() === 'label: Fan') + 1;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hwb-editor-'));
  const config = join(dir, 'map.yaml');
  writeFileSync(config, demo);
  daemon = await startDaemon({ config, name: 'editor' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await daemon?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Opens the editor; with `pristine` (default) it must show the demo map as it was started.
async function openEditor(pristine = true, viewport = null, options = {}) {
  const page = await openPage(browser, `${daemon.url}/#map`, { ...(viewport ? { viewport } : {}), ...options });
  if (pristine) await page.waitForFunction((text) => document.getElementById('map-text').value === text, demo);
  else await page.waitForFunction(() => document.getElementById('map-text').value.length > 0);
  await page.waitForFunction(() => /No problems/.test(document.getElementById('map-problems-title').textContent));
  return page;
}

// Puts the caret at line:column (1-based; column 0: end of the line) of the draft and types like
// a user.
async function typeAt(page, line, column, text) {
  await page.locator('#map-text').click();
  await page.evaluate(([l, c]) => {
    const area = document.getElementById('map-text');
    const lines = area.value.split('\n');
    let offset = 0;
    for (let i = 0; i < l - 1; i += 1) offset += lines[i].length + 1;
    const at = c === 0 ? offset + lines[l - 1].length : offset + c - 1;
    area.setSelectionRange(at, at);
  }, [line, column]);
  await page.keyboard.type(text);
}

// [line, column], 1-based, of the caret.
async function caret(page) {
  return page.evaluate(() => {
    const area = document.getElementById('map-text');
    const before = area.value.slice(0, area.selectionStart).split('\n');
    return [before.length, before[before.length - 1].length + 1];
  });
}

test('a typo typed into the draft is marked at its line, listed, and the diff shows the line', async () => {
  assert.ok(precisionLine > 1 && labelLine > 1, 'demo map has the temperature keys');
  const page = await openEditor();
  assert.equal(await page.locator('#map-apply').isDisabled(), true, 'nothing to apply yet');
  assert.match(await page.locator('#map-admin').textContent(), /loopback/);
  assert.equal(await page.locator('.gutter-line').count(), demoLines.length);

  // "    precision: 1" -> "    precixsion: 1": an unknown key at line precisionLine, column 5.
  await typeAt(page, precisionLine, 10, 'x');
  const marker = page.locator(`.gutter-line.error[data-line="${precisionLine}"]`);
  await marker.waitFor({ timeout: 5000 });
  assert.equal(await page.locator('.gutter-line.error').count(), 1);
  assert.match(await marker.getAttribute('title'), /precixsion/);
  const problem = page.locator(`button.problem[data-line="${precisionLine}"]`);
  assert.match(await problem.textContent(), new RegExp(`line ${precisionLine}, column 5 .*unknown key 'precixsion'`));
  assert.equal(await page.locator('#map-apply').isDisabled(), true, 'an invalid draft cannot be applied');

  // The diff against the running map: exactly that line, removed and added, with its number.
  const removed = page.locator('.diff-line.del');
  const added = page.locator('.diff-line.add');
  assert.equal(await removed.count(), 1);
  assert.equal(await added.count(), 1);
  assert.match(await removed.textContent(), new RegExp(`^${precisionLine}\\s*-\\s*precision: 1$`));
  assert.match(await added.textContent(), new RegExp(`^${precisionLine}\\s*\\+\\s*precixsion: 1$`));

  await page.screenshot({ path: join(OUTPUT_DIR, 'editor.png'), fullPage: true }); // for docs/web-page.md

  // Clicking the problem puts the caret at its line and column, in the editor.
  await page.locator('#map-text').evaluate((a) => a.setSelectionRange(0, 0));
  await problem.click();
  assert.deepEqual(await caret(page), [precisionLine, 5]);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'map-text');
  // Fixing it clears the marker.
  await typeAt(page, precisionLine, 10, '');
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => /No problems/.test(document.getElementById('map-problems-title').textContent));
  assert.equal(await page.locator('.gutter-line.error').count(), 0);
  assert.match(await page.locator('#map-diff-title').textContent(), /No changes/);
  page.hwb.check();
  await page.hwb.context.close();
});

test('the editor works at 360 px: no horizontal overflow of the page', async () => {
  const page = await openEditor(false, { width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow} px`);
  assert.ok(await page.locator('#map-text').isVisible());
  assert.ok(await page.locator('#nav-dashboard').isVisible());
  page.hwb.check();
  await page.hwb.context.close();
});

test('Apply of a label change updates the dashboard of an open page without reloading it', async () => {
  const dashboard = await openPage(browser, daemon.url);
  await waitLive(dashboard);
  const card = dashboard.locator('[data-sensor="temperature"] .card-title');
  assert.equal(await card.textContent(), 'Temperature');
  await dashboard.evaluate(() => { window.notReloaded = true; });
  // Let the temperature trend gather points, to see they survive the reload.
  await dashboard.waitForFunction(() => window.hwbridge.panels.sensor.cards.get('temperature').series.length >= 20);
  const before = await dashboard.evaluate(() => window.hwbridge.panels.sensor.cards.get('temperature').series.length);
  await dashboard.locator('[data-console="status"] .console-line').first().waitFor();
  const linesBefore = await dashboard.locator('[data-console="status"] .console-line').count();

  const page = await openEditor();
  await typeAt(page, labelLine, 0, ' (water)');
  await page.waitForFunction(() => /No problems/.test(document.getElementById('map-problems-title').textContent));
  const apply = page.locator('#map-apply');
  await page.waitForFunction(() => !document.getElementById('map-apply').disabled);
  await apply.click();
  await page.waitForFunction(() => document.getElementById('map-status').dataset.kind === 'ok', null, { timeout: 10000 });
  assert.match(await page.locator('#map-status').textContent(), /Applied: version/);
  // The applied draft is the new base: nothing left to apply.
  assert.match(await page.locator('#map-diff-title').textContent(), /No changes/);
  assert.equal(await apply.isDisabled(), true);

  await dashboard.waitForFunction(() =>
    document.querySelector('[data-sensor="temperature"] .card-title')?.textContent === 'Temperature (water)',
  null, { timeout: 10000 });
  assert.equal(await dashboard.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.equal(await dashboard.locator('[data-sensor]').count(), 4, 'no duplicated cards');
  assert.equal(await dashboard.locator('[data-relay]').count(), 4);
  assert.equal(await dashboard.locator('[data-console]').count(), 2);
  const after = await dashboard.evaluate(() => window.hwbridge.panels.sensor.cards.get('temperature').series.length);
  assert.ok(after >= before, `trend kept its history (${before} points before, ${after} after)`);
  const linesAfter = await dashboard.locator('[data-console="status"] .console-line').count();
  assert.ok(linesAfter >= linesBefore, `console kept its scrollback (${linesBefore} lines before, ${linesAfter} after)`);
  dashboard.hwb.check();
  page.hwb.check();
  await dashboard.hwb.context.close();
  await page.hwb.context.close();
});

// The daemon runs with --listen (as every test daemon does): that is not a change of the map.
test('Apply answers what changed (relay fan: label changed) on page, API and audit line, never the --listen override', async () => {
  assert.ok(fanLabelLine > 1, 'demo map has the fan relay label');
  const log = join(OUTPUT_DIR, 'editor.log'); // appended to by every run: read only this test's part
  const logFrom = readFileSync(log, 'utf8').length;
  const page = await openEditor(false);
  await typeAt(page, fanLabelLine, 0, ' (attic)');
  await page.waitForFunction(() => /No problems/.test(document.getElementById('map-problems-title').textContent));
  await page.waitForFunction(() => !document.getElementById('map-apply').disabled);
  await page.locator('#map-apply').click();
  await page.waitForFunction(() => document.getElementById('map-status').dataset.kind === 'ok', null, { timeout: 10000 });
  const status = await page.locator('#map-status').textContent();
  assert.match(status, /relay fan: label changed/);
  assert.doesNotMatch(status, /listen/);
  assert.doesNotMatch(status, /no device changed/);
  // The audit line says the same.
  const audit = /map apply.*done, version \w+: relay fan: label changed/;
  const ours = () => readFileSync(log, 'utf8').slice(logFrom);
  for (let i = 0; i < 100 && !audit.test(ours()); i += 1) await new Promise((r) => setTimeout(r, 50));
  const text = ours();
  assert.match(text, audit);
  assert.doesNotMatch(text, /bridge\.listen changed/);
  // Applying the same text again changes nothing, and says so.
  const again = await page.evaluate(async () => {
    const base = await fetch('api/map').then((r) => r.json());
    return fetch('api/map/apply', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: base.text, version: base.version }) }).then((r) => r.json());
  });
  assert.deepEqual(again.summary, ['nothing changed']);
  page.hwb.check();
  await page.hwb.context.close();
});

test('a draft based on an outdated version is refused; the newer one loads and the draft stays', async () => {
  const first = await openEditor(false);
  // Chromium logs every 409 answer as a failed resource load; that one is expected here.
  const second = await openEditor(false, null, { allowConsoleErrors: /status of 409 \(Conflict\)/ });
  // Both edit the same version; the first applies, then the second tries.
  await typeAt(second, labelLine, 0, ' B');
  await second.waitForFunction(() => !document.getElementById('map-apply').disabled);
  await typeAt(first, labelLine, 0, ' A');
  await first.waitForFunction(() => !document.getElementById('map-apply').disabled);
  await first.locator('#map-apply').click();
  await first.waitForFunction(() => document.getElementById('map-status').dataset.kind === 'ok', null, { timeout: 10000 });

  const draft = await second.locator('#map-text').inputValue();
  await second.locator('#map-apply').click();
  await second.waitForFunction(() => /Not applied: the running map is newer/.test(document.getElementById('map-status').textContent),
    null, { timeout: 10000 });
  assert.match(await second.locator('#map-stale').textContent(), /changed since you loaded it/);
  assert.equal(await second.locator('#map-text').inputValue(), draft, 'the draft is untouched');
  const running = await second.evaluate(() => fetch('api/map').then((r) => r.json()));
  assert.match(running.text, / A\n/, 'the first change runs');
  assert.doesNotMatch(running.text, / B\n/, 'the outdated draft was not applied');
  await second.locator('#map-load-newer').click();
  await second.locator('#map-stale').waitFor({ state: 'hidden' });
  assert.equal(await second.locator('#map-text').inputValue(), draft, 'still the draft after loading the newer base');
  // Compared with the newer base now: that line differs (A vs B).
  await second.waitForFunction(() => document.querySelectorAll('.diff-line.del').length === 1);
  assert.match(await second.locator('.diff-line.del').textContent(), / A$/);
  assert.match(await second.locator('.diff-line.add').textContent(), / B$/);
  first.hwb.check();
  second.hwb.check();
  await first.hwb.context.close();
  await second.hwb.context.close();
});

test('a foreign name gets nothing (DNS rebinding); an allowed non-loopback name sees the map read-only', async () => {
  // bridge.test and rebind.test resolve to 127.0.0.1 in this browser only: the bridge sees a
  // loopback peer but a foreign Host. rebind.test is what DNS rebinding looks like: refused with
  // 421 before anything. bridge.test is listed in bridge.allowed_hosts (a reverse proxy's name):
  // served, but never an admin without authentication.
  const mapDir = mkdtempSync(join(tmpdir(), 'hwb-hosts-'));
  const config = join(mapDir, 'map.yaml');
  writeFileSync(config, demo.replace(/^bridge:\n/m, 'bridge:\n  allowed_hosts: [bridge.test]\n'));
  const named = await startDaemon({ config, name: 'editor-hosts' });
  const other = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--host-resolver-rules=MAP bridge.test 127.0.0.1, MAP rebind.test 127.0.0.1'],
  });
  try {
    const page = await other.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const refused = await page.goto(`http://rebind.test:${named.port}/#map`);
    assert.equal(refused.status(), 421);
    assert.match(await refused.text(), /not reachable by that name/);

    await page.goto(`http://bridge.test:${named.port}/#map`);
    await page.waitForFunction(() => document.getElementById('map-text').value.length > 0);
    assert.equal(await page.locator('#map-text').evaluate((a) => a.readOnly), true);
    assert.equal(await page.locator('#map-apply').isVisible(), false);
    assert.equal(await page.locator('#map-save').isVisible(), false);
    assert.match(await page.locator('#map-admin').textContent(), /loopback name .*bridge\.test/);
    // The API refuses too, whatever the page shows.
    const status = await page.evaluate(() => fetch('api/map/apply', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'x', version: 'y' }),
    }).then((r) => r.status));
    assert.equal(status, 403);
    assert.deepEqual(errors, []);
  } finally {
    await other.close();
    await named.stop();
    rmSync(mapDir, { recursive: true, force: true });
  }
});
