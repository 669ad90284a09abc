// The device map editor (docs/web-page.md, "Device map"): the running map in a textarea with a
// line-number gutter, server-side validation as you type, a line diff against the running map,
// and Apply / Save for admins (docs/protocol.md, "Device map" for the HTTP API).
// The textarea's text is transparent over a coloured copy (#map-highlight, only the lines in
// view, kept at the textarea's scroll position), so editing stays native (selection, undo, phone
// keyboards) while the text shows YAML colours and each problem underlined at its line and
// column with its message beside it; the problem on the caret's line is also spelled out under
// it (#map-callout), which needs no hover. Completion: complete.js.

import { el, setText } from './dom.js';
import { authHeaders } from './auth.js';
import { diffLines, hunks } from './diff.js';

// Colouring and completion (yaml.js, complete.js) load with the editor's first showing: a visit
// of the dashboard does not pay for them (docs/web-page.md, "Delivery"). Until then the textarea
// shows its own, plain text.
let yaml = null;
let helpers = null;
const loadHelpers = () => {
  helpers ??= Promise.all([import('./yaml.js'), import('./complete.js')]).then(([y, c]) => {
    yaml = y;
    return c;
  });
  return helpers;
};
// What stands for the completion until complete.js is there.
const NO_COMPLETION = { open: false, current: null, update() {}, place() {}, close() {}, keydown: () => false };

const VALIDATE_DELAY_MS = 400;
// The textarea's padding (style.css .map-text), where the first line and column start.
const PAD_TOP = 8;
const PAD_LEFT = 10;
// Lines coloured above and below the ones in view, so a fast scroll rarely shows plain text.
const HIGHLIGHT_MARGIN = 20;

const $ = (id) => document.getElementById(id);

export class MapEditor {
  constructor() {
    this.text = $('map-text');
    this.gutter = $('map-gutter');
    this.problemsNode = $('map-problems');
    this.problemsTitle = $('map-problems-title');
    this.diffNode = $('map-diff');
    this.diffTitle = $('map-diff-title');
    this.statusNode = $('map-status');
    this.adminNode = $('map-admin');
    this.fileNode = $('map-file');
    this.staleNode = $('map-stale');
    this.applyButton = $('map-apply');
    this.saveButton = $('map-save');
    this.revertButton = $('map-revert');
    this.base = null; // {path, text, version}: the running map the draft is compared with
    this.admin = false;
    this.problems = [];
    this.checkedText = null; // the draft text the problems belong to
    this.busy = false;
    this.loaded = false;
    this.validateTimer = 0;
    this.validateSeq = 0;
    this.validation = null; // AbortController of the request in flight
    this.gutterLines = -1;
    this.highlightNode = $('map-highlight');
    this.calloutNode = $('map-callout');
    this.areaNode = $('map-area');
    this.schema = null; // the device map's JSON Schema (GET /api/map/schema), for completion
    this.schemaState = 'none'; // none, loading, loaded
    this.hl = { text: null, lines: [], block: null, html: '', from: -1, to: -1, problems: null };
    this.complete = NO_COMPLETION;

    this.text.addEventListener('input', (e) => {
      this.edited();
      if (this.accepting) return;
      if (this.complete.open || (e.inputType || '').startsWith('insert')) this.complete.update();
    });
    this.text.addEventListener('scroll', () => {
      this.gutter.scrollTop = this.text.scrollTop;
      this.renderHighlight();
      this.complete.place();
    });
    document.addEventListener('selectionchange', () => {
      if (document.activeElement !== this.text) return;
      this.renderCallout();
      const c = this.complete.current;
      if (c && (this.text.selectionStart < c.from || this.text.selectionStart > c.to + 1)) this.complete.update();
    });
    this.text.addEventListener('blur', () => { this.complete.close(); });
    new ResizeObserver(() => { this.renderHighlight(true); this.complete.place(); }).observe(this.areaNode);
    // On a phone Apply / Save stick to the top of the screen (style.css): below the sticky header,
    // whose height depends on the width, not behind it.
    const header = document.querySelector('header.top');
    if (header) {
      new ResizeObserver(() => {
        document.documentElement.style.setProperty('--header-height', `${header.offsetHeight}px`);
      }).observe(header);
    }
    this.text.addEventListener('keydown', (e) => {
      if (this.complete.keydown(e)) return;
      // Tab indents (YAML needs spaces); Escape then Tab leaves the editor, as in most code editors.
      if (e.key === 'Escape') { this.tabLeaves = true; return; }
      if (e.key === 'Tab' && !e.shiftKey && !this.tabLeaves && !this.text.readOnly) {
        e.preventDefault();
        this.text.setRangeText('  ', this.text.selectionStart, this.text.selectionEnd, 'end');
        this.edited();
      }
    });
    this.text.addEventListener('blur', () => { this.tabLeaves = false; });
    // On a phone (no Tab, no Escape): buttons that indent or outdent the caret's lines and leave.
    // pointerdown keeps the textarea's selection (and the phone's keyboard) where they are.
    for (const [id, action] of [['map-indent', () => this.indent(1)], ['map-outdent', () => this.indent(-1)],
      ['map-suggest', () => { this.text.focus(); this.complete.update({ force: true }); }],
      ['map-done', () => this.text.blur()]]) {
      $(id).addEventListener('pointerdown', (e) => e.preventDefault());
      $(id).addEventListener('click', action);
    }
    this.applyButton.addEventListener('click', () => this.apply(false));
    this.saveButton.addEventListener('click', () => this.apply(true));
    this.revertButton.addEventListener('click', () => {
      if (!this.base) return;
      this.setDraft(this.base.text);
      this.say(`Draft reverted to the running map (version ${this.base.version}).`);
    });
  }

