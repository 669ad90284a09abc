// hwbridge page: one WebSocket per subprotocol, the UI built only from their `hello` messages.

import { Connection } from './connection.js';
import { SensorPanel } from './sensors.js';
import { RelayPanel } from './relays.js';
import { AutomationPanel } from './automations.js';
import { ConsolePanel } from './consoles.js';
import { setText } from './dom.js';
import { MapEditor } from './editor.js';
import { setToken, signInWithPassphrase } from './auth.js';
import { uiOf } from './things.js';

const PROTOCOL_VERSION = 1;

const $ = (id) => document.getElementById(id);

const panels = {
  sensor: new SensorPanel($('sensor-grid')),
  relay: new RelayPanel($('relay-grid')),
  text: new ConsolePanel($('text-grid')),
};
// Automations travel on the relay connection (docs/automations.md).
const automations = new AutomationPanel($('automations'), $('automation-grid'), $('automation-count'));
const sections = { sensor: $('sensors'), relay: $('relays'), text: $('consoles') };
const counts = { sensor: $('sensor-count'), relay: $('relay-count'), text: $('text-count') };
const helloSeen = { sensor: false, relay: false, text: false };
const groupSections = new Map(); // ui.group title -> { section, grid, note, kinds } (arrange)

const connections = {};
for (const name of ['sensor', 'relay', 'text']) {
  connections[name] = new Connection(name, {
    onHello: (message, connection) => hello(name, message, connection),
    onMessage: (message) => {
      if (message.type === 'uplink') showUplink(message);
      else if (name === 'relay' && message.type === 'automation') automations.message(message);
      else panels[name].message(message);
      if (message.type === 'status') markBridges();
    },
    onState: (state, connection) => connectionState(name, connection),
    onAuthRequired: (message) => showSignIn(null, message.login || ['token']),
    onAuthFailed: (message) => authFailed(message),
  });
}

// Links to the world outside (the MQTT uplink): a badge in the header per uplink, from `uplink`
// messages on the sensor connection. A hello starts afresh: the bridge sends every uplink after it.
const uplinks = new Map();
const UPLINK_WORDS = { connected: 'connected', connecting: 'connecting…', disconnected: 'broker unreachable', off: 'off' };

function showUplink(message) {
  if (message.state === 'removed') uplinks.delete(message.name);
  else uplinks.set(message.name, message);
  renderUplinks();
}

function renderUplinks() {
  const box = $('uplinks');
  box.replaceChildren();
  for (const u of uplinks.values()) {
    const since = u.since ? new Date(u.since).toLocaleTimeString() : '';
    const words = UPLINK_WORDS[u.state] || u.state;
    let detail = `${u.name.toUpperCase()} ${words} (${u.target}) since ${since}`;
    if (u.detail) detail += ` — ${u.detail}`;
    if (u.dropped) detail += ` · ${u.dropped} readings not delivered while it was away`;
    const badge = document.createElement('span');
    badge.className = 'uplink';
    badge.dataset.state = u.state;
    badge.dataset.name = u.name;
    badge.title = detail;
    badge.setAttribute('role', 'status');
    const dot = document.createElement('span');
    dot.className = 'uplink-dot';
    const name = document.createElement('span');
    name.textContent = u.name.toUpperCase();
    // The state in words when something is wrong (phones show the dot's colour only).
    const state = document.createElement('span');
    state.className = 'uplink-words';
    state.textContent = u.state === 'connected' ? '' : words;
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = detail;
    badge.append(dot, name, state, hidden);
    box.append(badge);
  }
  box.hidden = uplinks.size === 0;
}

function hello(name, message, connection) {
  if (name === 'sensor') {
    uplinks.clear();
    renderUplinks();
  }
  if (message.version !== PROTOCOL_VERSION) {
    banner(`This page speaks protocol version ${PROTOCOL_VERSION}; the bridge speaks version ${message.version}. ` +
      'Reload the page; if this stays, the page and the bridge do not match.');
  }
  if (message.bridge) {
    setText($('bridge-name'), message.bridge);
    document.title = `${message.bridge} — hwbridge`;
  }
  // A second hello on the same connection: the bridge reloaded its device map.
  if (helloSeen[name] && name === 'sensor') editor.mapMayHaveChanged();
  helloSeen[name] = true;
  showAccess(message.access);
  hideSignIn();
  // Signed out earlier, and this client may still see things (an anonymous role): the map too.
  if (!$('editor').hidden) editor.show();
  panels[name].hello(message, connection);
  if (name === 'relay') automations.hello(message, connection);
  arrange();
  const ids = ['sensor', 'relay', 'text'].map((n) => connections[n]?.hello?.client).filter(Boolean);
  setText($('client-ids'), ids.length ? `connection ${ids.join(', ')}` : '');
  updateEmpty();
  connectionState(name, connection);
}

