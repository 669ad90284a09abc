// Completion for the device map editor (editor.js): keys and values offered from the JSON Schema
// the bridge serves (GET /api/map/schema, what `hwbridge --schema` prints), for the mapping the
// caret is in: a device's keys follow its `driver:`, a channel's the driver of its `device:`, an
// automation's its `type:`. A small list under the caret, by keyboard (arrows, Enter or Tab,
// Escape) and by touch (tap an item); each entry shows the key's one-line doc.

import { el } from './dom.js';
import { deviceDrivers, lineInfo, pathAt } from './yaml.js';

const MAX_ITEMS = 60;

// The keys a mapping of schema `node` may have, given the keys it already has (`siblings`):
// its properties, those of the if/then branches its siblings select (a device's driver, an
// automation's type), and for a channel those of its device's driver (`drivers`: id -> driver).
export function keysOf(node, siblings, drivers) {
  const keys = new Map();
  if (!node || typeof node !== 'object') return keys;
  const base = node.properties || {};
  const add = (properties) => {
    for (const [key, schema] of Object.entries(properties || {})) {
      const resolved = schema === true ? base[key] : schema;
      if (resolved && typeof resolved === 'object' && !keys.has(key)) keys.set(key, resolved);
      else if (resolved && typeof resolved === 'object' && keys.get(key) === base[key]) keys.set(key, resolved);
    }
  };
  add(base);
  const selects = (condition) => Object.entries(condition?.properties || {})
    .every(([key, c]) => c && 'const' in c && siblings.has(key) && String(siblings.get(key)) === String(c.const));
  for (const branch of node.allOf || []) if (branch.if && selects(branch.if)) add(branch.then?.properties);
  if (node.anyOf && siblings.has('device')) {
    const driver = drivers.get(String(siblings.get('device')));
    const fit = node.anyOf.find((f) => typeof f.title === 'string' && f.title.includes(`'${driver}'`));
    if (fit) add(fit.properties);
  }
  return keys;
}

// The schema of list items, or of a mapping, through `type: [array, null]` and oneOf.
function itemsOf(node) {
  if (!node) return null;
  if (node.items) return node.items;
  for (const alt of node.oneOf || node.anyOf || []) if (alt.items) return alt.items;
  return null;
}

// A short description of what a key takes, for the list: "one of a, b" or the type.
function kindOf(schema) {
  if (schema.enum) return schema.enum.map(String).join(' | ');
  if (schema.items || schema.type === 'array') return 'list';
  if (schema.properties) return 'section';
  const type = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null')[0] : schema.type;
  return type === 'string' && schema.pattern?.includes('ms|s|m|h|d') ? 'duration' : type || '';
}

