// Small DOM helpers shared by the page's modules, and the one per-frame render pass.

const SVG_NS = 'http://www.w3.org/2000/svg';

// el('div', {class: 'card', 'data-id': 'x'}, child, 'text') — attributes only, never inline style.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children) if (child != null) node.append(child);
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
}

// Sets textContent only when it changed (cheap, avoids needless style/layout invalidation).
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttr(node, name, value) {
  const v = String(value);
  if (node.getAttribute(name) !== v) node.setAttribute(name, v);
}

// ---- one render pass per animation frame ----
// Message handlers only store data and call invalidate(); every DOM write happens in the frame
// callback, so 200 readings/s cost at most one DOM pass per frame.
const renderers = new Set();
let scheduled = false;

export function invalidate(renderer) {
  renderers.add(renderer);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(flush);
  }
}

function flush() {
  scheduled = false;
  const batch = [...renderers];
  renderers.clear();
  for (const render of batch) {
    try {
      render();
    } catch (e) {
      console.error('render failed', e);
    }
  }
}

// ---- the bridge's clock ----
// Times on the wire are the bridge's epoch milliseconds; estimate its offset to ours from the
// newest reading so "n s ago" and the trend's time axis are right even if the clocks differ.
let clockOffset = 0; // bridge time - local time
let offsetKnown = false;

export function noteBridgeTime(time) {
  if (typeof time !== 'number') return;
  const offset = time - Date.now();
  // Readings arrive after they were taken, so the largest offset seen recently is the best one;
  // decay slowly so a clock step on the bridge is followed.
  if (!offsetKnown || offset > clockOffset) clockOffset = offset;
  else clockOffset += (offset - clockOffset) * 0.01;
  offsetKnown = true;
}

export function bridgeNow() {
  return Date.now() + clockOffset;
}

// HH:MM:SS in local time, by arithmetic: Intl formatting and even Date#getHours() (a time zone
// lookup) cost up to a millisecond per call on a slow machine, too much for every sensor in
// every frame. The zone offset is looked up once a minute (for DST changes).
const pad = (n) => (n < 10 ? `0${n}` : String(n));
let zoneOffsetMs = 0;
let zoneCheckedAt = -Infinity;

export function formatClock(time) {
  if (typeof time !== 'number') return '';
  const local = time - clockOffset;
  if (Math.abs(local - zoneCheckedAt) > 60000) {
    zoneOffsetMs = -new Date(local).getTimezoneOffset() * 60000;
    zoneCheckedAt = local;
  }
  const s = Math.floor((local + zoneOffsetMs) / 1000);
  return `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

export function formatAgo(time) {
  if (typeof time !== 'number') return '';
  const s = Math.max(0, Math.round((bridgeNow() - time) / 1000));
  if (s < 5) return 'just now';
  if (s < 90) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min ago`;
  return formatClock(time);
}

// Makes container hold one card per channel, in hello order: existing cards (same id) are kept
// and updated, new ones created, vanished ones removed. Reconnects therefore never duplicate.
export function reconcile(container, cards, channels, create) {
  const seen = new Set();
  let previous = null;
  for (const channel of channels) {
    seen.add(channel.id);
    let card = cards.get(channel.id);
    if (!card) {
      card = create(channel);
      cards.set(channel.id, card);
    }
    card.setMeta(channel);
    const node = card.node;
    const expected = previous ? previous.nextSibling : container.firstChild;
    if (node !== expected) container.insertBefore(node, expected);
    previous = node;
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.node.remove();
      card.dispose?.();
      cards.delete(id);
    }
  }
}