// ---- groups and order (docs/web-page.md, "Order and groups") ----
// Each panel keeps its cards in `ui.order` order (things.js dashboardChannels); here the cards of
// every `ui.group` move into one titled section per group, groups ordered by their first channel
// (lowest order, then map order: sensors, relays, texts). Channels without a group stay in their
// kind's section, below the groups. Runs after every hello.

function groupSection(title) {
  let g = groupSections.get(title);
  if (g) return g;
  const section = document.createElement('section');
  section.className = 'panel group';
  section.dataset.group = title;
  const heading = document.createElement('h2');
  heading.textContent = title;
  // A hub's group of another bridge says whether that bridge is there (markBridges).
  const bridge = document.createElement('span');
  bridge.className = 'bridge-state';
  bridge.hidden = true;
  heading.append(bridge);
  const note = document.createElement('p');
  note.className = 'stale-note';
  note.setAttribute('role', 'status');
  const grid = document.createElement('div');
  grid.className = 'grid group-grid';
  section.setAttribute('aria-label', title);
  section.append(heading, note, grid);
  g = { section, grid, note, bridge, cards: [], kinds: new Set() };
  groupSections.set(title, g);
  return g;
}

function arrange() {
  const rows = $('dashboard').dataset.layout === 'rows';
  const grouped = new Map(); // title -> [{ card, kind, order, index }]
  let index = 0;
  for (const kind of ['sensor', 'relay', 'text']) {
    let ungrouped = 0;
    for (const card of panels[kind].cards.values()) {
      const ui = uiOf(card.meta);
      if (kind !== 'text') card.node.classList.toggle('row', rows || ui.compact === true);
      card.node.classList.toggle('compact', ui.compact === true);
      if (!ui.group) {
        ungrouped += 1;
        if (card.node.parentNode !== panels[kind].container) panels[kind].container.append(card.node);
        continue;
      }
      if (!grouped.has(ui.group)) grouped.set(ui.group, []);
      grouped.get(ui.group).push({ card, kind, order: ui.order || 0, index: index++ });
    }
    sections[kind].hidden = ungrouped === 0;
    setText(counts[kind], String(ungrouped));
  }
  $('sensor-range').hidden = panels.sensor.cards.size === 0;
  const byOrder = (a, b) => a.order - b.order || a.index - b.index;
  const groups = [...grouped.entries()].map(([title, items]) => ({ title, items: items.sort(byOrder) }))
    .sort((a, b) => byOrder(a.items[0], b.items[0]));
  const box = $('groups');
  for (const { title, items } of groups) {
    const g = groupSection(title);
    g.kinds = new Set(items.map((i) => i.kind));
    g.cards = items.map((i) => i.card);
    for (const { card } of items) g.grid.append(card.node);
    box.append(g.section);
  }
  for (const [title, g] of groupSections) {
    if (!grouped.has(title)) {
      g.section.remove();
      groupSections.delete(title);
    }
  }
  markGroupsStale();
  markBridges();
}

// The availability of each imported bridge, from its channels' status (its last will takes them
// all offline on the hub): "online", "offline" with the reason, or how many are offline.
function markBridges() {
  for (const g of groupSections.values()) {
    const imported = g.cards.filter((card) => card.meta?.origin);
    g.bridge.hidden = imported.length === 0;
    if (imported.length === 0) continue;
    const origins = [...new Set(imported.map((card) => card.meta.origin))];
    // "bridge online" under a heading that names it; the bridges' names where the map's group does not.
    const who = origins.length === 1 && origins[0] === g.section.dataset.group ? 'bridge' : `${origins.join(', ')}:`;
    const offline = imported.filter((card) => card.online === false);
    let state = 'online';
    let text = `${who} online`;
    if (offline.length === imported.length) {
      state = 'offline';
      const reason = offline[0].reason ? ` (${offline[0].reason})` : '';
      text = `${who} offline${reason}`;
    } else if (offline.length > 0) {
      state = 'partial';
      text = `${who} ${offline.length} of ${imported.length} channels offline`;
    }
    g.bridge.dataset.state = state;
    g.section.dataset.bridge = state;
    setText(g.bridge, text);
  }
}

