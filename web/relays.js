// Relay cards: a switch that shows the bridge's CONFIRMED state only. A click sends `set` to the
// opposite of the confirmed state; until the ack/error arrives the switch is pending and ignores
// clicks. `state` broadcasts (anyone's changes) update it at once, with who or what caused them.

import { el, setText, setAttr, invalidate, reconcile, formatClock, noteBridgeTime, bridgeNow } from './dom.js';
import { classIcon, stateWord, dashboardChannels, causeWords } from './things.js';

const PULSE_MS = 1000;
const LOG_SIZE = 10; // as many changes as the bridge keeps per relay (its hello's `log`)

const CAUSES = {
  startup: 'at start-up',
  shutdown: 'safe state on shutdown',
  pulse_end: 'pulse ended',
  max_on: 'max on-time reached',
  lease_expired: 'lease ended',
  driver: 'by the hardware',
  failsafe: 'safe state after a hardware failure',
  reload: 'safe state before a map reload',
};

// "90 s", "15 min", "2 h": durations of the map's policies and of countdowns.
function formatDuration(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}

class RelayCard {
  constructor(channel, panel) {
    this.panel = panel;
    this.id = channel.id;
    this.pending = false;
    this.error = null;
    this.cause = null;
    const base = `relay-${cssId(channel.id)}`;
    this.labelNode = el('h3', { id: `${base}-label`, class: 'card-title' });
    this.deviceNode = el('span', { class: 'card-device' });
    this.stateNode = el('span', { id: `${base}-state`, class: 'relay-state' });
    this.switchNode = el('button', {
      type: 'button', class: 'switch', role: 'switch', 'aria-checked': 'false',
      'aria-labelledby': `${base}-label`, 'aria-describedby': `${base}-state ${base}-error`,
      onclick: () => this.requestSet(),
    }, el('span', { class: 'switch-track', 'aria-hidden': 'true' }, el('span', { class: 'switch-thumb' })));
    this.pulseNode = el('button', { type: 'button', class: 'pulse', onclick: () => this.requestPulse() },
      `Pulse ${PULSE_MS / 1000} s`);
    this.causeNode = el('span', { class: 'relay-cause' });
    this.policyNode = el('p', { class: 'relay-policy', hidden: true });
    this.timerNode = el('p', { class: 'relay-timer', hidden: true, 'aria-live': 'off' });
    this.errorNode = el('p', { id: `${base}-error`, class: 'relay-error', role: 'alert', hidden: true });
    this.reasonNode = el('p', { class: 'reason', hidden: true });
    this.viewOnlyNode = el('p', { class: 'view-only', hidden: true }, 'View only: your role may not switch this relay.');
    // The logbook: the bridge's last changes of this relay (from hello), then live ones.
    this.log = [];
    // Its summary is the line saying who made the last change: one tap opens the last ten.
    this.logCount = el('span', { class: 'relay-log-count' });
    this.logList = el('ol', { class: 'relay-log-list', 'aria-label': 'Recent changes, newest first' });
    this.logNode = el('details', { class: 'relay-log' },
      el('summary', { class: 'relay-log-title' }, this.causeNode, this.logCount), this.logList);
    this.iconSlot = el('span', { class: 'thing-slot' });
    this.node = el('article', { class: 'card relay', 'data-relay': channel.id, 'aria-labelledby': `${base}-label` },
      el('header', { class: 'card-head' }, this.iconSlot, this.labelNode, this.deviceNode),
      el('div', { class: 'relay-row' }, this.switchNode, this.stateNode, this.pulseNode),
      this.logNode, this.timerNode, this.policyNode, this.viewOnlyNode, this.errorNode, this.reasonNode);
  }

