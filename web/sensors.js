// Sensor cards: big value with unit, range gauge, 5-minute trend; booleans as lamps.
// Readings are stored as they arrive and drawn in the next animation frame (dom.js invalidate).

import { el, setText, setAttr, invalidate, reconcile, noteBridgeTime, bridgeNow, formatAgo, formatClock } from './dom.js';
import { classIcon, stateWord, dashboardChannels } from './things.js';
import { Series, Gauge, Trend, WINDOW_MS, trendSpan } from './charts.js';

const CHART_INTERVAL_MS = 250;

function formatNumber(value, precision) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const digits = Math.min(6, Math.max(0, precision ?? 2));
  return value.toFixed(digits);
}

class SensorCard {
  constructor(channel, panel) {
    this.panel = panel;
    this.id = channel.id;
    this.series = new Series();
    this.value = null;
    this.time = null;
    this.seq = 0;
    this.missed = 0;
    this.visible = true;
    this.build(channel);
  }

  build(channel) {
    this.kind = channel.kind === 'boolean' ? 'boolean' : 'number';
    const labelId = `sensor-${cssId(channel.id)}-label`;
    this.labelNode = el('h3', { id: labelId, class: 'card-title' });
    this.deviceNode = el('span', { class: 'card-device' });
    this.valueNode = el('span', { class: 'value' });
    this.unitNode = el('span', { class: 'unit' });
    this.reasonNode = el('p', { class: 'reason', hidden: true });
    this.updatedNode = el('span', { class: 'updated' });
    this.scaleHigh = el('span', { class: 'scale-high' });
    this.scaleLow = el('span', { class: 'scale-low' });
    let reading;
    if (this.kind === 'boolean') {
      this.lamp = el('span', { class: 'lamp', 'aria-hidden': 'true' });
      reading = el('div', { class: 'reading boolean' }, this.lamp, this.valueNode);
    } else {
      reading = el('div', { class: 'reading' }, this.valueNode, this.unitNode);
    }
    this.gaugeWrap = el('div', { class: 'gauge-wrap', hidden: true });
    this.trend = new Trend({ boolean: this.kind === 'boolean', minSpan: 10 ** -(channel.precision ?? 1) * 20 });
    this.spanNode = el('span', { class: 'window' });
    const trendWrap = el('div', { class: 'trend-wrap' }, this.trend.node,
      el('span', { class: 'scale' }, this.scaleHigh, this.scaleLow), this.spanNode);
    this.iconSlot = el('span', { class: 'thing-slot' });
    this.iconClass = undefined;
    this.node = el('article', { class: 'card sensor', 'data-sensor': channel.id, 'aria-labelledby': labelId },
      el('header', { class: 'card-head' }, this.iconSlot, this.labelNode, this.deviceNode),
      reading, this.gaugeWrap, trendWrap, this.reasonNode,
      el('footer', { class: 'card-foot' }, this.updatedNode));
  }

  setMeta(channel) {
    if ((channel.kind === 'boolean' ? 'boolean' : 'number') !== this.kind) {
      // The map changed the sensor's kind across a restart: start over.
      const old = this.node;
      this.series = new Series();
      this.build(channel);
      old.replaceWith(this.node);
    }
    if (channel.device_class !== this.iconClass) {
      this.iconClass = channel.device_class;
      this.iconSlot.replaceChildren(classIcon(channel.device_class) || '');
    }
    this.meta = channel;
    setText(this.labelNode, channel.label || channel.id);
    setText(this.deviceNode, channel.device_label || channel.device || '');
    setText(this.unitNode, channel.unit || '');
    const ranged = this.kind === 'number' && typeof channel.min === 'number' && typeof channel.max === 'number';
    if (ranged && (!this.gauge || this.gauge.min !== channel.min || this.gauge.max !== channel.max)) {
      this.gauge = new Gauge(channel.min, channel.max);
      this.gaugeWrap.replaceChildren(this.gauge.node,
        el('span', { class: 'gauge-min' }, formatNumber(channel.min, channel.precision)),
        el('span', { class: 'gauge-max' }, formatNumber(channel.max, channel.precision)));
    }
    if (!ranged) this.gauge = null;
    this.gaugeWrap.hidden = !ranged;
    this.setStatus(channel.online !== false, channel.reason);
    if (channel.time != null) this.reading(channel.value, channel.time, channel.seq);
    this.panel.observe(this);
  }

