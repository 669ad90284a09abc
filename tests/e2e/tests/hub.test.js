// A hub's page switching a relay of another real hwbridge through a real mosquitto broker (the
// remote's uplink, the hub's mqtt driver importing that bridge by name): pending until the remote
// confirms, then on; the remote's interlock refusal shows on the hub's page with its reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_DIR, launchBrowser, openPage, relaySwitch, startDaemon, waitLive, freePort, startBroker } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('a relay of a remote bridge is switched from the hub page and refused by its interlock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwb-e2e-hub-'));
  const port = await freePort();
  const broker = await startBroker(dir, port);
  writeFileSync(join(dir, 'remote.yaml'), `bridge:
  name: Greenhouse 2
devices:
  - id: bench
    driver: sim
relays:
  - id: forward
    device: bench
    interlock: motor
    latency: 300ms
  - id: reverse
    device: bench
    interlock: motor
    latency: 0ms
mqtt:
  port: ${port}
  prefix: gh2
  discovery: false
`);
  // The whole remote bridge imported by its name (its uplink's metadata); one relay listed with
  // the hub's own label.
  const hub = `bridge:
  name: Hub
devices:
  - id: gh2
    label: Greenhouse 2
    driver: mqtt
    port: ${port}
    bridge: Greenhouse 2
    bridge_prefix: gh2
relays:
  - id: gh2_forward
    label: Motor forward
    device: gh2
`;
  writeFileSync(join(dir, 'hub.yaml'), hub);
  const remote = await startDaemon({ config: join(dir, 'remote.yaml'), name: 'hub-remote' });
  let remoteStopped = false;
  const hubDaemon = await startDaemon({ config: join(dir, 'hub.yaml'), name: 'hub' });
  try {
    const page = await openPage(browser, hubDaemon.url);
    await waitLive(page);
    const forward = relaySwitch(page, 'gh2_forward');
    // Online and off once the remote's retained state and availability arrived.
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-relay="gh2_forward"] [role="switch"]');
      return s && s.getAttribute('aria-checked') === 'false' && s.getAttribute('aria-disabled') !== 'true';
    }, null, { timeout: 15000 });
    assert.match(await page.locator('[data-relay="gh2_forward"] .card-device').textContent(), /Greenhouse 2/);

    await forward.click();
    // Pending while the remote switches (its relay takes 300 ms), then on.
    await page.waitForFunction(() => document.querySelector('[data-relay="gh2_forward"] [role="switch"]')
      .getAttribute('aria-busy') === 'true', null, { timeout: 5000 });
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-relay="gh2_forward"] [role="switch"]');
      return s.getAttribute('aria-checked') === 'true' && s.getAttribute('aria-busy') === 'false';
    }, null, { timeout: 10000 });

    // The other direction: the remote's interlock refuses, and the hub's page says so.
    await relaySwitch(page, 'gh2_reverse').click();
    const error = page.locator('[data-relay="gh2_reverse"] .relay-error');
    await error.waitFor({ state: 'visible', timeout: 10000 });
    // The remote's whole reason, not a cut of it.
    assert.match(await error.textContent(), /'reverse' shares interlock group 'motor'/);
    assert.equal(await relaySwitch(page, 'gh2_reverse').getAttribute('aria-checked'), 'false');

    // The remote bridge's channels (imported and listed) are one group under its label, which
    // says whether that bridge is there.
    const group = 'section.group[data-group="Greenhouse 2"]';
    assert.equal(await page.locator(`${group} [data-relay="gh2_forward"]`).count(), 1);
    assert.equal(await page.locator(`${group} [data-relay="gh2_reverse"]`).count(), 1);
    await page.waitForFunction((g) => document.querySelector(`${g} .bridge-state`)?.dataset.state === 'online',
      group, { timeout: 10000 });
    assert.match(await page.locator(`${group} .bridge-state`).textContent(), /^bridge online$/);
    await page.screenshot({ path: join(OUTPUT_DIR, 'hub.png'), fullPage: true }); // for docs/web-page.md
    // It goes away (its last will): the group says so at once.
    await remote.stop();
    remoteStopped = true;
    await page.waitForFunction((g) => document.querySelector(`${g} .bridge-state`)?.dataset.state === 'offline',
      group, { timeout: 15000 });
    assert.match(await page.locator(`${group} .bridge-state`).textContent(), /^bridge offline/);
  } finally {
    await hubDaemon.stop();
    if (!remoteStopped) await remote.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
