// Reading storage and the SVG drawings of a sensor: a range gauge and a trend chart.

import { svg, setAttr } from './dom.js';

export const WINDOW_MS = 5 * 60 * 1000;
const CAPACITY = 4096; // 5 min at 10 Hz with headroom; faster sensors keep a shorter window
const COLUMN_MS = 500; // stored resolution; drawing merges columns to at most ~150 per chart
const MAX_COLUMNS = 150;

// The trend's time span: the data's age rounded up to whole minutes, 1 to 5, so a fresh page
// shows a readable chart at once and zooms out as readings accumulate.
export function trendSpan(series, now) {
  const first = series.columns.length ? series.columns[0].firstT : now;
  const minutes = Math.min(WINDOW_MS / 60000, Math.max(1, Math.ceil((now - first) / 60000)));
  return minutes * 60000;
}

// Fixed-size ring of (time, value) pairs as they arrived; value NaN marks "no value" (a gap in the
// line). Alongside, per half-second column (aligned to the clock, so finished columns never change)
// the min, max and last value, kept up to date on push: drawing costs O(columns), not O(readings).
export class Series {
  constructor(capacity = CAPACITY) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.start = 0;
    this.length = 0;
    this.columns = [];
  }

  get lastTime() {
    return this.length ? this.times[(this.start + this.length - 1) % this.times.length] : -Infinity;
  }

  push(time, value) {
    if (!(time > this.lastTime)) return; // duplicates (e.g. hello after reconnect) and reordering
    const cap = this.times.length;
    const at = (this.start + this.length) % cap;
    this.times[at] = time;
    this.values[at] = value;
    if (this.length < cap) this.length += 1;
    else this.start = (this.start + 1) % cap;
    this.aggregate(time, value);
  }

  aggregate(t, v) {
    const index = Math.floor(t / COLUMN_MS);
    let col = this.columns[this.columns.length - 1];
    if (!col || col.index !== index) {
      col = { index, min: NaN, minT: t, max: NaN, maxT: t, first: NaN, firstT: t, last: NaN, lastT: t, gap: false };
      this.columns.push(col);
    }
    if (Number.isNaN(v)) {
      col.gap = true;
      return;
    }
    if (Number.isNaN(col.first)) { col.first = v; col.firstT = t; }
    if (Number.isNaN(col.min) || v < col.min) { col.min = v; col.minT = t; }
    if (Number.isNaN(col.max) || v > col.max) { col.max = v; col.maxT = t; }
    col.last = v;
    col.lastT = t;
  }

  dropBefore(time) {
    const cap = this.times.length;
    while (this.length && this.times[this.start] < time) {
      this.start = (this.start + 1) % cap;
      this.length -= 1;
    }
    const firstIndex = Math.floor(time / COLUMN_MS);
    let drop = 0;
    while (drop < this.columns.length && this.columns[drop].index < firstIndex) drop++;
    if (drop) this.columns.splice(0, drop);
  }

  // Visits the stored readings in time order.
  forEach(fn) {
    const cap = this.times.length;
    for (let i = 0; i < this.length; i++) {
      const at = (this.start + i) % cap;
      fn(this.times[at], this.values[at]);
    }
  }
}