  reading(value, time, seq) {
    if (typeof seq === 'number' && this.seq && seq > this.seq + 1) this.missed += seq - this.seq - 1;
    if (typeof seq === 'number') this.seq = seq;
    this.value = value;
    this.time = time;
    noteBridgeTime(time);
    const v = value === null ? NaN : Number(value);
    this.series.push(time, v);
    this.dirty();
  }

  // Readings from the bridge (`history`) merged with what this page already has, in time order.
  // A second hello on the same connection (the map was reloaded) asks again; a sensor that was
  // reopened then has a short history on the bridge, and the page keeps its own older points.
  backfill(points) {
    const old = this.series;
    const merged = new Series();
    let i = 0;
    let j = 0;
    const oldTime = (k) => old.times[(old.start + k) % old.times.length];
    const oldValue = (k) => old.values[(old.start + k) % old.times.length];
    while (i < points.length || j < old.length) {
      const fromPoints = j >= old.length || (i < points.length && points[i][0] <= oldTime(j));
      if (fromPoints) {
        const [time, value] = points[i];
        if (j < old.length && time === oldTime(j)) j += 1; // the same reading on both sides
        merged.push(time, value === null ? NaN : Number(value));
        i += 1;
      } else {
        merged.push(oldTime(j), oldValue(j));
        j += 1;
      }
    }
    this.series = merged;
    this.redraw();
  }

  setStatus(online, reason) {
    const wasOnline = this.online;
    this.online = online;
    this.reason = reason || '';
    // An offline stretch breaks the trend line instead of drawing across it.
    if (wasOnline && !online) this.breakLine();
    this.dirty();
  }

  // No value from here on until the next reading: the trend line ends at the last one.
  breakLine() {
    this.series.push(Math.max(bridgeNow(), this.series.lastTime + 1), NaN);
  }

  // The page lost its connection to the bridge (an outage of the bridge, the network or the
  // page): what is shown is the last known value, said so, and the trend breaks there.
  connectionLost() {
    this.disconnected = true;
    this.breakLine();
    this.dirty();
  }

  connectionBack() {
    this.disconnected = false;
    this.dirty();
  }

  dirty() {
    this.panel.dirty(this);
  }

  // Forces the chart to be redrawn in the next frame (new range, became visible).
  redraw() {
    this.drawnAt = -Infinity;
    this.dirty();
  }

  // Stored history for the chosen range (SensorPanel.setRange): drawn instead of the live trend.
  setStored(answer) {
    this.stored = answer;
    this.redraw();
  }

  render(now) {
    const meta = this.meta;
    this.node.classList.toggle('offline', !this.online);
    this.reasonNode.hidden = this.online;
    setText(this.reasonNode, this.online ? '' : `Offline${this.reason ? `: ${this.reason}` : ''}`);
    if (this.kind === 'boolean') {
      const known = typeof this.value === 'boolean';
      setText(this.valueNode, known ? stateWord(meta, this.value) : '—');
      this.lamp.classList.toggle('on', this.value === true);
      this.node.classList.toggle('is-on', this.value === true);
    } else {
      setText(this.valueNode, formatNumber(this.value, meta.precision));
      this.gauge?.update(typeof this.value === 'number' ? this.value : NaN);
    }
    let updated;
    if (this.disconnected) updated = this.time == null ? 'bridge not connected' : `bridge not connected · last reading ${formatClock(this.time)}`;
    else updated = this.time == null ? 'no reading yet' : `updated ${formatAgo(this.time)}`;
    setText(this.updatedNode, updated);
    this.updatedNode.classList.toggle('disconnected', !!this.disconnected);
    setAttr(this.updatedNode, 'title', this.time == null ? '' :
      `last reading ${formatClock(this.time)}, seq ${this.seq}${this.missed ? `, ${this.missed} skipped` : ''}`);
    // The chart moves about 1 px per second, so redrawing it 4 times a second is enough; the
    // number above it follows every reading.
    if (this.visible && now - (this.drawnAt ?? -Infinity) >= CHART_INTERVAL_MS) {
      this.drawnAt = now;
      this.series.dropBefore(now - WINDOW_MS);
      const range = this.panel.range;
      let scale;
      if (range) {
        setText(this.spanNode, this.stored ? `${rangeLabel(range)} · ${this.stored.tier}` : `${rangeLabel(range)} · loading`);
        this.node.classList.toggle('stored', true);
        scale = this.trend.drawStored(this.stored?.points || [], now - range, now, this.stored?.step || 1);
      } else {
        this.node.classList.toggle('stored', false);
        const span = trendSpan(this.series, now);
        setText(this.spanNode, `${span / 60000} min`);
        scale = this.trend.draw(this.series, now, span);
      }
      const { low, high } = scale;
      if (this.kind === 'boolean') {
        setText(this.scaleHigh, 'on');
        setText(this.scaleLow, 'off');
      } else if (low <= high) {
        setText(this.scaleHigh, formatNumber(high, meta.precision));
        setText(this.scaleLow, formatNumber(low, meta.precision));
      } else {
        setText(this.scaleHigh, '');
        setText(this.scaleLow, '');
      }
    }
  }
}

