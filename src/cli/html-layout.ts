/**
 * Where the `--html` view puts things (render-html.ts draws them): service boxes in columns,
 * pair labels that do not overlap, and the curved edges between boxes.
 */
import type { PathForest } from './tree';
import type { HtmlHop } from './render-html';

export const EXTERNAL = 'external';

export const BOX_W = 200;
export const BOX_H = 44;
const COL_GAP = 210;
const ROW_GAP = 22;
const MARGIN = 40;
/** Past this many service pairs only the busiest get a permanent label (the rest on hover). */
const MAX_PAIR_LABELS = 90;

export interface Box {
  name: string;
  depth: number;
  x: number;
  y: number;
  order: number;
  calls: number;
  errors: number;
  instances: number | null;
}

export function layout(forest: PathForest, hops: HtmlHop[]): { boxes: Map<string, Box>; width: number; height: number } {
  const boxes = new Map<string, Box>();
  boxes.set(EXTERNAL, { name: EXTERNAL, depth: 0, x: 0, y: 0, order: 0, calls: 0, errors: 0, instances: null });
  for (const s of forest.services) {
    boxes.set(s.name, { name: s.name, depth: Infinity, x: 0, y: 0, order: 0, calls: s.calls, errors: s.errors, instances: s.instances });
  }
  assignDepths(boxes, hops);
  const external = boxes.get(EXTERNAL)!;
  external.calls = hops.filter((h) => h.from === EXTERNAL).reduce((n, h) => n + h.calls, 0);

  const columns: Box[][] = [];
  for (const b of boxes.values()) (columns[b.depth] ??= []).push(b);
  for (let d = 0; d < columns.length; d++) columns[d] ??= [];
  for (const col of columns) {
    col.sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
    col.forEach((b, i) => (b.order = i));
  }
  // Barycenter sweeps: order each column by the mean position of the boxes it is linked to.
  const links = new Map<string, Array<{ other: string; weight: number }>>();
  const link = (a: string, b: string, w: number): void => {
    const list = links.get(a);
    if (list) list.push({ other: b, weight: w });
    else links.set(a, [{ other: b, weight: w }]);
  };
  for (const h of hops) {
    if (h.from === h.to) continue;
    const w = Math.log10(10 + h.calls);
    link(h.from, h.to, w);
    link(h.to, h.from, w);
  }
  for (let sweep = 0; sweep < 6; sweep++) {
    const forward = sweep % 2 === 0;
    for (let i = 0; i < columns.length; i++) {
      const d = forward ? i : columns.length - 1 - i;
      const neighbourDepth = forward ? d - 1 : d + 1;
      const col = columns[d];
      const key = new Map<Box, number>();
      for (const b of col) {
        let sum = 0;
        let weight = 0;
        for (const l of links.get(b.name) ?? []) {
          const other = boxes.get(l.other)!;
          if (other.depth !== neighbourDepth) continue;
          sum += other.order * l.weight;
          weight += l.weight;
        }
        key.set(b, weight > 0 ? sum / weight : b.order);
      }
      col.sort((a, b) => key.get(a)! - key.get(b)! || a.order - b.order);
      col.forEach((b, idx) => (b.order = idx));
    }
  }
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = MARGIN * 2 + tallest * BOX_H + (tallest - 1) * ROW_GAP;
  columns.forEach((col, d) => {
    const colHeight = col.length * BOX_H + Math.max(0, col.length - 1) * ROW_GAP;
    const top = (height - colHeight) / 2;
    col.forEach((b, i) => {
      b.x = MARGIN + d * (BOX_W + COL_GAP);
      b.y = top + i * (BOX_H + ROW_GAP);
    });
  });
  const width = MARGIN * 2 + columns.length * BOX_W + (columns.length - 1) * COL_GAP;
  return { boxes, width, height };
}

/**
 * Column of each box: the call-weighted median of the positions its hops have on their paths
 * (first hop of a path = 1). A service called mostly as the third hop sits in column 3 even when
 * one small path reaches it directly; the number of columns never exceeds the longest path, so a
 * graph with cycles stays compact. Calls that go to the same or an earlier column are drawn as
 * arcs (see edgePath).
 */
export function assignDepths(boxes: Map<string, Box>, hops: HtmlHop[]): void {
  const positions = new Map<string, Array<{ depth: number; weight: number }>>();
  const depthOf: number[] = [];
  for (const h of hops) {
    depthOf[h.id] = h.parent >= 0 ? depthOf[h.parent] + 1 : 1;
    const list = positions.get(h.to);
    const item = { depth: depthOf[h.id], weight: Math.max(1, h.calls) };
    if (list) list.push(item);
    else positions.set(h.to, [item]);
  }
  for (const b of boxes.values()) {
    if (b.name === EXTERNAL) {
      b.depth = 0;
      continue;
    }
    const list = (positions.get(b.name) ?? []).sort((x, y) => x.depth - y.depth);
    const total = list.reduce((n, x) => n + x.weight, 0);
    let seen = 0;
    b.depth = 1;
    for (const x of list) {
      seen += x.weight;
      if (seen * 2 >= total) {
        b.depth = x.depth;
        break;
      }
    }
  }
}

