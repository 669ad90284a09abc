// The device map editor's help (docs/web-page.md, "Device map"): YAML colouring under the
// textarea, each problem underlined at its line and column with its message visible without
// hover (phone 390x844 too), and completion of keys and values from the schema the bridge serves
// (GET /api/map/schema): a modbus device's keys, a modbus channel's, enum values, by keyboard and
// by tap. Against the shared demo daemon; nothing is applied.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { baseUrl, DEMO_CONFIG, launchBrowser, openPage, OUTPUT_DIR, waitLive } from './helpers.js';

const demo = readFileSync(DEMO_CONFIG, 'utf8');
const demoLines = demo.split('\n');
const PHONE = { viewport: { width: 390, height: 844 } };
let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// Bytes on the wire of a GET with gzip accepted (not decompressed).
function gzipBytes(url) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function openEditor(options = {}) {
  const page = await openPage(browser, `${baseUrl()}/#map`, options);
  await ready(page);
  return page;
}

// The map is shown, checked, and the schema is there.
async function ready(page) {
  await page.waitForFunction((text) => document.getElementById('map-text').value === text, demo);
  await page.waitForFunction(() => /No problems/.test(document.getElementById('map-problems-title').textContent));
  await page.waitForFunction(() => window.hwbridge.editor.schema !== null);
}

// Puts the caret at line:column (1-based; column 0: end of the line).
async function caretTo(page, line, column) {
  await page.evaluate(([l, c]) => {
    const area = document.getElementById('map-text');
    area.focus();
    const lines = area.value.split('\n');
    let offset = 0;
    for (let i = 0; i < l - 1; i += 1) offset += lines[i].length + 1;
    const at = c === 0 ? offset + lines[l - 1].length : offset + c - 1;
    area.setSelectionRange(at, at);
  }, [line, column]);
}

// The line (1-based) of the draft the caret is on, and the text of that line.
const caretLine = (page) => page.evaluate(() => {
  const area = document.getElementById('map-text');
  const before = area.value.slice(0, area.selectionStart).split('\n');
  return { line: before.length, text: area.value.split('\n')[before.length - 1] };
});

const labels = (page) => page.locator('#map-complete [role="option"]').evaluateAll((items) => items.map((i) => i.dataset.label));

test('the dashboard does not load the editor\'s colouring and completion; the device map view does, and the schema once', async () => {
  const page = await openPage(browser, `${baseUrl()}/`);
  await waitLive(page);
  const fetched = (name) => page.hwb.problems.requests.filter((u) => u.endsWith(name)).length;
  assert.equal(fetched('/yaml.js'), 0);
  assert.equal(fetched('/complete.js'), 0);
  assert.equal(fetched('/api/map/schema'), 0);
  await page.locator('#nav-map').click();
  await ready(page);
  assert.equal(fetched('/yaml.js'), 1);
  assert.equal(fetched('/complete.js'), 1);
  assert.equal(fetched('/api/map/schema'), 1);
  await page.locator('#map-highlight .y-key').first().waitFor();
  // Back and forth: nothing fetched again.
  await page.locator('#nav-dashboard').click();
  await page.locator('#nav-map').click();
  await page.locator('#map-highlight .y-key').first().waitFor();
  assert.equal(fetched('/api/map/schema'), 1);
  // What opening the editor adds (docs/web-page.md, "Delivery"): about 8 KB of code, 10 KB of schema.
  const code = (await gzipBytes(`${baseUrl()}/yaml.js`)).bytes + (await gzipBytes(`${baseUrl()}/complete.js`)).bytes;
  const schema = await gzipBytes(`${baseUrl()}/api/map/schema`);
  console.log(`the editor adds ${code} bytes of code and ${schema.bytes} bytes of schema (gzip)`);
  assert.equal(schema.encoding, 'gzip');
  assert.ok(code <= 12 * 1024, `${code} bytes`);
  assert.ok(schema.bytes <= 16 * 1024, `${schema.bytes} bytes`);
  page.hwb.check();
  await page.hwb.context.close();
});