function rangeLabel(ms) {
  return ms >= 86400000 ? `${ms / 86400000} d` : `${ms / 3600000} h`;
}

// Buckets per chart: about one per pixel column of a phone-sized card (the view box is 300 wide).
const STORED_POINTS = 300;

function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}

export class SensorPanel {
  constructor(container) {
    this.container = container;
    this.cards = new Map();
    this.pending = new Set();
    this.renderBound = () => this.render();
    // Charts off screen are not drawn (50 sensors on a phone); they catch up when scrolled to.
    this.observer = 'IntersectionObserver' in window ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const card = entry.target.hwbCard;
        if (!card) continue;
        card.visible = entry.isIntersecting;
        if (card.visible) card.redraw();
      }
    }, { rootMargin: '200px' }) : null;
    // The time axis moves even when a sensor is quiet.
    setInterval(() => {
      for (const card of this.cards.values()) this.pending.add(card);
      invalidate(this.renderBound);
    }, 1000);
  }

  observe(card) {
    if (!this.observer || card.node.hwbCard === card) return;
    card.node.hwbCard = card;
    this.observer.observe(card.node);
  }

  // The chart range: null for the live trend, else milliseconds of stored history to show
  // (docs/history.md), asked of the bridge now and every minute while chosen.
  setRange(range) {
    this.range = range;
    clearInterval(this.rangeTimer);
    for (const card of this.cards.values()) {
      card.stored = null;
      card.redraw();
    }
    if (!range) return;
    this.loadStored();
    this.rangeTimer = setInterval(() => this.loadStored(), 60000);
  }

  loadStored() {
    const range = this.range;
    if (!range || !this.connection) return;
    const to = bridgeNow();
    const step = Math.max(1000, Math.ceil(range / STORED_POINTS));
    for (const card of this.cards.values()) {
      this.connection.request({ type: 'history', channel: card.id, from: Math.floor(to - range), to: Math.ceil(to), step }).then(
        (ack) => { if (this.range === range) this.cards.get(card.id)?.setStored(ack); },
        (error) => {
          if (this.range !== range) return;
          this.cards.get(card.id)?.setStored({ points: [], tier: error?.code === 'unavailable' ? 'no history on this bridge' : 'not available' });
        });
    }
  }

  hello(message, connection) {
    this.connection = connection;
    const shown = dashboardChannels(message.channels);
    reconcile(this.container, this.cards, shown, (channel) => new SensorCard(channel, this));
    // Trend charts start with the bridge's recent readings instead of empty.
    for (const channel of shown) {
      connection?.request({ type: 'history', channel: channel.id }).then(
        (ack) => this.cards.get(channel.id)?.backfill(ack.readings || []),
        () => {}); // an older bridge without history: the chart fills as readings arrive
    }
  }

  // Every card learns when the sensor connection goes down and when a hello brings it back.
  connectionChanged(connection) {
    const live = connection.state === 'open';
    if (live === this.live) return;
    const wasLive = this.live;
    this.live = live;
    if (!live && !wasLive) return; // never connected yet: nothing shown to break
    for (const card of this.cards.values()) {
      if (live) card.connectionBack();
      else card.connectionLost();
    }
  }

  message(message) {
    if (message.type === 'reading') this.cards.get(message.channel)?.reading(message.value, message.time, message.seq);
    else if (message.type === 'status') this.cards.get(message.channel)?.setStatus(message.online, message.reason);
  }

  dirty(card) {
    this.pending.add(card);
    invalidate(this.renderBound);
  }

  render() {
    const now = bridgeNow();
    const batch = [...this.pending];
    this.pending.clear();
    for (const card of batch) if (this.cards.get(card.id) === card) card.render(now);
  }
}
