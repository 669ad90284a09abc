// Automations (docs/automations.md): one card per automation with its state and why, the last time
// it switched or fired; operators may disable/enable it and change a thermostat's setpoint. Built
// from the relay hello's `automations`, kept current by `automation` messages (docs/protocol.md).

import { el, setText, setAttr, formatClock } from './dom.js';

const STATE_TEXT = {
  armed: 'Armed', active: 'Active', overridden: 'Paused (manual switch)', faulted: 'Faulted', disabled: 'Disabled',
};

function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}

class AutomationCard {
  constructor(automation, panel) {
    this.panel = panel;
    this.id = automation.id;
    this.pending = false;
    this.error = null;
    const base = `automation-${cssId(automation.id)}`;
    this.labelNode = el('h3', { id: `${base}-label`, class: 'card-title' });
    this.kindNode = el('span', { class: 'card-device' });
    this.stateNode = el('span', { class: 'automation-state' });
    this.detailNode = el('p', { class: 'automation-detail' });
    this.firedNode = el('p', { class: 'relay-cause' });
    this.toggleNode = el('button', { type: 'button', class: 'automation-toggle', onclick: () => this.toggle() });
    this.setpointNode = el('input', {
      type: 'number', step: 'any', class: 'automation-setpoint', 'aria-label': 'Setpoint',
      onkeydown: (e) => { if (e.key === 'Enter') this.applySetpoint(); },
    });
    this.setNode = el('button', { type: 'button', class: 'automation-set', onclick: () => this.applySetpoint() }, 'Set');
    this.setpointRow = el('div', { class: 'automation-row', hidden: true }, this.setpointNode, this.setNode);
    this.errorNode = el('p', { class: 'relay-error', role: 'alert', hidden: true });
    this.node = el('article', { class: 'card automation', 'data-automation': automation.id, 'aria-labelledby': `${base}-label` },
      el('header', { class: 'card-head' }, this.labelNode, this.kindNode),
      el('div', { class: 'automation-row' }, this.stateNode, this.toggleNode),
      this.detailNode, this.setpointRow, this.firedNode, this.errorNode);
    this.update(automation);
  }

  update(a) {
    this.data = a;
    const relay = a.relay ? ` · relay ${a.relay}` : '';
    setText(this.labelNode, a.label || a.id);
    setText(this.kindNode, `${a.type || a.kind}${relay}`);
    // The field keeps what the operator is typing; it follows the bridge only when not focused.
    if (a.setpoint != null && document.activeElement !== this.setpointNode) this.setpointNode.value = String(a.setpoint);
    if (a.min_setpoint != null) setAttr(this.setpointNode, 'min', String(a.min_setpoint));
    if (a.max_setpoint != null) setAttr(this.setpointNode, 'max', String(a.max_setpoint));
    this.render();
  }

  mayOperate() {
    return this.panel.mayControl(this.data.relay);
  }

  toggle() {
    if (this.pending || !this.mayOperate()) return;
    this.send({ type: 'automation', automation: this.id, enabled: this.data.state === 'disabled' });
  }

  applySetpoint() {
    if (this.pending || !this.mayOperate()) return;
    const value = Number(this.setpointNode.value);
    if (this.setpointNode.value === '' || !Number.isFinite(value)) {
      this.error = 'the setpoint must be a number';
      this.render();
      return;
    }
    this.send({ type: 'automation', automation: this.id, setpoint: value });
  }

  send(message) {
    if (!this.panel.connection?.open) return;
    this.pending = true;
    this.error = null;
    this.render();
    this.panel.connection.request(message).then(
      () => { this.pending = false; this.render(); },
      (error) => {
        this.pending = false;
        this.error = error.code === 'disconnected' ? null : `${error.code}: ${error.message}`;
        this.render();
      });
  }

  render() {
    const a = this.data;
    this.node.dataset.state = a.state;
    this.node.classList.toggle('pending', this.pending);
    setText(this.stateNode, STATE_TEXT[a.state] || a.state);
    setText(this.detailNode, a.detail || '');
    this.detailNode.hidden = !a.detail;
    const fired = [a.last_fired != null ? `last switched ${formatClock(a.last_fired)}` : 'not fired yet'];
    if (a.next_fire != null) fired.push(`next ${formatClock(a.next_fire)}`);
    setText(this.firedNode, fired.join(' · '));
    const allowed = this.mayOperate();
    this.toggleNode.hidden = !allowed;
    setText(this.toggleNode, a.state === 'disabled' ? 'Enable' : 'Disable');
    setAttr(this.toggleNode, 'aria-disabled', this.pending ? 'true' : 'false');
    this.setpointRow.hidden = a.setpoint == null;
    this.setpointNode.disabled = !allowed || this.pending;
    this.setNode.hidden = !allowed;
    this.errorNode.hidden = !this.error;
    setText(this.errorNode, this.error || '');
  }
}

export class AutomationPanel {
  constructor(section, grid, count) {
    this.section = section;
    this.grid = grid;
    this.count = count;
    this.cards = new Map();
    this.connection = null;
    this.control = null;
  }

  hello(message, connection) {
    this.connection = connection;
    this.control = message.access ? new Set(message.access.control || []) : null;
    const list = message.automations || [];
    this.cards.clear();
    this.grid.replaceChildren();
    for (const a of list) {
      const card = new AutomationCard(a, this);
      this.cards.set(a.id, card);
      this.grid.append(card.node);
    }
    this.section.hidden = list.length === 0;
    setText(this.count, String(list.length));
  }

  // Controllers: whoever may switch their relay; rules: whoever may switch relays at all.
  mayControl(relay) {
    if (!this.control) return true;
    return relay ? this.control.has(relay) : this.control.size > 0;
  }

  message(message) {
    if (message.type !== 'automation') return;
    const card = this.cards.get(message.automation);
    if (card) card.update({ ...message, id: message.automation, type: message.kind });
  }
}