// ---- gauge: a bar showing where the value sits in the sensor's configured range ----
export class Gauge {
  constructor(min, max) {
    this.min = min;
    this.max = max;
    this.fill = svg('rect', { class: 'gauge-fill', x: 0, y: 0, width: 0, height: 8, rx: 0 });
    this.node = svg('svg', { class: 'gauge', viewBox: '0 0 100 8', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      svg('rect', { class: 'gauge-track', x: 0, y: 0, width: 100, height: 8 }),
      this.fill);
  }

  update(value) {
    const span = this.max - this.min;
    const f = Number.isFinite(value) && span > 0 ? Math.min(1, Math.max(0, (value - this.min) / span)) : 0;
    setAttr(this.fill, 'width', (f * 100).toFixed(2));
    this.fill.classList.toggle('out-of-range', Number.isFinite(value) && (value < this.min || value > this.max));
  }
}

// ---- trend: the last WINDOW_MS as polylines through each column's min and max ----
const W = 300;
const H = 100;

export class Trend {
  constructor({ boolean = false, minSpan = 1 } = {}) {
    this.boolean = boolean;
    this.minSpan = minSpan;
    // One polyline per unbroken stretch of readings (usually one; offline periods break the line).
    this.lines = svg('g', { class: 'trend-lines' });
    this.area = svg('polygon', { class: 'trend-area', points: '' });
    // Stored history (docs/history.md): the band between each bucket's min and max.
    this.band = svg('g', { class: 'trend-bands' });
    this.node = svg('svg', { class: 'trend', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      svg('line', { class: 'trend-grid', x1: 0, x2: W, y1: H / 2, y2: H / 2, 'vector-effect': 'non-scaling-stroke' }),
      this.band, this.area, this.lines);
    this.low = NaN;
    this.high = NaN;
  }

  // Stored history over [from, to]: points [time, min, avg, max, count], one per bucket of `step`,
  // at most about one per pixel column (the bridge buckets them). The avg as the line, min..max
  // as a band where readings were downsampled; a missing bucket breaks the line.
  drawStored(points, from, to, step) {
    setAttr(this.area, 'points', '');
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of points) {
      if (p[1] < lo) lo = p[1];
      if (p[3] > hi) hi = p[3];
    }
    if (this.boolean) {
      lo = 0;
      hi = 1;
    } else if (lo <= hi) {
      const span = Math.max(hi - lo, this.minSpan);
      const mid = (hi + lo) / 2;
      lo = mid - span / 2 - span * 0.08;
      hi = mid + span / 2 + span * 0.08;
    }
    this.low = lo;
    this.high = hi;
    const r = (n) => Math.round(n * 10) / 10;
    const x = (t) => r(((t + step / 2 - from) / (to - from)) * W);
    const y = (v) => r(hi > lo ? H - ((v - lo) / (hi - lo)) * H : H / 2);
    const segments = [];
    const bands = [];
    let line = [];
    let upper = [];
    let lower = [];
    let previous = -Infinity;
    const close = () => {
      if (line.length) segments.push(line);
      if (upper.length) bands.push(upper.concat(lower.reverse()));
      line = [];
      upper = [];
      lower = [];
    };
    for (const [t, min, avg, max] of points) {
      if (t < from - step || t > to) continue;
      if (t - previous > 2 * step) close();
      previous = t;
      line.push(`${x(t)},${y(avg)}`);
      upper.push(`${x(t)},${y(max)}`);
      lower.push(`${x(t)},${y(min)}`);
    }
    close();
    const wanted = Math.max(1, segments.length);
    while (this.lines.childElementCount < wanted) {
      this.lines.append(svg('polyline', { class: 'trend-line', points: '', 'vector-effect': 'non-scaling-stroke' }));
    }
    while (this.lines.childElementCount > wanted) this.lines.lastElementChild.remove();
    [...this.lines.children].forEach((l, i) => setAttr(l, 'points', segments[i]?.join(' ') ?? ''));
    while (this.band.childElementCount < bands.length) this.band.append(svg('polygon', { class: 'trend-band', points: '' }));
    while (this.band.childElementCount > bands.length) this.band.lastElementChild.remove();
    [...this.band.children].forEach((b, i) => setAttr(b, 'points', bands[i].join(' ')));
    this.count = segments.reduce((n, s) => n + s.length, 0);
    return { low: lo, high: hi };
  }

