// The MQTT uplink's state in the page's header, against a real mosquitto broker: connected,
// then "broker unreachable" with the broker's address and the reason when the broker dies, and
// connected again when it returns; a bridge without an uplink shows no badge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage, startDaemon, waitLive, freePort, startBroker } from './helpers.js';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the header shows the MQTT uplink connected, unreachable with its reason, and back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwb-e2e-uplink-'));
  const port = await freePort();
  let broker = await startBroker(dir, port);
  const map = join(dir, 'map.yaml');
  writeFileSync(map, `bridge:
  name: Uplinked
devices:
  - id: bench
    driver: sim
sensors:
  - id: air
    device: bench
    unit: "°C"
relays:
  - id: fan
    device: bench
mqtt:
  port: ${port}
`);
  const daemon = await startDaemon({ config: map, name: 'uplink' });
  try {
    const page = await openPage(browser, daemon.url);
    await waitLive(page);
    const badge = page.locator('#uplinks .uplink[data-name="mqtt"]');
    await page.waitForFunction(() => document.querySelector('#uplinks .uplink')?.dataset.state === 'connected',
      null, { timeout: 10000 });
    assert.equal(await page.locator('#uplinks').isVisible(), true);
    assert.equal((await badge.textContent()).includes(`127.0.0.1:${port}`), true, 'the broker is named for screen readers');

    await broker.stop();
    await page.waitForFunction(() => document.querySelector('#uplinks .uplink')?.dataset.state === 'disconnected',
      null, { timeout: 15000 });
    const title = await badge.getAttribute('title');
    assert.match(title, new RegExp(`MQTT broker unreachable \\(127\\.0\\.0\\.1:${port}\\)`));
    assert.match(title, / — \S/, 'with the reason');
    assert.equal(await badge.locator('.uplink-words').textContent(), 'broker unreachable');

    broker = await startBroker(dir, port);
    // The bridge retries with a backoff of 1 s doubling: well within 20 s here.
    await page.waitForFunction(() => document.querySelector('#uplinks .uplink')?.dataset.state === 'connected',
      null, { timeout: 20000 });
  } finally {
    await daemon.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bridge without an uplink shows no badge', async () => {
  const daemon = await startDaemon({ name: 'no-uplink' });
  try {
    const page = await openPage(browser, daemon.url);
    await waitLive(page);
    assert.equal(await page.locator('#uplinks').isHidden(), true);
  } finally {
    await daemon.stop();
  }
});