// A group is dimmed while a connection one of its channels travels on is down.
function markGroupsStale() {
  for (const g of groupSections.values()) {
    const stale = [...g.kinds].some((kind) => connections[kind] && connections[kind].state !== 'open');
    g.section.classList.toggle('stale', stale);
    setText(g.note, stale ? 'Not connected — showing the last known state. Controls are paused until the page reconnects.' : '');
  }
}

function updateEmpty() {
  const all = Object.values(helloSeen).every(Boolean);
  const none = Object.values(sections).every((s) => s.hidden) && groupSections.size === 0;
  $('loading').hidden = Object.values(helloSeen).some(Boolean);
  $('empty').hidden = !(all && none);
}

function banner(text) {
  const node = $('banner');
  setText(node, text);
  node.hidden = false;
}

// ---- connection indicator ----
const STATE_TEXT = { open: 'connected', connecting: 'connecting…', waiting: 'reconnecting', signin: 'sign-in needed' };

function connectionState(name, connection) {
  const section = sections[name];
  section.classList.toggle('stale', connection.state !== 'open');
  setText(section.querySelector('.stale-note'), connection.state === 'open' ? '' :
    'Not connected — showing the last known state. Controls are paused until the page reconnects.');
  panels[name].connectionChanged?.(connection);
  markGroupsStale();
  updateIndicator();
}

let wasLive = false;

function updateIndicator() {
  const list = Object.values(connections);
  if (list.length < 3) return;
  const open = list.filter((c) => c.state === 'open').length;
  const overall = open === list.length ? 'open' : list.some((c) => c.hello || c.state === 'open') || open ? 'partial' : 'down';
  const status = $('conn');
  status.dataset.state = open === list.length ? 'open' : 'down';
  let text;
  if (open === list.length) {
    text = 'Live';
  } else if (list.some((c) => c.state === 'signin')) {
    text = 'Sign in';
  } else {
    const waiting = list.filter((c) => c.state === 'waiting');
    if (waiting.length) {
      const s = Math.max(0, Math.ceil((Math.min(...waiting.map((c) => c.retryAt)) - Date.now()) / 1000));
      text = s > 0 ? `Disconnected · retry in ${s} s` : 'Reconnecting…';
    } else {
      text = 'Connecting…';
    }
  }
  setText($('conn-label'), text);
  // Announce transitions only, not the countdown.
  const announce = open === list.length ? 'Connected to the bridge' : wasLive ? 'Connection to the bridge lost, reconnecting' : null;
  if (announce && (open === list.length) !== wasLive) setText($('conn-announce'), announce);
  wasLive = open === list.length;
  status.title = overall === 'open' ? 'All three connections are up' : 'Click to reconnect now';
  for (const [name, c] of Object.entries(connections)) {
    const dot = $(`conn-${name}`);
    dot.dataset.state = c.state;
    const label = `${name}: ${STATE_TEXT[c.state]}`;
    dot.title = label;
    setText(dot.querySelector('.visually-hidden'), label);
  }
}

// Reconnect countdown ticks while something is down.
setInterval(() => {
  if (Object.values(connections).some((c) => c.state !== 'open')) updateIndicator();
}, 1000);

$('conn').addEventListener('click', () => {
  for (const c of Object.values(connections)) c.retryNow();
});
window.addEventListener('online', () => {
  for (const c of Object.values(connections)) c.retryNow();
});
// A phone that wakes the page: try at once instead of finishing a countdown started in the pocket.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') for (const c of Object.values(connections)) c.retryNow();
});

// ---- signing in (docs/web-page.md, "Signing in") ----
let access = null;

function showAccess(info) {
  access = info || null;
  const who = $('who');
  // A bridge without authentication shows nothing: everyone on this machine is an operator.
  if (!access || access.method === 'none') {
    who.hidden = true;
    return;
  }
  who.hidden = false;
  const signedIn = access.method === 'token' || access.method === 'machine';
  setText($('who-text'), signedIn ? `${access.role} · ${access.subject}` : `${access.role} (not signed in)`);
  $('who-text').title = access.expires ? `signed in until ${new Date(access.expires).toLocaleString()}` : '';
  $('sign-out').hidden = !signedIn;
  $('sign-in-open').hidden = signedIn;
}

function showSignIn(reason, login = ['token', 'passphrase']) {
  $('signin').hidden = false;
  $('dashboard').hidden = true;
  $('editor').hidden = true;
  $('signin-passphrase-form').hidden = !login.includes('passphrase');
  setText($('signin-reason'), reason || 'This bridge needs you to sign in before it shows anything.');
  const first = login.includes('passphrase') ? $('signin-passphrase') : $('signin-token');
  if (document.activeElement?.tagName !== 'INPUT') first.focus();
}