test('YAML colouring: keys, strings, numbers, comments and dashes, aligned with the text; 3,000 lines stay fast', async () => {
  const page = await openEditor();
  const hl = page.locator('#map-highlight');
  assert.equal(await hl.locator('.y-key', { hasText: /^bridge$/ }).count(), 1);
  assert.equal(await hl.locator('.y-string', { hasText: /^Demo bench$/ }).count(), 1);
  assert.equal(await hl.locator('.y-number', { hasText: /^65536$/ }).count(), 1);
  assert.ok(await hl.locator('.y-comment', { hasText: /^# hwbridge demo/ }).count() === 1);
  assert.ok(await hl.locator('.y-dash').count() >= 3);
  assert.ok(await hl.locator('.y-punct', { hasText: '[' }).count() >= 1, 'flow list brackets');
  // The coloured copy shows the draft's lines (the textarea's own text is transparent).
  const shown = (await hl.textContent()).split('\n');
  assert.deepEqual(shown.slice(0, 12), demoLines.slice(0, 12));
  assert.equal(await page.locator('#map-text').evaluate((a) => getComputedStyle(a).color), 'rgba(0, 0, 0, 0)');
  // Drawn where the textarea draws it: `name` of line 6 starts at column 3.
  const at = await page.evaluate(() => {
    const key = [...document.querySelectorAll('#map-highlight .y-key')].find((k) => k.textContent === 'name');
    const { x, y } = window.hwbridge.editor.caretPoint(document.getElementById('map-text').value.indexOf('name: Demo'));
    const box = document.getElementById('map-area').getBoundingClientRect();
    const r = key.getBoundingClientRect();
    return { dx: r.left - box.left - x, dy: r.top - box.top - y };
  });
  assert.ok(Math.abs(at.dx) < 1 && Math.abs(at.dy) < 3, `key drawn off its place by ${at.dx},${at.dy}`);

  // Booleans, null, anchors and aliases, tags, quoted strings, block scalars, flow mappings.
  const classes = await page.evaluate(() => {
    const editor = window.hwbridge.editor;
    editor.setDraft('x: &base\n  on: true # yes\n  off: ~\ny: *base\nz: !tag "q" \nnote: |\n  a: b\nf: {k: 1.5e3}\n');
    const of = (text) => [...document.querySelectorAll('#map-highlight span')].filter((s) => s.textContent === text)
      .map((s) => s.className).join(' ');
    const result = { true: of('true'), null: of('~'), anchor: of('&base'), alias: of('*base'), tag: of('!tag'),
      quoted: of('"q"'), block: of('  a: b'), flowKey: of('k'), float: of('1.5e3'), comment: of('# yes') };
    editor.setDraft(editor.base.text);
    return result;
  });
  assert.deepEqual(classes, { true: 'y-bool', null: 'y-null', anchor: 'y-anchor', alias: 'y-alias', tag: 'y-tag',
    quoted: 'y-string', block: 'y-string y-block', flowKey: 'y-key', float: 'y-number', comment: 'y-comment' });

  // A map of 3,000 lines: replacing the text and colouring what is in view, scrolling to the
  // middle, and (for comparison) colouring every line.
  const timing = await page.evaluate(async () => {
    const editor = window.hwbridge.editor;
    const area = document.getElementById('map-text');
    const entry = (i) => `  - id: s${i}\n    device: bench\n    label: "Sensor ${i}" # note\n    precision: 1\n    range: [0, 100]\n    signal: sine\n`;
    let text = 'sensors:\n';
    for (let i = 0; text.split('\n').length < 3000; i += 1) text += entry(i);
    const lines = text.split('\n').length;
    // The textarea's own layout of the new text is the browser's, not the colouring's: first.
    const t = performance.now();
    area.value = text;
    void area.scrollHeight;
    const layout = performance.now() - t;
    // Best of five each (the machine may be busy with other tests): colouring the new text from
    // scratch (split, block scalars, the lines in view), a keystroke in the middle, a jump.
    const best = (run) => {
      let least = Infinity;
      for (let i = 0; i < 5; i += 1) least = Math.min(least, run(i));
      return least;
    };
    const replace = best(() => {
      editor.hl.text = null; // as if the text were new
      const t0 = performance.now();
      editor.renderHighlight(true);
      return performance.now() - t0;
    });
    const key = best(() => {
      area.setRangeText('x', text.length / 2, text.length / 2);
      void area.scrollHeight;
      const t0 = performance.now();
      editor.renderHighlight();
      return performance.now() - t0;
    });
    const scroll = best((i) => {
      area.scrollTop = (area.scrollHeight * (i + 1)) / 7;
      void area.scrollHeight;
      const t0 = performance.now();
      editor.renderHighlight();
      return performance.now() - t0;
    });
    const { lineTokens, lineHtml, blockLines } = await import('./yaml.js');
    let html = '';
    const full = best(() => {
      const t0 = performance.now();
      const all = text.split('\n');
      const block = blockLines(all);
      html = '';
      for (let i = 0; i < all.length; i += 1) html += `${lineHtml(all[i], lineTokens(all[i], block[i] === 1))}\n`;
      return performance.now() - t0;
    });
    const middle = document.querySelector('#map-highlight .y-string')?.textContent;
    editor.setDraft(editor.base.text);
    return { lines, layout, replace, key, scroll, full, bytes: html.length, middle };
  });
  console.log(`highlight of ${timing.lines} lines: ${timing.replace.toFixed(1)} ms after replacing the text ` +
    `(the textarea's own layout: ${timing.layout.toFixed(1)} ms), ${timing.key.toFixed(1)} ms per keystroke, ` +
    `${timing.scroll.toFixed(1)} ms after a jump, ${timing.full.toFixed(1)} ms to colour every line (best of five each)`);
  assert.ok(timing.lines >= 3000);
  assert.ok(timing.replace < 60, `${timing.replace} ms`);
  assert.ok(timing.key < 60, `${timing.key} ms`);
  assert.ok(timing.scroll < 60, `${timing.scroll} ms`);
  assert.ok(timing.full < 500, `${timing.full} ms`);
  assert.ok(timing.middle, 'lines in the middle coloured after scrolling');
  page.hwb.check();
  await page.hwb.context.close();
});

test('phone 390x844: a problem is underlined at its line and column and its message is shown under the line', async () => {
  const context = await browser.newContext({ ...PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${baseUrl()}/#map`);
  await ready(page);
  const temperatureAt = demoLines.findIndex((l) => l.includes('id: temperature'));
  const line = demoLines.findIndex((l, i) => i > temperatureAt && l.trim().startsWith('precision:')) + 1;
  // "    precision: 1" -> "    precixsion: 1": an unknown key at column 5.
  await caretTo(page, line, 10);
  await page.keyboard.type('x');
  const underline = page.locator('#map-highlight .y-err');
  await underline.waitFor({ timeout: 5000 });
  assert.equal(await underline.textContent(), 'precixsion');
  // Its place: line `line`, column 5 of the textarea's text.
  const offBy = await page.evaluate((l) => {
    const area = document.getElementById('map-text');
    const offset = area.value.split('\n').slice(0, l - 1).join('\n').length + 1 + 4;
    const { x, y } = window.hwbridge.editor.caretPoint(offset);
    const box = document.getElementById('map-area').getBoundingClientRect();
    const r = document.querySelector('#map-highlight .y-err').getBoundingClientRect();
    return { dx: r.left - box.left - x, dy: r.top - box.top - y };
  }, line);
  assert.ok(Math.abs(offBy.dx) < 1 && Math.abs(offBy.dy) < 3, `underline off by ${offBy.dx},${offBy.dy}`);
  assert.match(await page.locator(`#map-highlight .y-msg[data-line="${line}"]`).textContent(), /unknown key 'precixsion'/);

  // The caret is on that line: its message is spelled out under it, inside the screen.
  const callout = page.locator('#map-callout');
  await callout.waitFor();
  assert.match(await callout.textContent(), new RegExp(`line ${line}, column 5: .*unknown key 'precixsion'`));
  const viewport = page.viewportSize();
  const c = await callout.boundingBox();
  const u = await underline.boundingBox();
  assert.ok(c.x >= 0 && c.x + c.width <= viewport.width, `callout inside the screen's width: ${JSON.stringify(c)}`);
  assert.ok(c.y >= u.y + u.height - 1 && c.y - (u.y + u.height) < 12, `callout right under the underline: ${c.y} vs ${u.y + u.height}`);

  // Elsewhere the callout goes; tapping the problem in the list brings the caret (and it) back.
  await caretTo(page, 2, 1);
  await callout.waitFor({ state: 'hidden' });
  await page.locator(`button.problem[data-line="${line}"]`).tap();
  assert.deepEqual(await caretLine(page), { line, text: '    precixsion: 1' });
  await callout.waitFor();
  const again = await callout.boundingBox();
  const header = await page.locator('header.top').boundingBox();
  assert.ok(again.y >= header.y + header.height && again.y + again.height <= viewport.height,
    `the message is on the screen after the tap, below the header: ${JSON.stringify(again)}`);
  const under = await underline.boundingBox();
  assert.ok(under.y >= header.y + header.height, 'the underlined key is not under the header');
  // Apply stays reachable while fixing: stuck below the header, not hidden behind it.
  const apply = await page.locator('#map-apply').boundingBox();
  assert.ok(apply.y >= header.y + header.height - 1, `Apply below the header: ${apply.y} vs ${header.y + header.height}`);
  assert.ok(under.y >= apply.y + apply.height, 'the underlined key is not under the Apply row');
  assert.equal(await page.evaluate(() => {
    const r = document.getElementById('map-apply').getBoundingClientRect();
    return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)?.id;
  }), 'map-apply', 'Apply is what a tap there hits');
  await page.screenshot({ path: join(OUTPUT_DIR, 'editor-problem-phone.png') }); // for docs/web-page.md
  assert.deepEqual(errors, []);
  await context.close();
});

test('completion in a modbus device offers the modbus keys with their docs; arrows and Enter take one', async () => {
  const page = await openEditor();
  const seedLine = demoLines.findIndex((l) => l.trim() === 'seed: 42') + 1;
  await caretTo(page, seedLine, 0);
  await page.keyboard.type('\n\n  - id: plc\n    driver: ');
  // After `driver: ` the drivers are offered.
  await page.locator('#map-complete').waitFor();
  // Right under the caret's line.
  const offBy = await page.evaluate(() => {
    const editor = window.hwbridge.editor;
    const { y, lineHeight } = editor.caretPoint(editor.text.selectionStart);
    const box = document.getElementById('map-area').getBoundingClientRect();
    return document.getElementById('map-complete').getBoundingClientRect().top - box.top - (y + lineHeight);
  });
  assert.ok(Math.abs(offBy) < 2, `list ${offBy} px off the caret line's bottom`);
  assert.match(await page.locator('#map-complete .complete-about').textContent(), /^driver: the driver: .*modbus/);
  const drivers = await labels(page);
  assert.ok(['modbus', 'sim', 'serial', 'gpio'].every((d) => drivers.includes(d)), drivers.join());
  await page.keyboard.type('modb');
  await page.waitForFunction(() => [...document.querySelectorAll('#map-complete [role=option]')].map((o) => o.dataset.label).join() === 'modbus');
  await page.keyboard.press('Enter');
  assert.match((await caretLine(page)).text, /^ {4}driver: modbus$/);
  await page.locator('#map-complete').waitFor({ state: 'hidden' });

  // A new key in that device: Ctrl+Space lists the modbus device keys, not the simulator's.
  await page.keyboard.type('\n    ');
  await page.keyboard.press('Control+Space');
  await page.locator('#map-complete').waitFor();
  const keys = await labels(page);
  for (const k of ['label', 'host', 'tcp_port', 'unit_id', 'baud', 'parity', 'timeout']) assert.ok(keys.includes(k), `${k} in ${keys}`);
  for (const k of ['id', 'driver', 'seed', 'chip']) assert.ok(!keys.includes(k), `${k} not in ${keys}`);
  // Each with its one-line doc.
  assert.match(await page.locator('#map-complete [data-label="tcp_port"] .complete-doc').textContent(), /Modbus TCP: port/);
  await page.screenshot({ path: join(OUTPUT_DIR, 'editor-completion.png') }); // for docs/web-page.md
  // Typing filters; arrows move; Enter takes the selected one.
  await page.keyboard.type('t');
  await page.waitForFunction(() => document.querySelector('#map-complete [role=option]')?.dataset.label === 'tcp_port');
  assert.deepEqual((await labels(page)).slice(0, 2), ['tcp_port', 'timeout']);
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('#map-complete [aria-selected="true"]').getAttribute('data-label'), 'timeout');
  assert.equal(await page.locator('#map-text').getAttribute('aria-activedescendant'), 'map-complete-1');
  await page.keyboard.press('Enter');
  assert.equal((await caretLine(page)).text, '    timeout: ');
  // Escape closes without changing anything; Tab takes like Enter.
  await page.keyboard.type('500ms\n    p');
  await page.locator('#map-complete').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('#map-complete').waitFor({ state: 'hidden' });
  assert.equal((await caretLine(page)).text, '    p');
  await page.keyboard.press('Control+Space');
  await page.waitForFunction(() => document.querySelector('#map-complete [role=option]')?.dataset.label === 'port');
  await page.keyboard.press('Tab');
  assert.equal((await caretLine(page)).text, '    port: ');
  // The draft is valid modbus (a port named): the bridge agrees.
  await page.keyboard.type('/dev/ttyUSB0');
  await page.waitForFunction(() => /No problems/.test(document.getElementById('map-problems-title').textContent) &&
    document.getElementById('map-text').value.includes('port: /dev/ttyUSB0'), null, { timeout: 5000 });
  page.hwb.check();
  await page.hwb.context.close();
});

test('a sensor on the modbus device gets the modbus channel keys and, after `table: `, its values; a tap takes one', async () => {
  const context = await browser.newContext({ ...PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${baseUrl()}/#map`);
  await ready(page);
  const seedLine = demoLines.findIndex((l) => l.trim() === 'seed: 42') + 1;
  await caretTo(page, seedLine, 0);
  await page.keyboard.type('\n  - id: plc\n    driver: modbus\n    host: 192.0.2.1');
  await page.keyboard.press('Escape');
  // A new sensor at the end of the sensors, on device plc.
  const sensorsEnd = demoLines.findIndex((l) => l.trim() === 'relays:') - 1 + 3; // three lines added above
  await caretTo(page, sensorsEnd, 0);
  await page.keyboard.type('\n  - id: flow\n    device: plc\n    ');
  await page.locator('#map-suggest').tap(); // the phone's button instead of Ctrl+Space
  await page.locator('#map-complete').waitFor();
  const keys = await labels(page);
  for (const k of ['label', 'unit', 'table', 'address', 'data_type', 'word_order', 'scale']) assert.ok(keys.includes(k), `${k} in ${keys}`);
  for (const k of ['signal', 'period', 'pattern', 'id', 'device']) assert.ok(!keys.includes(k), `${k} not in ${keys}`);
  // Tap `table`: inserted, and its values are offered at once.
  await page.locator('#map-complete [data-label="table"]').tap();
  assert.equal((await caretLine(page)).text, '    table: ');
  await page.waitForFunction(() => [...document.querySelectorAll('#map-complete [role=option]')].map((o) => o.dataset.label).join() ===
    'input,holding,coil,discrete');
  assert.match(await page.locator('#map-complete .complete-about').textContent(), /^table: what is read: input \(function 04\)/);
  await page.screenshot({ path: join(OUTPUT_DIR, 'editor-values-phone.png') }); // for docs/web-page.md
  // A tap keeps the focus in the editor (and the phone's keyboard up).
  await page.locator('#map-complete [data-label="holding"]').tap();
  assert.equal((await caretLine(page)).text, '    table: holding');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'map-text');
  await page.locator('#map-complete').waitFor({ state: 'hidden' });
  // The device's values: `device: ` offers the devices of the draft.
  await page.keyboard.type('\n    address: 3\n  - id: other\n    device: ');
  await page.waitForFunction(() => [...document.querySelectorAll('#map-complete [role=option]')].map((o) => o.dataset.label).join() === 'bench,plc');
  await context.close();
});