export interface PairLabel {
  key: string;
  calls: number;
  errors: number;
  line1: string;
  line2: string;
  /** Text anchor (middle) and the first line's baseline. */
  x: number;
  y: number;
}

/**
 * The labels drawn permanently: busiest pairs first, each only where it overlaps neither a box
 * nor a label already placed, at most MAX_PAIR_LABELS. The others show on hover.
 */
export function placeLabels(labels: PairLabel[], boxes: Box[]): Set<PairLabel> {
  type Rect = [number, number, number, number];
  const taken: Rect[] = boxes.map((b) => [b.x, b.y, b.x + BOX_W, b.y + BOX_H]);
  const overlaps = (a: Rect): boolean => taken.some((t) => a[0] < t[2] && a[2] > t[0] && a[1] < t[3] && a[3] > t[1]);
  const shown = new Set<PairLabel>();
  for (const l of [...labels].sort((a, b) => b.calls - a.calls)) {
    if (shown.size >= MAX_PAIR_LABELS) break;
    // About 6 px per character at 11 px; the first line's glyphs start ~10 px above its baseline.
    const width = Math.max(l.line1.length, l.line2.length) * 6 + 6;
    const rect: Rect = [l.x - width / 2, l.y - 11, l.x + width / 2, l.y + (l.line2 ? 16 : 3)];
    if (overlaps(rect)) continue;
    taken.push(rect);
    shown.add(l);
  }
  return shown;
}

export function edgeClass(h: { calls: number; errors: number }): string {
  const rate = h.calls > 0 ? h.errors / h.calls : 0;
  if (h.errors > 0 && rate >= 0.05) return 'err';
  if (h.errors > 0 && rate >= 0.01) return 'warn';
  return '';
}

/**
 * Edge from the right side of `a` to the left side of `b` (endpoints spread by `sa` / `sb`), and
 * the point for its label (70 % of the way, near the callee, so the labels of one caller's
 * fan-out do not pile up).
 */
export function edgePath(a: Box, b: Box, sa: number, sb: number): { d: string; mid: [number, number] } {
  if (a === b) {
    const x = a.x + BOX_W - 30 + sa;
    const y = a.y;
    return { d: `M${r(x)},${r(y)} C${r(x + 40)},${r(y - 46)} ${r(x - 70)},${r(y - 46)} ${r(x - 40)},${r(y)}`, mid: [x - 15, y - 34] };
  }
  const x1 = a.x + BOX_W;
  const y1 = a.y + BOX_H / 2 + sa;
  if (b.depth === a.depth) {
    // Same column: an arc out of the right side of one box into the right side of the other.
    const x2 = b.x + BOX_W;
    const y2 = b.y + BOX_H / 2 + sb;
    const bulge = 50 + Math.min(120, Math.abs(y2 - y1) / 4);
    const d = `M${r(x1)},${r(y1)} C${r(x1 + bulge)},${r(y1)} ${r(x2 + bulge)},${r(y2)} ${r(x2)},${r(y2)}`;
    return { d, mid: [x1 + bulge * 0.75 + 30, bezierAt(0.6, y1, y1, y2, y2)] };
  }
  const x2 = b.x;
  const y2 = b.y + BOX_H / 2 + sb;
  if (x2 > x1) {
    const c = Math.max(40, (x2 - x1) / 2);
    // Across more than one column: bow below the boxes in between instead of running behind them.
    const bow = b.depth - a.depth > 1 ? BOX_H + 30 : 0;
    const d = `M${r(x1)},${r(y1)} C${r(x1 + c)},${r(y1 + bow)} ${r(x2 - c)},${r(y2 + bow)} ${r(x2)},${r(y2)}`;
    return { d, mid: [bezierAt(0.7, x1, x1 + c, x2 - c, x2), bezierAt(0.7, y1, y1 + bow, y2 + bow, y2)] };
  }
  // Backwards (a caller further right than its callee): out to the right, under both, in from the left.
  const dip = Math.max(y1, y2) + BOX_H + 30;
  const d = `M${r(x1)},${r(y1)} C${r(x1 + 90)},${r(y1)} ${r(x1 + 90)},${r(dip)} ${r((x1 + x2) / 2)},${r(dip)} S${r(x2 - 90)},${r(y2)} ${r(x2)},${r(y2)}`;
  return { d, mid: [(x1 + x2) / 2, dip] };
}

export function bezierAt(t: number, p0: number, p1: number, p2: number, p3: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

export function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}