function hideSignIn() {
  if ($('signin').hidden) return;
  $('signin').hidden = true;
  setText($('signin-message'), '');
  showView();
}

const AUTH_TEXT = {
  token_expired: 'Your sign-in has expired. Sign in again.',
  bad_token: 'The bridge did not accept the token. Sign in again.',
  unauthorized: 'Sign in first.',
};

function authFailed(message) {
  setToken('');
  showSignIn(AUTH_TEXT[message.code] || `Sign in again (${message.code}).`);
  showAccess(null);
}

// Every connection starts over with the token the page now holds (or none).
function reconnectAll() {
  for (const c of Object.values(connections)) c.resume();
  editor.accessChanged();
}

// Nothing of the identity that left stays on screen; the hellos that follow say who this is now.
function signOut() {
  setToken('');
  showAccess(null);
  setText($('bridge-name'), 'hwbridge');
  document.title = 'hwbridge';
  setText($('client-ids'), '');
  editor.signedOut();
  for (const c of Object.values(connections)) c.resume();
}

$('signin-passphrase-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('signin-passphrase');
  setText($('signin-message'), 'Checking…');
  try {
    await signInWithPassphrase(input.value);
  } catch (e) {
    const text = e.code === 'bad_passphrase' ? 'Wrong pass-phrase.'
      : e.code === 'too_many_attempts' ? `Too many failed attempts from this address. Wait ${e.retryAfter || 'a few'} s and try again.`
        : e.message;
    setText($('signin-message'), text);
    input.select();
    return;
  }
  input.value = '';
  setText($('signin-message'), '');
  reconnectAll();
});

$('signin-token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setToken($('signin-token').value.trim());
  $('signin-token').value = '';
  setText($('signin-message'), '');
  reconnectAll();
});

$('sign-out').addEventListener('click', signOut);

$('sign-in-open').addEventListener('click', () => showSignIn('Sign in for more than the anonymous role.'));

// ---- layout of the dashboard: cards (values, trends) or rows (one line per channel, switches
// first: the compact control panel for a phone); remembered by this browser ----
const LAYOUT_KEY = 'hwbridge.layout';

function setLayout(layout) {
  $('dashboard').dataset.layout = layout;
  $('layout-cards').setAttribute('aria-pressed', String(layout === 'cards'));
  $('layout-rows').setAttribute('aria-pressed', String(layout === 'rows'));
  try {
    localStorage.setItem(LAYOUT_KEY, layout);
  } catch {
    // storage disabled: the choice lasts until the page reloads
  }
  arrange();
  // Trends shown again are drawn at once, not at their next reading.
  if (layout === 'cards') for (const card of panels.sensor.cards.values()) card.redraw();
}
$('layout-cards').addEventListener('click', () => setLayout('cards'));
// Chart range: the live trend, or stored history of the last 1 h ... 30 d (docs/history.md).
for (const button of $('sensor-range').querySelectorAll('button')) {
  button.addEventListener('click', () => {
    for (const other of $('sensor-range').querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === button));
    panels.sensor.setRange(button.dataset.range === 'live' ? null : Number(button.dataset.range));
  });
}
$('layout-rows').addEventListener('click', () => setLayout('rows'));
try {
  if (localStorage.getItem(LAYOUT_KEY) === 'rows') setLayout('rows');
} catch {
  // no storage: cards
}

// ---- views: the dashboard (#) and the device map editor (#map) ----
const editor = new MapEditor();

function showView() {
  if (!$('signin').hidden) return; // signing in comes first
  const map = location.hash === '#map';
  $('dashboard').hidden = map;
  $('editor').hidden = !map;
  if (map) {
    $('nav-dashboard').removeAttribute('aria-current');
    $('nav-map').setAttribute('aria-current', 'page');
    // Only once a hello said what this client may see: before it, /api/map would be refused.
    if (Object.values(helloSeen).some(Boolean)) editor.show();
  } else {
    $('nav-map').removeAttribute('aria-current');
    $('nav-dashboard').setAttribute('aria-current', 'page');
  }
}
window.addEventListener('hashchange', showView);
showView();

updateIndicator();
updateEmpty();

// For tests and curious users: the page's connections, read-only use please.
window.hwbridge = { connections, panels, editor, get access() { return access; } };
