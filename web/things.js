// What the device map says about how to show a channel (docs/device-map.md, "How the page shows a
// channel"): its words for on and off, an icon for its device class, and its place (`ui`).

import { svg } from './dom.js';

// One outline icon per device class (24x24, drawn with currentColor).
const ICONS = {
  door: 'M6 3h12v18H6zM14.5 12h.01M3 21h18',
  window: 'M4 4h16v16H4zM12 4v16M4 12h16',
  valve: 'M4 8v8l8-4zM20 8v8l-8-4zM12 12V6M9 5h6',
  lock: 'M6 11h12v9H6zM9 11V8a3 3 0 0 1 6 0v3',
  moisture: 'M12 3c4 5 6 8 6 11a6 6 0 0 1-12 0c0-3 2-6 6-11z',
  motion: 'M13 3.5a1.5 1.5 0 1 0 .01 0M10 21l2-6 3 3v3M12 15l1-6-4 2-1 3M13 9l3 3h3',
  running: 'M12 9a3 3 0 1 0 .01 0M12 3v3M12 18v3M3 12h3M18 12h3M5.6 5.6l2.1 2.1M16.3 16.3l2.1 2.1M5.6 18.4l2.1-2.1M16.3 7.7l2.1-2.1',
  power: 'M12 3v9M7 6a7 7 0 1 0 10 0',
  light: 'M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5V16h8v-2.5A6 6 0 0 0 12 3z',
  heat: 'M12 3c1 4 5 6 5 11a5 5 0 0 1-10 0c0-3 2-4 2-7 2 1 3 3 3 5',
};

// The icon of a device class, or null (no class, or one this page does not know).
export function classIcon(deviceClass) {
  const d = ICONS[deviceClass];
  if (!d) return null;
  return svg('svg', { class: 'thing-icon', viewBox: '0 0 24 24', width: 20, height: 20, 'aria-hidden': 'true',
    focusable: 'false', 'data-class': deviceClass },
  svg('path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
}

// "Open" / "Closed" for a door, the map's own words, else On / Off.
export function stateWord(meta, on) {
  return on ? (meta?.on_text || 'On') : (meta?.off_text || 'Off');
}

// A channel's place on the dashboard. A channel a hub imported from another bridge (`origin`)
// goes, unless the map groups it itself, into one group per bridge, titled by its device's label.
export function uiOf(meta) {
  const ui = meta?.ui || {};
  if (ui.group || !meta?.origin) return ui;
  return { ...ui, group: meta.device_label || meta.origin };
}

// The channels the dashboard shows, by `ui.order`, equal orders in hello (map) order.
export function dashboardChannels(channels) {
  return (channels || [])
    .map((channel, index) => ({ channel, index }))
    .filter(({ channel }) => !uiOf(channel).hidden)
    .sort((a, b) => (uiOf(a.channel).order || 0) - (uiOf(b.channel).order || 0) || a.index - b.index)
    .map(({ channel }) => channel);
}

// Who or what made a change, in words: the signed-in subject when there is one, this page, an
// automation, the MQTT uplink, or the connection id of an anonymous client.
export function causeWords(cause, ownClient, causes) {
  if (!cause) return '';
  if (cause.kind !== 'client') {
    if (cause.kind === 'lease_expired' && cause.client) return `lease of ${cause.subject || cause.client} ended`;
    return causes[cause.kind] || cause.kind || '';
  }
  const name = cause.subject || cause.client || '';
  if (name.startsWith('automation:')) return `by automation ${name.slice(11)}`;
  if (name.startsWith('mqtt:')) return `by MQTT (${name.slice(5)})`;
  const own = cause.client && cause.client === ownClient;
  if (cause.subject) return `by ${cause.subject}${own ? ' (this page)' : ''}`;
  if (own) return 'by this page';
  return `by ${cause.client || 'a client'}`;
}
