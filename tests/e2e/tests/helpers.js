// Shared helpers of the e2e tests: start/stop an hwbridge, launch Debian's Chromium through
// playwright-core, and open pages that fail the test on console errors or non-local requests.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = resolve(here, '..');
export const REPO_ROOT = resolve(E2E_DIR, '../..');
export const OUTPUT_DIR = process.env.HWB_E2E_OUTPUT || join(E2E_DIR, 'output');
export const DEMO_CONFIG = join(REPO_ROOT, 'config', 'demo.yaml');
export const CHROMIUM = process.env.HWB_CHROMIUM || '/usr/bin/chromium';

mkdirSync(OUTPUT_DIR, { recursive: true });

// The daemon run.sh started for tests that do not need their own.
export function baseUrl() {
  const url = process.env.HWB_BASE_URL;
  if (!url) throw new Error('HWB_BASE_URL is not set: run the tests through tests/e2e/run.sh');
  return url;
}

// Starts `$HWB_BINARY config --listen listen`, resolves once it logs its address.
// Returns { port, url, process, stop() }; stop() sends SIGTERM and waits for the exit.
export function startDaemon({ listen = '127.0.0.1:0', config = DEMO_CONFIG, name = 'daemon', timeoutMs = 10000 } = {}) {
  const binary = process.env.HWB_BINARY;
  if (!binary) throw new Error('HWB_BINARY is not set: run the tests through tests/e2e/run.sh');
  const log = createWriteStream(join(OUTPUT_DIR, `${name}.log`), { flags: 'a' });
  const child = spawn(binary, [config, '--listen', listen], { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  const exit = new Promise((resolveExit) => child.on('exit', (code, signal) => { exited = true; resolveExit({ code, signal }); }));
  return new Promise((resolveStart, rejectStart) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`hwbridge did not log "listening on" within ${timeoutMs} ms; output:\n${text}`));
    }, timeoutMs);
    const onData = (chunk) => {
      log.write(chunk);
      text += chunk.toString();
      const match = text.match(/listening on http:\/\/([\d.]+):(\d+)/);
      if (match && timer) {
        clearTimeout(timer);
        const port = Number(match[2]);
        resolveStart({
          port,
          url: `http://127.0.0.1:${port}`,
          process: child,
          exit,
          async stop() {
            if (!exited) child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
            const result = await exit;
            clearTimeout(killer);
            log.end();
            return result;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => { clearTimeout(timer); rejectStart(e); });
    exit.then(({ code, signal }) => {
      clearTimeout(timer);
      rejectStart(new Error(`hwbridge exited (code ${code}, signal ${signal}) before listening; output:\n${text}`));
    });
  });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Opens url in a new context. Every HTTP request and WebSocket is checked to stay on 127.0.0.1
// (others are aborted and recorded); console errors and page exceptions are recorded.
// page.hwb.check() asserts none happened.
export async function openPage(browser, url, { viewport = { width: 1280, height: 800 }, colorScheme = 'light',
  allowConsoleErrors = null } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const problems = { foreign: [], consoleErrors: [], pageErrors: [], requests: [] };
  await context.route('**', (route) => {
    const requestUrl = route.request().url();
    if (isLocal(requestUrl)) return route.continue();
    problems.foreign.push(requestUrl);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => {
    problems.requests.push(request.url());
    if (!isLocal(request.url())) problems.foreign.push(request.url());
  });
  const page = await context.newPage();
  page.on('websocket', (ws) => {
    problems.requests.push(ws.url());
    if (!isLocal(ws.url())) problems.foreign.push(ws.url());
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (allowConsoleErrors && allowConsoleErrors.test(text)) return;
    problems.consoleErrors.push(text);
  });
  page.on('pageerror', (error) => problems.pageErrors.push(String(error)));
  await page.goto(url);
  page.hwb = {
    context,
    problems,
    check() {
      const issues = [];
      if (problems.foreign.length) issues.push(`requests leaving 127.0.0.1: ${problems.foreign.join(', ')}`);
      if (problems.consoleErrors.length) issues.push(`console errors: ${problems.consoleErrors.join(' | ')}`);
      if (problems.pageErrors.length) issues.push(`page errors: ${problems.pageErrors.join(' | ')}`);
      if (issues.length) throw new Error(issues.join('\n'));
    },
  };
  return page;
}

function isLocal(url) {
  try {
    const u = new URL(url);
    if (u.protocol === 'data:' || u.protocol === 'about:') return true;
    return u.hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

// Waits until the page says all three connections are up.
export async function waitLive(page, timeout = 10000) {
  await page.waitForFunction(() => document.getElementById('conn')?.dataset.state === 'open', null, { timeout });
}

export const relaySwitch = (page, id) => page.locator(`[data-relay="${id}"] [role="switch"]`);

// A free TCP port on 127.0.0.1 (for a process that must be told its port, like mosquitto).
export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// mosquitto on 127.0.0.1:port; resolves once it accepts connections.
export function startBroker(dir, port) {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exit = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const attempt = () => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.on('connect', () => { socket.destroy(); resolve({ stop: async () => { child.kill('SIGKILL'); await exit; } }); });
      socket.on('error', () => {
        if (Date.now() - started > 10000) reject(new Error('mosquitto did not start'));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}
