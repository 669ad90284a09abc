// Automations on the page, against a daemon on a copy of config/greenhouse.yaml: the list shows
// each automation's state, an operator disables one (the bridge says it is disabled, and a second
// page sees it too) and changes a thermostat's setpoint (kept in the state file beside the map).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage, OUTPUT_DIR, REPO_ROOT, startDaemon, waitLive } from './helpers.js';

let browser;
let daemon;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hwb-automations-'));
  const config = join(dir, 'greenhouse.yaml');
  writeFileSync(config, readFileSync(join(REPO_ROOT, 'config', 'greenhouse.yaml'), 'utf8'));
  daemon = await startDaemon({ config, name: 'automations' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const card = (page, id) => page.locator(`[data-automation="${id}"]`);
const waitState = (page, id, state, timeout = 5000) => page.waitForFunction(([id, state]) =>
  document.querySelector(`[data-automation="${id}"]`)?.dataset.state === state, [id, state], { timeout });

test('the list shows every automation; an operator disables one and changes a setpoint', async () => {
  const a = await openPage(browser, daemon.url);
  const b = await openPage(browser, daemon.url);
  await Promise.all([waitLive(a), waitLive(b)]);
  assert.equal(await a.locator('#automations').isHidden(), false);
  assert.equal(await a.locator('[data-automation]').count(), 5);
  assert.match(await card(a, 'greenhouse_heat').locator('.card-device').textContent(), /thermostat · relay heater/);

  // Disable the irrigation schedule in page a: both pages show it disabled.
  await card(a, 'irrigation').locator('.automation-toggle').click();
  await waitState(a, 'irrigation', 'disabled');
  await waitState(b, 'irrigation', 'disabled');
  assert.equal(await card(b, 'irrigation').locator('.automation-toggle').textContent(), 'Enable');

  // A new setpoint: acknowledged, shown in the other page, kept beside the map.
  const field = card(a, 'greenhouse_heat').locator('.automation-setpoint');
  await field.fill('14.5');
  await card(a, 'greenhouse_heat').locator('.automation-set').click();
  await b.waitForFunction(() =>
    document.querySelector('[data-automation="greenhouse_heat"] .automation-setpoint').value === '14.5', null, { timeout: 5000 });
  // An `automation` message keeps what the card says it is.
  assert.match(await card(b, 'greenhouse_heat').locator('.card-device').textContent(), /^thermostat · relay heater$/);
  const stateFile = join(dir, 'greenhouse.automations.json');
  assert.ok(existsSync(stateFile));
  const kept = JSON.parse(readFileSync(stateFile, 'utf8'));
  assert.equal(kept.automations.greenhouse_heat.setpoint, 14.5);
  assert.equal(kept.automations.irrigation.enabled, false);

  // Outside the operator's range: the bridge's refusal is shown.
  await field.fill('40');
  await card(a, 'greenhouse_heat').locator('.automation-set').click();
  await a.waitForFunction(() => {
    const e = document.querySelector('[data-automation="greenhouse_heat"] .relay-error');
    return e && !e.hidden && e.textContent.startsWith('out_of_range');
  }, null, { timeout: 5000 });
  await a.screenshot({ path: join(OUTPUT_DIR, 'automations.png'), fullPage: true });
  a.hwb.check();
  b.hwb.check();
  await a.hwb.context.close();
  await b.hwb.context.close();
});