  // Adds (1) or removes (-1) two spaces at the start of every line the selection touches.
  indent(direction) {
    if (this.text.readOnly) return;
    const area = this.text;
    const value = area.value;
    const from = value.lastIndexOf('\n', area.selectionStart - 1) + 1;
    let to = value.indexOf('\n', Math.max(area.selectionEnd - 1, from));
    if (to < 0) to = value.length;
    const lines = value.slice(from, to).split('\n');
    const changed = lines.map((l) => (direction > 0 ? `  ${l}` : l.replace(/^ {1,2}/, ''))).join('\n');
    const delta = direction > 0 ? 2 : -(lines[0].length - lines[0].replace(/^ {1,2}/, '').length);
    const start = Math.max(from, area.selectionStart + delta);
    const end = area.selectionEnd + (changed.length - (to - from));
    area.setRangeText(changed, from, to, 'preserve');
    area.setSelectionRange(start, Math.max(start, end));
    area.focus();
    this.edited();
  }

  // Called when the view is shown: loads the running map the first time.
  async show() {
    if (this.complete === NO_COMPLETION && !this.helpersLoading) {
      this.helpersLoading = true;
      loadHelpers().then(({ Completion }) => {
        this.complete = new Completion(this, this.areaNode, $('map-complete'));
        this.areaNode.classList.add('coloured');
        this.renderHighlight(true);
      }).catch((e) => {
        this.helpersLoading = false; // plain text stays; tried again next time
        console.warn('editor helpers did not load', e);
      });
    }
    if (this.loaded || this.loading) return;
    this.loading = true;
    try {
      await this.load({ keepDraft: false });
    } finally {
      this.loading = false;
    }
  }

  // The page signed in or out: whether this client is an admin may have changed.
  async accessChanged() {
    if (this.busy || (!this.loaded && document.getElementById('editor').hidden)) return;
    await this.load({ keepDraft: this.base != null && this.text.value !== this.base.text });
  }