  setMeta(channel) {
    if (channel.device_class !== this.meta?.device_class) this.iconSlot.replaceChildren(classIcon(channel.device_class) || '');
    this.meta = channel;
    this.state = channel.state;
    this.time = channel.time;
    this.seq = channel.seq;
    // The bridge is the source of the logbook: its hello replaces what this page had.
    this.log = Array.isArray(channel.log) ? channel.log.slice(-LOG_SIZE) : [];
    const last = this.log[this.log.length - 1];
    this.cause = last && last.time === channel.time ? { kind: last.cause, client: last.client, subject: last.subject } : null;
    this.logDirty = true;
    this.online = channel.online !== false;
    this.reason = channel.reason || '';
    if (channel.time != null) noteBridgeTime(channel.time);
    setText(this.labelNode, channel.label || channel.id);
    setAttr(this.pulseNode, 'aria-label', `Pulse ${channel.label || channel.id} for ${PULSE_MS / 1000} s`);
    const safe = channel.safe_state ? ` · safe state ${channel.safe_state}` : '';
    setText(this.deviceNode, `${channel.device_label || channel.device || ''}${safe}`);
    // Policies from the map, shown where it uses them.
    const policy = [];
    if (channel.interlock) policy.push(`interlock group ${channel.interlock}`);
    if (channel.max_on_ms) policy.push(`max on ${formatDuration(channel.max_on_ms)}`);
    if (channel.min_on_ms) policy.push(`min on ${formatDuration(channel.min_on_ms)}`);
    if (channel.min_off_ms) policy.push(`min off ${formatDuration(channel.min_off_ms)}`);
    this.policyNode.hidden = policy.length === 0;
    setText(this.policyNode, policy.join(' · '));
    this.lease = channel.lease || null;
    this.autoOff = channel.auto_off ?? null;
    this.dirty();
  }

  stateMessage(message) {
    // A new seq is a change of state (the same seq: only the lease changed).
    if (message.seq !== this.seq) {
      this.log.push({ time: message.time, state: message.state, cause: message.cause, client: message.client, subject: message.subject });
      if (this.log.length > LOG_SIZE) this.log.shift();
      this.logDirty = true;
    }
    this.seq = message.seq;
    this.state = message.state;
    this.time = message.time;
    this.cause = { kind: message.cause, client: message.client, subject: message.subject };
    this.lease = message.lease || null;
    this.autoOff = message.auto_off ?? null;
    noteBridgeTime(message.time);
    this.dirty();
  }

  status(message) {
    this.online = message.online;
    this.reason = message.reason || '';
    this.dirty();
  }

  usable() {
    return this.online && this.panel.connection?.open && !this.pending && this.panel.mayControl(this.id);
  }

  requestSet() {
    if (!this.usable()) return;
    // From unknown the switch goes off: the conservative choice when nobody knows what the load does.
    const target = this.state === 'off' ? 'on' : 'off';
    this.send({ type: 'set', channel: this.id, state: target });
  }

  requestPulse() {
    if (!this.usable()) return;
    this.send({ type: 'pulse', channel: this.id, duration_ms: PULSE_MS });
  }

  send(message) {
    this.pending = true;
    this.error = null;
    this.render(); // at once: the click must never look ignored, not even for one frame
    this.panel.connection.request(message).then(
      (ack) => {
        // The ack carries the confirmed state; the `state` broadcast (if any) says the same.
        if (ack.state) this.state = ack.state;
        this.pending = false;
        this.dirty();
      },
      (error) => {
        this.pending = false;
        this.error = error.code === 'disconnected' ? null : `${error.code}: ${error.message}`;
        this.dirty();
      });
  }

  dirty() {
    invalidate(this.panel.renderBound);
    this.panel.pending.add(this);
  }

