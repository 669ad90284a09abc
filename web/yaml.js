// YAML for the device map editor (editor.js): syntax colouring of single lines as HTML, and the
// little structure the completion needs (which mapping, list and key a line belongs to). Not a
// YAML parser: the bridge validates; this only has to be right for what people type in a map.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
export const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ESCAPES[c]);

const NUMBER = /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;
const BOOLEAN = /^(?:true|True|TRUE|false|False|FALSE)$/;
const NULL = /^(?:null|Null|NULL|~)$/;

// The class of a plain scalar.
function scalarClass(text) {
  if (NUMBER.test(text)) return 'y-number';
  if (BOOLEAN.test(text)) return 'y-bool';
  if (NULL.test(text)) return 'y-null';
  return 'y-string';
}

// A block scalar's header (`|`, `>-`, `|2+` …), alone or before a comment.
const BLOCK_HEADER = /^[|>][-+0-9]*\s*(?:#.*)?$/;
// Leading indentation, list dashes, and a key (plain or quoted) followed by `:` and a space or
// the end of the line.
const LINE = /^( *)((?:-(?: +|$))*)(?:("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[\]{},:&*!|>%@`-][^#:]*?|-[^\s#:][^#:]*?|:[^\s][^#:]*?)( *:)(?= |$))?/;

// Tokens [start, end, class] of a value (what follows `key: ` or `- `), from `from` to the end.
function valueTokens(line, from, tokens) {
  let i = from;
  let depth = 0; // inside [ ] or { }
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === ' ' || c === '\t') { i += 1; continue; }
    if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      tokens.push([i, n, 'y-comment']);
      return;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n) {
        if (c === '"' && line[j] === '\\') { j += 2; continue; }
        if (line[j] === c) {
          if (c === "'" && line[j + 1] === "'") { j += 2; continue; }
          j += 1;
          break;
        }
        j += 1;
      }
      j = Math.min(j, n);
      tokens.push([i, j, 'y-string']);
      i = j;
      continue;
    }
    if ('[]{},'.includes(c)) {
      if (c === '[' || c === '{') depth += 1;
      else if (c !== ',' && depth > 0) depth -= 1;
      tokens.push([i, i + 1, 'y-punct']);
      i += 1;
      continue;
    }
    if ((c === '&' || c === '*' || c === '!') && i + 1 < n && !/[\s,[\]{}]/.test(line[i + 1])) {
      let j = i + 1;
      while (j < n && !/[\s,[\]{}]/.test(line[j])) j += 1;
      tokens.push([i, j, c === '&' ? 'y-anchor' : c === '*' ? 'y-alias' : 'y-tag']);
      i = j;
      continue;
    }
    if ((c === '|' || c === '>') && depth === 0 && BLOCK_HEADER.test(line.slice(i))) {
      let j = i + 1;
      while (j < n && /[-+0-9]/.test(line[j])) j += 1;
      tokens.push([i, j, 'y-punct']);
      i = j;
      continue;
    }
    if (c === '-' && depth === 0 && (line[i + 1] === ' ' || i + 1 === n)) {
      tokens.push([i, i + 1, 'y-dash']);
      i += 1;
      continue;
    }
    // A plain scalar: up to ` #`, the end, and in flow context `,[]{}`; a `key:` inside it (flow
    // mappings, or `- key: value` after a dash) is a key.
    let j = i;
    while (j < n) {
      const d = line[j];
      if (depth > 0 && ',[]{}'.includes(d)) break;
      if (d === '#' && (line[j - 1] === ' ' || line[j - 1] === '\t')) break;
      if (d === ':' && (j + 1 === n || line[j + 1] === ' ' || (depth > 0 && ',[]{}'.includes(line[j + 1])))) break;
      j += 1;
    }
    let end = j;
    while (end > i && (line[end - 1] === ' ' || line[end - 1] === '\t')) end -= 1;
    if (line[j] === ':') {
      tokens.push([i, end, 'y-key']);
      tokens.push([j, j + 1, 'y-punct']);
      i = j + 1;
      continue;
    }
    if (end > i) tokens.push([i, end, scalarClass(line.slice(i, end))]);
    i = Math.max(j, i + 1);
  }
}