// What the caret is completing in `text` at `caret`: {kind: 'key'|'value', from, to, word,
// options: [{label, insert, doc, kind}]}, or null.
export function suggestions(schema, text, caret, { force = false } = {}) {
  if (!schema) return null;
  const lineStart = text.lastIndexOf('\n', caret - 1) + 1;
  let lineEnd = text.indexOf('\n', caret);
  if (lineEnd < 0) lineEnd = text.length;
  const before = text.slice(lineStart, caret);
  const after = text.slice(caret, lineEnd);
  const lines = text.split('\n');
  const at = text.slice(0, lineStart).split('\n').length - 1;
  const infos = lines.map(lineInfo);
  // The word after the caret is replaced too (completing in the middle of a key).
  const tail = /^[\w$.-]*/.exec(after)[0];

  const keyMatch = /^( *)((?:- +)*)([\w$.-]*)$/.exec(before);
  const valueMatch = /^( *)((?:- +)*)([\w$.-]+): +([\w$.-]*)$/.exec(before);
  let kind;
  let col;
  let word;
  let key = null;
  if (keyMatch && (force || keyMatch[3].length > 0) && !/^\s*:/.test(after.slice(tail.length))) {
    kind = 'key';
    col = keyMatch[1].length + keyMatch[2].length;
    word = keyMatch[3];
  } else if (valueMatch) {
    kind = 'value';
    col = valueMatch[1].length + valueMatch[2].length;
    key = valueMatch[3];
    word = valueMatch[4];
    if (after.slice(tail.length).trim() && !after.slice(tail.length).trim().startsWith('#')) return null;
  } else {
    return null;
  }
  // The caret's own line as if it were a key line at `col` (its key is not a sibling of itself).
  const own = { ...infos[at], col, key: null, value: null,
    lastDash: (keyMatch || valueMatch)[2] ? col - 2 : -1, indent: (keyMatch || valueMatch)[1].length, blank: false };
  infos[at] = own;
  const path = pathAt(infos, at, col, own);
  if (!path) return null;
  const drivers = deviceDrivers(infos);
  let node = schema;
  let level = 0;
  for (const step of path.steps) {
    if (step.item) node = itemsOf(node);
    else node = keysOf(node, path.levels[level++].siblings, drivers).get(step.key);
    if (!node) return null;
  }
  const mapping = path.levels[path.levels.length - 1];
  const keys = keysOf(node, mapping.siblings, drivers);
  let options = [];
  if (kind === 'key') {
    const indent = ' '.repeat(col);
    for (const [name, s] of keys) {
      if (mapping.siblings.has(name)) continue;
      let insert = `${name}: `;
      const items = itemsOf(s);
      if (s.properties && !s.enum) insert = `${name}:\n${indent}  `;
      else if (items?.properties && s.type !== 'string') insert = `${name}:\n${indent}  - `;
      options.push({ label: name, insert, doc: s.description || '', kind: kindOf(s) });
    }
  } else {
    const s = keys.get(key);
    if (!s) return null;
    let values = [];
    if (s.enum) values = s.enum.map(String);
    else if (s.type === 'boolean') values = ['true', 'false'];
    else if (key === 'device') values = [...drivers.keys()];
    values = [...new Set(values)];
    options = values.map((v) => ({ label: v, insert: v, doc: v === String(s.default) ? 'default' : '', kind: '' }));
    if (key === 'device') options.forEach((o) => { o.doc = `${drivers.get(o.label) || '?'} device`; });
    if (key === 'driver') {
      // "the driver: gpio: …; hwmon: …": each driver's own line.
      const parts = new Map((s.description || '').replace(/^the driver: /, '').split('; ')
        .map((p) => [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1).trim()]));
      options.forEach((o) => { o.doc = parts.get(o.label) || ''; });
    }
  }
  const lower = word.toLowerCase();
  const starts = options.filter((o) => o.label.toLowerCase().startsWith(lower));
  const within = options.filter((o) => !o.label.toLowerCase().startsWith(lower) && lower && o.label.toLowerCase().includes(lower));
  options = [...starts, ...within].slice(0, MAX_ITEMS);
  if (!options.length) return null;
  if (options.length === 1 && options[0].label === word + tail && kind === 'value') return null; // already there
  const about = kind === 'value' ? keys.get(key)?.description || '' : '';
  return { kind, key, about, word, from: caret - word.length, to: caret + tail.length, options };
}

// The list under the caret. `editor` is the MapEditor (its textarea, its schema).
export class Completion {
  constructor(editor, area, list) {
    this.editor = editor;
    this.area = area; // the positioned box holding the textarea
    this.list = list;
    this.text = editor.text;
    this.current = null;
    this.selected = 0;
    // A tap on an item must not take the focus (or the phone's keyboard) from the textarea.
    this.list.addEventListener('pointerdown', (e) => e.preventDefault());
    this.list.addEventListener('mousedown', (e) => e.preventDefault());
    this.list.addEventListener('click', (e) => {
      const item = e.target.closest('[data-index]');
      if (item) this.accept(Number(item.dataset.index));
    });
  }

  get open() { return !this.list.hidden; }

