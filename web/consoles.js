// Text channels as consoles: opened on every hello (the ack brings the recent history), rx/tx
// lines in a capped scrollback, an input line with history (Up/Down), Enter sends.

import { el, setText, invalidate, reconcile, formatClock } from './dom.js';
import { dashboardChannels } from './things.js';

const MAX_LINES = 2000;
const MAX_HISTORY = 100;

function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}

class ConsoleCard {
  constructor(channel, panel) {
    this.panel = panel;
    this.id = channel.id;
    this.queue = []; // lines received since the last frame
    this.replace = null; // history to show instead of the current scrollback
    this.opened = false;
    this.history = [];
    this.historyAt = 0;
    this.draft = '';
    const base = `console-${cssId(channel.id)}`;
    this.labelNode = el('h3', { id: `${base}-label`, class: 'card-title' });
    this.deviceNode = el('span', { class: 'card-device' });
    this.logNode = el('div', {
      class: 'console-log', role: 'log', 'aria-labelledby': `${base}-label`, tabindex: '0',
      'aria-live': 'off', // a chatty device would flood a screen reader; the log is browsable instead
    });
    this.inputNode = el('input', {
      id: `${base}-input`, class: 'console-input', type: 'text', autocomplete: 'off', spellcheck: 'false',
      enterkeyhint: 'send', placeholder: 'Type a line, Enter sends', 'aria-describedby': `${base}-message`,
      onkeydown: (e) => this.key(e),
    });
    this.sendNode = el('button', { type: 'submit', class: 'primary' }, 'Send');
    this.messageNode = el('p', { id: `${base}-message`, class: 'console-message', role: 'status' });
    this.reasonNode = el('p', { class: 'reason', hidden: true });
    const form = this.formNode = el('form', { class: 'console-form', onsubmit: (e) => { e.preventDefault(); this.send(); } },
      el('label', { class: 'visually-hidden', for: `${base}-input` }, `Line to send to ${channel.label || channel.id}`),
      this.inputNode, this.sendNode);
    this.copyNode = el('button', { type: 'button', class: 'small', onclick: () => this.copy() }, 'Copy');
    this.clearNode = el('button', { type: 'button', class: 'small', onclick: () => this.clear() }, 'Clear');
    this.node = el('article', { class: 'card console', 'data-console': channel.id, 'aria-labelledby': `${base}-label` },
      el('header', { class: 'card-head' }, this.labelNode, this.deviceNode,
        el('span', { class: 'card-tools' }, this.copyNode, this.clearNode)),
      this.logNode, this.reasonNode, form, this.messageNode);
  }

  setMeta(channel) {
    this.meta = channel;
    this.online = channel.online !== false;
    this.reason = channel.reason || '';
    this.takesLines = channel.input !== false; // false: a display (prints, takes no lines)
    setText(this.labelNode, channel.label || channel.id);
    setText(this.deviceNode, channel.device_label || channel.device || '');
    this.dirty();
  }

  // Called for every hello: (re)open the channel and replace the scrollback with its history.
  open(connection) {
    this.opened = false;
    this.dirty();
    connection.request({ type: 'open', channel: this.id }).then(
      (ack) => {
        this.opened = true;
        this.replace = ack.history || [];
        this.queue = [];
        this.dirty();
      },
      (error) => {
        if (error.code !== 'disconnected') this.note(`Could not open: ${error.code}: ${error.message}`, true);
      });
  }

  line(message) {
    this.queue.push(message);
    this.dirty();
  }

  status(message) {
    this.online = message.online;
    this.reason = message.reason || '';
    this.dirty();
  }