// Tokens of one line. `block`: the line is inside a block scalar (all of it is string).
export function lineTokens(line, block = false) {
  const tokens = [];
  if (block) {
    if (line.trim()) tokens.push([0, line.length, 'y-string y-block']);
    return tokens;
  }
  const trimmed = line.trimStart();
  if (trimmed.startsWith('#')) {
    tokens.push([line.length - trimmed.length, line.length, 'y-comment']);
    return tokens;
  }
  if (/^(?:---|\.\.\.)(?:\s|$)/.test(line)) {
    tokens.push([0, 3, 'y-punct']);
    valueTokens(line, 3, tokens);
    return tokens;
  }
  const m = LINE.exec(line);
  let at = m[1].length;
  for (let i = 0; i < m[2].length; i += 1) if (m[2][i] === '-') tokens.push([at + i, at + i + 1, 'y-dash']);
  at += m[2].length;
  if (m[3] !== undefined) {
    tokens.push([at, at + m[3].length, 'y-key']);
    at += m[3].length;
    tokens.push([at + m[4].length - 1, at + m[4].length, 'y-punct']);
    at += m[4].length;
  }
  valueTokens(line, at, tokens);
  return tokens;
}

// For each line, whether it is inside a block scalar (`key: |` and the lines indented deeper).
// One pass over the lines; cheap enough to run on every input of a few thousand lines.
export function blockLines(lines) {
  const inside = new Uint8Array(lines.length);
  let parent = -1; // indentation of the line that opened a block scalar; -1: none open
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (parent >= 0) {
      const indent = line.length - line.trimStart().length;
      if (!line.trim() || indent > parent) { inside[i] = 1; continue; }
      parent = -1;
    }
    if (/(?::|^\s*-)\s+[|>][-+0-9]*\s*(?:#.*)?$/.test(line)) {
      parent = line.length - line.trimStart().length;
      const dashes = /^ *((?:- +)*)/.exec(line)[1].length;
      parent += dashes; // `- key: |`: deeper than the key's column, not the dash's
      if (/^\s*-\s+[|>]/.test(line)) parent -= 2;
    }
  }
  return inside;
}

// One line as HTML: tokens as <span class>, and, when given, the problem's range [from, to) as an
// underlined <span class="y-err">; an empty range at the end of the line underlines a space.
export function lineHtml(line, tokens, err = null) {
  let html = '';
  const cuts = new Set([0, line.length]);
  for (const [s, e] of tokens) { cuts.add(s); cuts.add(e); }
  if (err) { cuts.add(Math.min(err[0], line.length)); cuts.add(Math.min(err[1], line.length)); }
  const points = [...cuts].sort((a, b) => a - b);
  let t = 0;
  for (let p = 0; p < points.length - 1; p += 1) {
    const s = points[p];
    const e = points[p + 1];
    if (e <= s) continue;
    while (t < tokens.length && tokens[t][1] <= s) t += 1;
    const cls = t < tokens.length && tokens[t][0] <= s ? tokens[t][2] : '';
    const inErr = err && s >= err[0] && e <= err[1];
    let piece = escapeHtml(line.slice(s, e));
    if (cls) piece = `<span class="${cls}">${piece}</span>`;
    if (inErr) piece = `<span class="y-err">${piece}</span>`;
    html += piece;
  }
  if (err && err[0] >= line.length) html += '<span class="y-err y-err-end"> </span>';
  return html;
}

// Where a problem reported at column `column` (1-based) is underlined: the key or the word there.
export function problemRange(line, column) {
  const start = Math.max(0, (column || 1) - 1);
  if (start >= line.length || !line.slice(start).trim()) return [line.length, line.length];
  const rest = line.slice(start);
  const key = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:#][^:#]*?)\s*:(?=\s|$)/.exec(rest);
  if (key) return [start, start + key[1].length];
  let end = start;
  while (end < line.length && !/\s/.test(line[end]) && !(line[end] === '#' && end > start)) end += 1;
  if (end === start) end = start + 1;
  return [start, end];
}

// ---- structure, for completion ----