  // Draws series over [now - span, now]; returns {low, high} of the vertical scale.
  draw(series, now, span = WINDOW_MS) {
    this.band.replaceChildren();
    const from = now - span;
    // Merge k stored columns into one drawn column: at most MAX_COLUMNS, i.e. 2 points per ~2 px.
    const k = Math.max(1, Math.ceil(span / COLUMN_MS / MAX_COLUMNS));
    const cols = [];
    for (const c of series.columns) {
      if (c.lastT < from) continue;
      const index = Math.floor(c.index / k);
      const m = cols[cols.length - 1];
      if (!m || m.index !== index) {
        cols.push({ ...c, index });
        continue;
      }
      if (Number.isNaN(m.first)) { m.first = c.first; m.firstT = c.firstT; }
      if (!Number.isNaN(c.min) && (Number.isNaN(m.min) || c.min < m.min)) { m.min = c.min; m.minT = c.minT; }
      if (!Number.isNaN(c.max) && (Number.isNaN(m.max) || c.max > m.max)) { m.max = c.max; m.maxT = c.maxT; }
      if (!Number.isNaN(c.last)) { m.last = c.last; m.lastT = c.lastT; }
      m.gap = m.gap || c.gap;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of cols) {
      if (c.min < lo) lo = c.min;
      if (c.max > hi) hi = c.max;
    }

    if (this.boolean) {
      lo = 0;
      hi = 1;
    } else if (lo <= hi) {
      // Keep a minimum span so noise on a steady value does not fill the chart.
      const span = Math.max(hi - lo, this.minSpan);
      const mid = (hi + lo) / 2;
      lo = mid - span / 2;
      hi = mid + span / 2;
      const pad = span * 0.08;
      lo -= pad;
      hi += pad;
    }
    this.low = lo;
    this.high = hi;

    // Coordinates rounded to 0.1 of the 300x100 view box: plenty for a chart a few hundred px wide.
    const r = (n) => Math.round(n * 10) / 10;
    const x = (t) => r(((t - from) / span) * W);
    const y = (v) => r(hi > lo ? H - ((v - lo) / (hi - lo)) * H : H / 2);
    const boolY = (v) => (v ? H * 0.15 : H * 0.85);
    const pts = [];
    const segments = [];
    let prevY = NaN;
    for (const col of cols) {
      if (Number.isNaN(col.min)) {
        if (pts.length) segments.push(pts.splice(0));
        prevY = NaN;
        continue;
      }
      if (this.boolean) {
        // A step line: hold the previous level until the change. Within a column the value went
        // from first through min/max to last; min and max both differ from first only on a change.
        const levels = col.min === col.max ? [[col.firstT, col.first]]
          : [[col.firstT, col.first], [col.first === col.min ? col.maxT : col.minT, col.first === col.min ? col.max : col.min]];
        if (col.lastT !== levels[levels.length - 1][0] && col.last !== levels[levels.length - 1][1]) levels.push([col.lastT, col.last]);
        for (const [t, v] of levels) {
          const yy = boolY(v);
          const xx = x(t);
          if (!Number.isNaN(prevY) && prevY !== yy) pts.push(`${xx},${prevY}`);
          pts.push(`${xx},${yy}`);
          prevY = yy;
        }
      } else if (col.minT <= col.maxT) {
        pts.push(`${x(col.minT)},${y(col.min)}`);
        if (col.maxT !== col.minT) pts.push(`${x(col.maxT)},${y(col.max)}`);
      } else {
        pts.push(`${x(col.maxT)},${y(col.max)}`, `${x(col.minT)},${y(col.min)}`);
      }
      if (col.gap) {
        segments.push(pts.splice(0));
        prevY = NaN;
      }
    }
    if (pts.length) segments.push(pts);
    // Holding the last value to "now" would invent data, so the line ends at the last reading.
    const wanted = Math.max(1, segments.length);
    while (this.lines.childElementCount < wanted) {
      this.lines.append(svg('polyline', { class: 'trend-line', points: '', 'vector-effect': 'non-scaling-stroke' }));
    }
    while (this.lines.childElementCount > wanted) this.lines.lastElementChild.remove();
    [...this.lines.children].forEach((line, i) => setAttr(line, 'points', segments[i]?.join(' ') ?? ''));
    // The area under the line is drawn for the newest stretch only.
    const last = segments[segments.length - 1];
    if (last && last.length > 1 && !this.boolean) {
      const firstX = last[0].split(',')[0];
      const lastX = last[last.length - 1].split(',')[0];
      setAttr(this.area, 'points', `${firstX},${H} ${last.join(' ')} ${lastX},${H}`);
    } else {
      setAttr(this.area, 'points', '');
    }
    this.count = segments.reduce((n, s) => n + s.length, 0);
    return { low: lo, high: hi };
  }
}