  // The page signed out: forget the map (it was shown to the identity that just left) and ask the
  // bridge nothing until a hello says what this client may see now.
  signedOut() {
    clearTimeout(this.validateTimer);
    this.validateSeq += 1;
    this.validation?.abort();
    this.loaded = false;
    this.base = null;
    this.admin = false;
    this.schema = null;
    this.schemaState = 'none';
    this.complete.close();
    this.problems = [];
    this.checkedText = null;
    this.text.value = '';
    this.text.readOnly = true;
    this.text.setAttribute('aria-readonly', 'true');
    this.renderGutter();
    this.renderHighlight(true); // the coloured copy must not keep showing the map either
    this.diffNode.replaceChildren();
    setText(this.diffTitle, '');
    this.problemsNode.replaceChildren();
    setText(this.problemsTitle, '');
    setText(this.fileNode, '');
    setText(this.adminNode, '');
    this.staleNode.hidden = true;
    this.updateButtons();
    this.say('Signed out.');
  }

  // The bridge sent a new hello (it reloaded its map, or the page reconnected): if the running map
  // changed, an untouched draft follows it; an edited one is kept and the page says so.
  async mapMayHaveChanged() {
    if (!this.loaded || this.busy) return;
    let doc;
    try {
      doc = await this.fetchMap();
    } catch {
      return;
    }
    if (doc.version === this.base.version) return;
    if (this.text.value === this.base.text) {
      this.adopt(doc, { keepDraft: false });
      this.say(`The running map changed (now version ${doc.version}); the editor shows it.`);
    } else {
      this.showStale(doc.version);
    }
  }

  // The schema completion offers keys from: once per page (it is static per binary; the browser
  // revalidates it by its ETag), after the map loaded (the same right reads both).
  async loadSchema() {
    if (this.schemaState !== 'none') return;
    this.schemaState = 'loading';
    try {
      const response = await fetch('api/map/schema', { headers: authHeaders() });
      if (!response.ok) throw new Error(`${response.status}`);
      this.schema = await response.json();
      this.schemaState = 'loaded';
    } catch {
      this.schemaState = 'none'; // tried again with the next load
    }
  }

  async fetchMap() {
    const response = await fetch('api/map', { cache: 'no-store', headers: authHeaders() });
    if (response.status === 401) throw new Error('sign in to see the device map');
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  }

  async load({ keepDraft }) {
    this.say('Loading the device map…');
    let doc;
    try {
      doc = await this.fetchMap();
    } catch (e) {
      this.say(`Could not load the device map: ${e.message}`, 'error');
      return;
    }
    this.loaded = true;
    this.adopt(doc, { keepDraft });
    this.loadSchema();
    this.say(keepDraft ? `Loaded version ${doc.version} of the running map; your draft is unchanged and compared with it.`
      : `Version ${doc.version} of the running map.`);
  }

  adopt(doc, { keepDraft }) {
    this.base = { path: doc.path, text: doc.text, version: doc.version };
    this.admin = Boolean(doc.admin);
    this.staleNode.hidden = true;
    this.staleNode.replaceChildren();
    setText(this.fileNode, `${doc.path || 'device map'} · version ${doc.version}`);
    setText(this.adminNode, doc.admin_reason || '');
    this.adminNode.classList.toggle('readonly', !this.admin);
    this.text.readOnly = !this.admin;
    this.text.setAttribute('aria-readonly', String(!this.admin));
    if (!keepDraft) this.setDraft(doc.text);
    else this.edited();
  }

  setDraft(text) {
    this.text.value = text;
    this.edited();
  }