// What a line holds: indentation, list dashes, the column of its content, its key and value.
export function lineInfo(line) {
  const m = /^( *)((?:- +)*)(.*)$/.exec(line);
  const indent = m[1].length;
  const content = m[3];
  const col = indent + m[2].length;
  const blank = content.trim() === '' || content.trimStart().startsWith('#');
  const key = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[A-Za-z0-9_$./][\w$./-]*)\s*:(?:\s+(.*?))?\s*$/.exec(
    content.replace(/\s+#.*$/, ''));
  return {
    indent,
    lastDash: m[2].length > 0 ? indent + m[2].trimEnd().lastIndexOf('-') : -1,
    col,
    blank: blank && m[2].length === 0,
    key: key ? key[1].replace(/^["']|["']$/g, '') : null,
    value: key ? (key[2] ?? '').replace(/^["']|["']$/g, '') : null,
  };
}

// The mapping whose keys are at column `col` and that holds line `at` (whose info is `own`):
// its other keys and values, and the line it hangs from (a `key:` line, or the `- ` line that
// starts it as a list item; -1 at the top).
export function mappingAt(infos, at, col, own) {
  const siblings = new Map();
  let parent = -1;
  let item = own.lastDash >= 0 && own.col === col ? at : -1;
  if (item < 0) {
    for (let j = at - 1; j >= 0; j -= 1) {
      const info = infos[j];
      if (info.blank) continue;
      if (info.col === col && info.lastDash >= 0 && info.lastDash + 2 <= col) {
        if (info.key !== null) siblings.set(info.key, info.value);
        item = j;
        break;
      }
      if (info.indent < col) { parent = j; break; }
      if (info.indent === col && info.key !== null && info.lastDash < 0) siblings.set(info.key, info.value);
    }
  }
  for (let j = at + 1; j < infos.length; j += 1) {
    const info = infos[j];
    if (info.blank) continue;
    if (info.indent < col) break;
    if (info.indent === col && info.key !== null && info.lastDash < 0) siblings.set(info.key, info.value);
  }
  return { siblings, parent, item };
}

// The path from the top of the document to the mapping at column `col` holding line `at`:
// {steps, levels}. steps: {key} and {item} from the top down; levels: the mappings (their
// siblings) from the top mapping to this one, one more than there are key steps (the key steps
// are taken in levels[0], levels[1], …). Null when the lines above do not make a path.
export function pathAt(infos, at, col, own) {
  const steps = [];
  let mapping = mappingAt(infos, at, col, own);
  const levels = [mapping];
  for (let guard = 0; guard < 32; guard += 1) {
    let from;
    if (mapping.item >= 0) {
      // A list item: the list hangs from the nearest line above its dash that is less indented
      // (or a `key:` line at the dash's own indentation: `devices:\n- id: x`).
      const dash = infos[mapping.item].lastDash;
      from = -1;
      for (let j = mapping.item - 1; j >= 0; j -= 1) {
        const info = infos[j];
        if (info.blank) continue;
        if (info.indent < dash || (info.indent === dash && info.lastDash < 0 && info.key !== null && !info.value)) {
          from = j;
          break;
        }
      }
      if (from < 0) return null;
      steps.unshift({ item: true });
    } else if (mapping.parent >= 0) {
      from = mapping.parent;
    } else {
      return { steps, levels };
    }
    const info = infos[from];
    if (info.key === null) return null;
    steps.unshift({ key: info.key });
    mapping = mappingAt(infos, from, info.col, info);
    levels.unshift(mapping);
  }
  return null;
}

// id -> driver of the entries under the top-level `devices:`.
export function deviceDrivers(infos) {
  const drivers = new Map();
  let inDevices = false;
  let id = null;
  let driver = null;
  let itemCol = -1;
  const flush = () => { if (id !== null) drivers.set(id, driver); id = null; driver = null; };
  for (const info of infos) {
    if (info.blank) continue;
    if (info.indent === 0 && info.lastDash < 0) {
      flush();
      inDevices = info.key === 'devices';
      continue;
    }
    if (!inDevices) continue;
    if (info.lastDash >= 0 && (itemCol < 0 || info.col === itemCol)) { flush(); itemCol = info.col; }
    if (info.col !== itemCol) continue;
    if (info.key === 'id') id = info.value;
    if (info.key === 'driver') driver = info.value;
  }
  flush();
  return drivers;
}