  render() {
    const connected = Boolean(this.panel.connection?.open);
    const state = ['on', 'off'].includes(this.state) ? this.state : 'unknown';
    const node = this.node;
    node.dataset.state = state;
    node.classList.toggle('pending', this.pending);
    node.classList.toggle('offline', !this.online);
    const blocked = this.pending || !this.online || !connected;
    // Controls this client's role may not use are not shown at all (the bridge would refuse them).
    const allowed = this.panel.mayControl(this.id);
    node.dataset.control = allowed ? 'yes' : 'no';
    this.switchNode.hidden = !allowed;
    this.pulseNode.hidden = !allowed;
    this.viewOnlyNode.hidden = allowed;
    setAttr(this.switchNode, 'aria-checked', state === 'on' ? 'true' : 'false');
    setAttr(this.switchNode, 'aria-busy', this.pending ? 'true' : 'false');
    setAttr(this.switchNode, 'aria-disabled', blocked ? 'true' : 'false');
    setAttr(this.pulseNode, 'aria-disabled', blocked ? 'true' : 'false');
    setText(this.stateNode, this.pending ? 'Switching…' : state === 'unknown' ? 'Unknown' : stateWord(this.meta, state === 'on'));
    setAttr(this.stateNode, 'title', state === 'unknown' ? 'the hardware could not confirm the state' : '');
    let cause = '';
    if (this.cause) {
      cause = `${causeWords(this.cause, this.panel.clientId, CAUSES)} · ${formatClock(this.time)}`;
    } else if (this.time != null) {
      cause = `since ${formatClock(this.time)}`;
    }
    setText(this.causeNode, cause);
    // Countdowns: when a pulse or max_on will switch off, and how long a lease has left.
    const now = bridgeNow();
    const timers = [];
    if (state === 'on' && this.autoOff != null) timers.push(`auto-off in ${formatDuration(this.autoOff - now)}`);
    if (this.lease) {
      const you = this.lease.client === this.panel.clientId ? ' (you)' : '';
      timers.push(`held by ${this.lease.client}${you} · lease ${formatDuration(this.lease.expires - now)} left`);
    }
    this.timerNode.hidden = timers.length === 0;
    setText(this.timerNode, timers.join(' · '));
    this.errorNode.hidden = !this.error;
    setText(this.errorNode, this.error || '');
    this.reasonNode.hidden = this.online;
    setText(this.reasonNode, this.online ? '' : `Offline${this.reason ? `: ${this.reason}` : ''}`);
    if (this.logDirty) this.renderLog();
  }

  // Newest first: time, the state in the relay's words, and who or what did it.
  renderLog() {
    this.logDirty = false;
    setText(this.logCount, this.log.length ? `${this.log.length} recent change${this.log.length === 1 ? '' : 's'}` : '');
    const words = (state) => (state === 'on' || state === 'off' ? stateWord(this.meta, state === 'on') : 'Unknown');
    this.logList.replaceChildren(...this.log.slice().reverse().map((e) => el('li', { class: 'relay-log-entry', 'data-state': e.state },
      el('time', {}, formatClock(e.time)), ' ', el('b', {}, words(e.state)), ' ',
      causeWords({ kind: e.cause, client: e.client, subject: e.subject }, this.panel.clientId, CAUSES))));
  }
}

export class RelayPanel {
  constructor(container) {
    this.container = container;
    this.cards = new Map();
    this.pending = new Set();
    this.connection = null;
    this.clientId = null;
    this.control = null; // ids this client may switch (hello's access); null: a bridge without access
    this.renderBound = () => this.render();
    // Countdowns tick once a second, only for relays that have one.
    setInterval(() => {
      for (const card of this.cards.values()) if (card.autoOff != null || card.lease) card.dirty();
    }, 1000);
  }

  hello(message, connection) {
    this.connection = connection;
    this.clientId = message.client;
    this.control = message.access ? new Set(message.access.control || []) : null;
    // A new hello (reconnect) starts clean: nothing pending, no error from the old connection.
    for (const card of this.cards.values()) {
      card.pending = false;
      card.error = null;
    }
    reconcile(this.container, this.cards, dashboardChannels(message.channels), (channel) => new RelayCard(channel, this));
  }

  mayControl(id) {
    return !this.control || this.control.has(id);
  }

  message(message) {
    const card = this.cards.get(message.channel);
    if (!card) return;
    if (message.type === 'state') card.stateMessage(message);
    else if (message.type === 'status') card.status(message);
  }

  // Connection state changed: controls are blocked while the socket is down.
  connectionChanged(connection) {
    this.connection = connection;
    for (const card of this.cards.values()) card.dirty();
  }

  render() {
    const batch = [...this.pending];
    this.pending.clear();
    for (const card of batch) if (this.cards.get(card.id) === card) card.render();
  }
}