  edited() {
    this.renderHighlight();
    this.renderGutter();
    this.renderDiff();
    this.updateButtons();
    clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => this.validate(), VALIDATE_DELAY_MS);
  }

  async validate() {
    const text = this.text.value;
    if (text === this.checkedText) return;
    this.validation?.abort();
    const controller = new AbortController();
    this.validation = controller;
    const seq = ++this.validateSeq;
    setText(this.problemsTitle, 'Checking…');
    let answer;
    try {
      const response = await fetch('api/map/validate', {
        method: 'POST', headers: authHeaders({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ text }), signal: controller.signal,
      });
      answer = await response.json();
      if (!response.ok) throw new Error(answer?.error?.message || `${response.status}`);
    } catch (e) {
      if (e.name === 'AbortError' || seq !== this.validateSeq) return;
      setText(this.problemsTitle, `Could not check the draft: ${e.message}`);
      return;
    }
    if (seq !== this.validateSeq) return;
    this.showProblems(text, answer.problems || []);
  }

  showProblems(text, problems) {
    this.checkedText = text;
    this.problems = problems;
    setText(this.problemsTitle, problems.length === 0 ? 'No problems found.'
      : `${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    this.problemsNode.replaceChildren(...problems.map((p) => el('li', {},
      el('button', { type: 'button', class: 'problem', 'data-line': p.line, onclick: () => this.goTo(p.line, p.column) },
        el('span', { class: 'problem-at' }, p.line > 0 ? `line ${p.line}${p.column > 0 ? `, column ${p.column}` : ''}` : 'file'),
        ` ${p.message}`))));
    this.gutterLines = -1; // markers changed
    this.renderGutter();
    this.renderHighlight(true);
    this.updateButtons();
  }

  // Moves the caret to line:column (1-based) and scrolls it into view.
  goTo(line, column) {
    const lines = this.text.value.split('\n');
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i += 1) offset += lines[i].length + 1;
    const within = Math.max(0, Math.min((column || 1) - 1, (lines[line - 1] ?? '').length));
    this.text.focus();
    this.text.setSelectionRange(offset + within, offset + within);
    const lineHeight = this.lineHeight();
    const top = (line - 1) * lineHeight;
    if (top < this.text.scrollTop || top > this.text.scrollTop + this.text.clientHeight - 3 * lineHeight) {
      this.text.scrollTop = Math.max(0, top - this.text.clientHeight / 3);
    }
    // On a phone the page scrolls, not only the textarea: bring the line and its message in view,
    // below the sticky header.
    const box = this.areaNode.getBoundingClientRect();
    const y = box.top + PAD_TOP + top - this.text.scrollTop;
    const actions = document.querySelector('.map-actions');
    const covered = Math.max(0, document.querySelector('header.top')?.getBoundingClientRect().bottom || 0) +
      (actions && getComputedStyle(actions).position === 'sticky' ? actions.offsetHeight : 0);
    if (y < covered + 4 || y + 4 * lineHeight > window.innerHeight) {
      window.scrollBy(0, y - covered - (window.innerHeight - covered) / 3);
    }
    this.renderHighlight();
    this.renderCallout();
  }

  lineHeight() {
    return parseFloat(getComputedStyle(this.text).lineHeight) || 20;
  }

  // Width of one character of the editor's monospace font.
  charWidth() {
    if (!this.measure) {
      this.measure = el('span', { class: 'map-measure', 'aria-hidden': 'true' }, 'x'.repeat(100));
      this.areaNode.append(this.measure);
    }
    return this.measure.getBoundingClientRect().width / 100 || 8;
  }

  // Where character `offset` of the text is drawn, relative to the box (#map-area).
  caretPoint(offset) {
    const before = this.text.value.slice(0, offset);
    const line = before.split('\n').length - 1;
    const column = before.length - before.lastIndexOf('\n') - 1;
    const lineHeight = this.lineHeight();
    return {
      x: PAD_LEFT + column * this.charWidth() - this.text.scrollLeft,
      y: PAD_TOP + line * lineHeight - this.text.scrollTop,
      lineHeight,
    };
  }

  // Problems by line (1-based), for the lines that exist in the draft.
  problemsByLine() {
    const byLine = new Map();
    for (const p of this.problems) if (p.line > 0) byLine.set(p.line, [...(byLine.get(p.line) || []), p]);
    return byLine;
  }

  // The coloured copy of the lines in view (and a few around them), at the textarea's scroll
  // position. Cheap on every input: one split and one pass for block scalars over the whole
  // text, colouring only the ~40 lines shown.
  renderHighlight(force = false) {
    if (!yaml) return;
    const { blockLines, escapeHtml, lineHtml, lineTokens, problemRange } = yaml;
    const hl = this.hl;
    const value = this.text.value;
    if (value !== hl.text) {
      hl.text = value;
      hl.lines = value.split('\n');
      hl.block = blockLines(hl.lines);
      force = true;
    }
    if (hl.problems !== this.problems) { hl.problems = this.problems; force = true; }
    const lineHeight = this.lineHeight();
    const top = this.text.scrollTop;
    const from = Math.max(0, Math.floor((top - PAD_TOP) / lineHeight) - HIGHLIGHT_MARGIN);
    const to = Math.min(hl.lines.length, Math.ceil((top + this.text.clientHeight) / lineHeight) + HIGHLIGHT_MARGIN);
    if (force || from !== hl.from || to !== hl.to) {
      hl.from = from;
      hl.to = to;
      const byLine = this.problemsByLine();
      let html = '';
      for (let i = from; i < to; i += 1) {
        const line = hl.lines[i];
        const problems = byLine.get(i + 1);
        const range = problems ? problemRange(line, problems[0].column) : null;
        html += lineHtml(line, lineTokens(line, hl.block[i] === 1), range);
        if (problems) {
          html += `<span class="y-msg" data-line="${i + 1}">${escapeHtml(problems.map((p) => p.message).join(' \u00b7 '))}</span>`;
        }
        html += '\n';
      }
      this.highlightNode.innerHTML = html;
    }
    this.highlightNode.style.transform = `translate(${-this.text.scrollLeft}px, ${from * lineHeight - top}px)`;
    this.highlightNode.classList.toggle('readonly', this.text.readOnly);
    this.renderCallout();
  }

  // The problem(s) of the caret's line, spelled out under that line (above it near the bottom).
  renderCallout() {
    const node = this.calloutNode;
    const before = this.text.value.slice(0, this.text.selectionStart);
    const line = before.split('\n').length;
    const problems = this.problemsByLine().get(line);
    const lineHeight = this.lineHeight();
    const y = PAD_TOP + (line - 1) * lineHeight - this.text.scrollTop;
    if (!problems || y < -lineHeight || y > this.text.clientHeight) {
      node.hidden = true;
      return;
    }
    const text = problems.map((p) => `line ${p.line}${p.column > 0 ? `, column ${p.column}` : ''}: ${p.message}`).join('\n');
    setText(node, text);
    node.dataset.line = String(line);
    node.hidden = false;
    const height = node.offsetHeight;
    const below = y + lineHeight + 2;
    node.style.top = `${below + height <= this.text.clientHeight || y - height - 2 < 0 ? below : y - height - 2}px`;
  }

  renderGutter() {
    const count = Math.max(1, this.text.value.split('\n').length);
    if (count === this.gutterLines) return;
    this.gutterLines = count;
    const byLine = new Map();
    for (const p of this.problems) if (p.line > 0) byLine.set(p.line, [...(byLine.get(p.line) || []), p.message]);
    const nodes = [];
    for (let line = 1; line <= count; line += 1) {
      const messages = byLine.get(line);
      const node = el('span', { class: messages ? 'gutter-line error' : 'gutter-line', 'data-line': line }, String(line));
      if (messages) node.title = messages.join('\n');
      nodes.push(node);
    }
    this.gutter.replaceChildren(...nodes);
    this.gutter.scrollTop = this.text.scrollTop;
  }

  renderDiff() {
    if (!this.base) return;
    const draft = this.text.value;
    if (draft === this.base.text) {
      setText(this.diffTitle, 'No changes against the running map.');
      this.diffNode.replaceChildren();
      return;
    }
    const diff = diffLines(this.base.text, draft);
    if (diff === null) {
      setText(this.diffTitle, 'Too many changes to show line by line.');
      this.diffNode.replaceChildren();
      return;
    }
    const added = diff.filter((d) => d.op === '+').length;
    const removed = diff.filter((d) => d.op === '-').length;
    setText(this.diffTitle, `Changes against the running map: ${added} line${added === 1 ? '' : 's'} added, ` +
      `${removed} removed`);
    const blocks = hunks(diff).map((hunk) => el('div', { class: 'diff-hunk' }, ...hunk.map((d) => {
      const kind = d.op === '+' ? 'add' : d.op === '-' ? 'del' : 'same';
      const label = d.op === '+' ? 'added' : d.op === '-' ? 'removed' : '';
      return el('div', { class: `diff-line ${kind}`, 'data-op': kind },
        el('span', { class: 'diff-no' }, d.a ?? ''), el('span', { class: 'diff-no' }, d.b ?? ''),
        el('span', { class: 'diff-op', 'aria-label': label || null }, d.op === ' ' ? '' : d.op),
        el('span', { class: 'diff-text' }, d.text));
    })));
    this.diffNode.replaceChildren(...blocks);
  }

  updateButtons() {
    const draft = this.text.value;
    const differs = Boolean(this.base) && draft !== this.base.text;
    const valid = this.checkedText === draft && this.problems.length === 0;
    const usable = this.admin && differs && valid && !this.busy;
    this.applyButton.disabled = !usable;
    this.saveButton.disabled = !usable;
    this.revertButton.disabled = !differs || this.busy || !this.admin;
    this.applyButton.hidden = !this.admin;
    this.saveButton.hidden = !this.admin;
    this.revertButton.hidden = !this.admin;
  }

  async apply(save) {
    if (!this.base || this.busy) return;
    const text = this.text.value;
    this.busy = true;
    this.updateButtons();
    this.say(save ? 'Saving the file and reloading…' : 'Applying (reloading the bridge)…');
    let response;
    let answer;
    try {
      response = await fetch(save ? 'api/map/save' : 'api/map/apply', {
        method: 'POST', headers: authHeaders({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ text, version: this.base.version }),
      });
      answer = await response.json().catch(() => ({}));
    } catch (e) {
      this.busy = false;
      this.updateButtons();
      this.say(`The bridge did not answer: ${e.message}`, 'error');
      return;
    }
    this.busy = false;
    const message = answer?.error?.message || '';
    if (response.ok) {
      this.base = { path: this.base.path, text, version: answer.version };
      setText(this.fileNode, `${this.base.path || 'device map'} · version ${answer.version}`);
      this.staleNode.hidden = true;
      const summary = (answer.summary || []).join('; ');
      this.say(`${save ? 'Saved and applied' : 'Applied'}: version ${answer.version}. ${summary || 'Nothing to change.'}`, 'ok');
      this.renderDiff();
    } else if (response.status === 409) {
      this.showStale(answer.version);
    } else if (response.status === 422) {
      this.showProblems(text, answer.problems || []);
      this.say(`Not applied: the map has errors. ${message}`, 'error');
    } else if (response.status === 503) {
      this.say(`Not applied: another reload is in progress. Try again in a moment. ${message}`, 'error');
    } else if (response.status === 500) {
      this.say(`Not applied: ${message || 'the bridge could not write the file'}. The running map is unchanged.`, 'error');
    } else {
      this.say(`Not applied (${response.status}): ${message}`, 'error');
    }
    this.updateButtons();
  }

  // The running map is newer than the draft's base: offer to compare with it, keeping the draft.
  showStale(version) {
    const button = el('button', { type: 'button', class: 'small', id: 'map-load-newer',
      onclick: () => this.load({ keepDraft: true }) }, 'Load the newer version (keeps your draft)');
    this.staleNode.replaceChildren(
      el('span', {}, `The running map changed since you loaded it (yours is based on version ${this.base.version}` +
        `${version ? `, it is now ${version}` : ''}). Nothing was applied; your draft is kept. `),
      button);
    this.staleNode.hidden = false;
    this.say('Not applied: the running map is newer than your draft\u2019s base.', 'error');
  }

  say(text, kind = '') {
    setText(this.statusNode, text);
    this.statusNode.dataset.kind = kind;
  }
}