  // After an input (typing), or asked for (`force`: Ctrl+Space, the Suggest button).
  update({ force = false } = {}) {
    const text = this.text;
    if (!this.editor.schema || text.readOnly || text.selectionStart !== text.selectionEnd) return this.close();
    const found = suggestions(this.editor.schema, text.value, text.selectionStart, { force });
    if (!found) return this.close();
    const sameList = this.current && this.current.options.length === found.options.length &&
      this.current.options.every((o, i) => o.label === found.options[i].label);
    this.current = found;
    if (!sameList) this.selected = 0;
    this.render();
    return true;
  }

  render() {
    const { options, about, key } = this.current;
    // For values: what the key is, above them.
    const head = about ? el('li', { role: 'presentation', class: 'complete-about' }, `${key}: ${about}`) : null;
    this.list.replaceChildren(...(head ? [head] : []), ...options.map((o, i) => el('li', {
      role: 'option', id: `map-complete-${i}`, 'data-index': i, 'data-label': o.label,
      'aria-selected': i === this.selected ? 'true' : 'false', class: 'complete-item',
    }, el('span', { class: 'complete-label' }, o.label),
    o.kind ? el('span', { class: 'complete-kind' }, o.kind) : null,
    o.doc ? el('span', { class: 'complete-doc' }, o.doc) : null)));
    this.list.hidden = false;
    this.list.setAttribute('aria-label', this.current.kind === 'key' ? 'Keys' : `Values of ${this.current.key}`);
    this.text.setAttribute('aria-expanded', 'true');
    this.text.setAttribute('aria-activedescendant', `map-complete-${this.selected}`);
    this.place();
    this.reveal();
  }

  // Under the caret's line (above it when there is no room below), within the box.
  place() {
    if (!this.open) return;
    const { x, y, lineHeight } = this.editor.caretPoint(this.current.from);
    const box = this.area.getBoundingClientRect();
    const width = Math.min(380, box.width - 8);
    this.list.style.width = `${width}px`;
    const left = Math.max(4, Math.min(x, box.width - width - 4));
    const height = this.list.offsetHeight;
    const below = y + lineHeight;
    const top = below + height <= box.height || y - height < 0 ? below : y - height;
    this.list.style.left = `${left}px`;
    this.list.style.top = `${Math.max(0, top)}px`;
  }

  items() { return this.list.querySelectorAll('[role="option"]'); }

  reveal() {
    const item = this.items()[this.selected];
    if (!item) return;
    if (item.offsetTop < this.list.scrollTop) this.list.scrollTop = item.offsetTop;
    else if (item.offsetTop + item.offsetHeight > this.list.scrollTop + this.list.clientHeight) {
      this.list.scrollTop = item.offsetTop + item.offsetHeight - this.list.clientHeight;
    }
  }

  move(delta) {
    const n = this.current.options.length;
    this.selected = (this.selected + delta + n) % n;
    for (const [i, item] of [...this.items()].entries()) item.setAttribute('aria-selected', i === this.selected ? 'true' : 'false');
    this.text.setAttribute('aria-activedescendant', `map-complete-${this.selected}`);
    this.reveal();
  }

  // Keys while the list is open; true when the key was used here.
  keydown(e) {
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      this.update({ force: true });
      return true;
    }
    if (!this.open) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.move(e.key === 'ArrowDown' ? 1 : -1);
      return true;
    }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) {
      e.preventDefault();
      this.accept(this.selected);
      return true;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
      return true;
    }
    return false;
  }

  accept(index) {
    const option = this.current?.options[index];
    if (!option) return;
    const { from, to, kind } = this.current;
    this.close();
    const text = this.text;
    text.focus();
    text.setSelectionRange(from, to);
    // insertText keeps the browser's undo history; setRangeText where it is missing.
    this.editor.accepting = true;
    try {
      if (!document.execCommand('insertText', false, option.insert)) {
        text.setRangeText(option.insert, from, to, 'end');
        this.editor.edited();
      }
    } finally {
      this.editor.accepting = false;
    }
    // A key whose values are known: offer them at once.
    if (kind === 'key' && option.insert.endsWith(': ')) this.update();
  }

  close() {
    if (this.list.hidden) return false;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.current = null;
    this.text.setAttribute('aria-expanded', 'false');
    this.text.removeAttribute('aria-activedescendant');
    return false;
  }
}
