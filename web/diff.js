// Line diff (Myers' O(ND) algorithm) of the draft against the running device map, and hunks of
// changed lines with a little context for display.

// Returns [{op: ' '|'-'|'+', text, a, b}] where a/b are 1-based line numbers in the old/new text
// (null for the side a line does not exist on). Above `maxEdits` differences it gives up and
// returns null (a map replaced wholesale is shown as "everything changed" instead).
export function diffLines(oldText, newText, maxEdits = 1000) {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // Common head and tail cost nothing in Myers' loop but shrink it to the edited middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle = myers(midA, midB, maxEdits);
  if (middle === null) return null;
  const out = [];
  for (let i = 0; i < head; i += 1) out.push({ op: ' ', text: a[i], a: i + 1, b: i + 1 });
  let ia = head;
  let ib = head;
  for (const op of middle) {
    if (op === ' ') { out.push({ op, text: a[ia], a: ia + 1, b: ib + 1 }); ia += 1; ib += 1; }
    else if (op === '-') { out.push({ op, text: a[ia], a: ia + 1, b: null }); ia += 1; }
    else { out.push({ op, text: b[ib], a: null, b: ib + 1 }); ib += 1; }
  }
  for (let k = 0; k < tail; k += 1) out.push({ op: ' ', text: a[ia + k], a: ia + k + 1, b: ib + k + 1 });
  return out;
}

export function splitLines(text) {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final newline ends a line
  return lines;
}

// Myers' greedy forward search; the edit script as a list of ' ', '-', '+'.
function myers(a, b, maxEdits) {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace = [];
  for (let d = 0; d <= max; d += 1) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]))
        ? v[offset + k + 1] // down: insertion
        : v[offset + k - 1] + 1; // right: deletion
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x += 1; y += 1; }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, v, d, n, m, offset);
    }
  }
  return null;
}

function backtrack(trace, last, d, n, m, offset) {
  const ops = [];
  let x = n;
  let y = m;
  for (let step = d; step > 0; step -= 1) {
    const v = trace[step];
    const k = x - y;
    const down = k === -step || (k !== step && v[offset + k - 1] < v[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { ops.push(' '); x -= 1; y -= 1; }
    ops.push(down ? '+' : '-');
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) { ops.push(' '); x -= 1; y -= 1; }
  return ops.reverse();
}

// Groups a diff into hunks: changed lines with `context` unchanged lines around them.
export function hunks(diff, context = 2) {
  const result = [];
  let current = null;
  for (let i = 0; i < diff.length; i += 1) {
    if (diff[i].op === ' ') continue;
    if (current && i - current.lastChange <= 2 * context + 1) {
      current.lastChange = i;
    } else {
      current = { start: Math.max(0, i - context), lastChange: i };
      result.push(current);
    }
  }
  return result.map((h) => diff.slice(h.start, Math.min(diff.length, h.lastChange + context + 1)));
}