  key(event) {
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      if (!this.history.length) return;
      event.preventDefault();
      if (this.historyAt === this.history.length) this.draft = this.inputNode.value;
      this.historyAt += event.key === 'ArrowUp' ? -1 : 1;
      this.historyAt = Math.max(0, Math.min(this.history.length, this.historyAt));
      this.inputNode.value = this.historyAt === this.history.length ? this.draft : this.history[this.historyAt];
      const end = this.inputNode.value.length;
      this.inputNode.setSelectionRange(end, end);
    } else if (event.key === 'Escape' && this.inputNode.value) {
      event.preventDefault();
      this.inputNode.value = '';
      this.historyAt = this.history.length;
    }
  }

  send() {
    const line = this.inputNode.value;
    const connection = this.panel.connection;
    if (!connection?.open || !this.opened) {
      this.note('Not connected to the bridge; the line was not sent.', true);
      return;
    }
    if (this.history[this.history.length - 1] !== line && line !== '') {
      this.history.push(line);
      if (this.history.length > MAX_HISTORY) this.history.shift();
    }
    this.historyAt = this.history.length;
    this.draft = '';
    this.inputNode.value = '';
    this.note('', false);
    connection.request({ type: 'send', channel: this.id, line }).catch((error) => {
      // Give the line back so it can be fixed and sent again.
      if (!this.inputNode.value) this.inputNode.value = line;
      this.note(`Not sent — ${error.code}: ${error.message}`, true);
    });
  }

  note(text, isError) {
    setText(this.messageNode, text);
    this.messageNode.classList.toggle('error', Boolean(isError));
  }

  clear() {
    this.replace = [];
    this.queue = [];
    this.dirty();
    this.inputNode.focus();
  }

  async copy() {
    const text = [...this.logNode.children].map((row) => row.dataset.text).join('\n');
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        this.note(`Copied ${this.logNode.childElementCount} lines.`, false);
        return;
      } catch {
        // fall through to selecting the text
      }
    }
    const range = document.createRange();
    range.selectNodeContents(this.logNode);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    this.note('Text selected: press Ctrl+C (⌘C) to copy.', false);
  }

  dirty() {
    this.panel.pending.add(this);
    invalidate(this.panel.renderBound);
  }

  row(line) {
    const dir = line.dir === 'tx' ? 'tx' : 'rx';
    const text = String(line.line ?? '');
    const row = el('div', { class: `console-line ${dir}` },
      el('span', { class: 'console-time' }, formatClock(line.time)),
      el('span', { class: 'console-dir', title: dir === 'tx' ? `sent by ${line.by || '?'}` : 'from the device' },
        dir === 'tx' ? '›' : '‹'),
      el('span', { class: 'console-text' }, text),
      dir === 'tx' && line.by ? el('span', { class: 'console-by' }, line.by) : null);
    row.dataset.text = text;
    return row;
  }

  render() {
    const connected = Boolean(this.panel.connection?.open);
    this.node.classList.toggle('offline', !this.online);
    this.reasonNode.hidden = this.online;
    setText(this.reasonNode, this.online ? '' : `Offline${this.reason ? `: ${this.reason}` : ''}`);
    const usable = connected && this.opened && this.online;
    // A role that may not send to this channel gets no input line (the bridge would refuse it).
    const allowed = this.panel.mayControl(this.id);
    this.node.dataset.control = allowed && this.takesLines ? 'yes' : 'no';
    this.node.classList.toggle('display-only', !this.takesLines);
    this.formNode.hidden = !allowed || !this.takesLines;
    // The input stays usable while reconnecting (typing is not lost); sending says why it cannot.
    this.sendNode.setAttribute('aria-disabled', usable ? 'false' : 'true');

    if (!this.replace && !this.queue.length) return;
    // Read layout once (before writing) to know whether to follow the newest line.
    const log = this.logNode;
    const follow = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
    const fragment = document.createDocumentFragment();
    if (this.replace) {
      for (const line of this.replace.slice(-MAX_LINES)) fragment.append(this.row(line));
      this.replace = null;
      for (const line of this.queue.slice(-MAX_LINES)) fragment.append(this.row(line));
      log.replaceChildren(fragment);
    } else {
      for (const line of this.queue.slice(-MAX_LINES)) fragment.append(this.row(line));
      log.append(fragment);
    }
    this.queue = [];
    let extra = log.childElementCount - MAX_LINES;
    while (extra-- > 0) log.firstElementChild.remove();
    if (follow) log.scrollTop = log.scrollHeight;
  }
}

export class ConsolePanel {
  constructor(container) {
    this.container = container;
    this.cards = new Map();
    this.pending = new Set();
    this.connection = null;
    this.control = null; // ids this client may send to (hello's access); null: a bridge without access
    this.renderBound = () => this.render();
  }

  mayControl(id) {
    return !this.control || this.control.has(id);
  }

  hello(message, connection) {
    // A second hello on the same socket (the bridge reloaded its map) keeps the channels this page
    // has open: their scrollback stays, only new channels are opened. After a reconnect every
    // channel is opened again and its scrollback replaced by the bridge's history.
    const sameSocket = connection.socket != null && connection.socket === this.socket;
    this.socket = connection.socket;
    this.connection = connection;
    this.control = message.access ? new Set(message.access.control || []) : null;
    reconcile(this.container, this.cards, dashboardChannels(message.channels), (channel) => new ConsoleCard(channel, this));
    for (const card of this.cards.values()) if (!(sameSocket && card.opened)) card.open(connection);
  }

  message(message) {
    const card = this.cards.get(message.channel);
    if (!card) return;
    if (message.type === 'line') card.line(message);
    else if (message.type === 'status') card.status(message);
  }

  connectionChanged(connection) {
    this.connection = connection;
    for (const card of this.cards.values()) {
      if (!connection.open) card.opened = false;
      card.dirty();
    }
  }

  render() {
    const batch = [...this.pending];
    this.pending.clear();
    for (const card of batch) if (this.cards.get(card.id) === card) card.render();
  }
}
