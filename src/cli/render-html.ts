/**
 * `--html FILE`: one self-contained HTML file (no network, no CDN, no external file) with the
 * service graph as inline SVG and a small script (html-client.ts) for hover / click.
 *
 * - A box per service (`g.service`), plus one `external` box for the callers outside the system.
 * - An edge per hop (`path.hop`): every entry series is one hop, from the service of its parent
 *   entry (or `external`) to its own service. Hops between the same two services fan out side by
 *   side; one label per service pair gives the calls and the largest p99 of its hops.
 * - Edges whose error rate is >= 5 % are red (>= 1 % orange); width grows with calls.
 * - Layout: services in columns by the position their hops mostly have on their paths (see
 *   assignDepths), ordered inside a column by the average position of their neighbours (a few
 *   barycenter sweeps: fewer crossings).
 * - Hover or click on an edge, or on a path in the side list, shows the whole chain of that path
 *   with each hop's numbers and the calls it made. The SVG is drawn here, not by the script, so
 *   the picture is complete without JavaScript.
 */
import { compact, duration, errorsText, percent } from './format';
import { CLIENT_SCRIPT, CLIENT_STYLE } from './html-client';
import type { PathForest, PathNode } from './tree';
import type { ViewMeta } from './view-meta';

export const EXTERNAL = 'external';

const BOX_W = 200;
const BOX_H = 44;
const COL_GAP = 210;
const ROW_GAP = 22;
const MARGIN = 40;
/** Past this many service pairs only the busiest get a permanent label (the rest on hover). */
const MAX_PAIR_LABELS = 90;

export interface HtmlHop {
  id: number;
  /** Parent hop id, -1 for a path's first hop. */
  parent: number;
  from: string;
  to: string;
  name: string;
  type: string;
  key: string;
  calls: number;
  errors: number;
  p50: number | null;
  p99: number | null;
  instances: number | null;
  orphan: boolean;
  marks: string[];
  exits: Array<{ type: string; name: string; calls: number; errors: number; p50: number | null; p99: number | null; marks: string[] }>;
}

interface Box {
  name: string;
  depth: number;
  x: number;
  y: number;
  order: number;
  calls: number;
  errors: number;
  instances: number | null;
}

export function collectHops(forest: PathForest): HtmlHop[] {
  const hops: HtmlHop[] = [];
  const visit = (node: PathNode, parent: HtmlHop | undefined): void => {
    if (node.kind !== 'entry') return;
    const hop: HtmlHop = {
      id: hops.length,
      parent: parent ? parent.id : -1,
      from: parent ? parent.to : EXTERNAL,
      to: node.service,
      name: node.element.name,
      type: node.element.type,
      key: node.pathKey,
      calls: node.calls,
      errors: node.errors,
      p50: node.p50,
      p99: node.p99,
      instances: node.instances,
      orphan: node.orphan,
      marks: node.marks,
      exits: node.children
        .filter((c) => c.kind === 'exit')
        .map((c) => ({
          type: c.element.type,
          name: c.element.name,
          calls: c.calls,
          errors: c.errors,
          p50: c.p50,
          p99: c.p99,
          marks: c.marks,
        })),
    };
    hops.push(hop);
    for (const child of node.children) visit(child, hop);
  };
  for (const root of forest.roots) visit(root, undefined);
  return hops;
}

function layout(forest: PathForest, hops: HtmlHop[]): { boxes: Map<string, Box>; width: number; height: number } {
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
function assignDepths(boxes: Map<string, Box>, hops: HtmlHop[]): void {
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

interface PairLabel {
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
function placeLabels(labels: PairLabel[], boxes: Box[]): Set<PairLabel> {
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

function edgeClass(h: { calls: number; errors: number }): string {
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
function edgePath(a: Box, b: Box, sa: number, sb: number): { d: string; mid: [number, number] } {
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

function bezierAt(t: number, p0: number, p1: number, p2: number, p3: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

export function renderHtml(forest: PathForest, meta: ViewMeta, title = 'ck-agent paths'): string {
  const hops = collectHops(forest);
  const { boxes, width, height } = layout(forest, hops);
  const maxCalls = Math.max(1, ...hops.map((h) => h.calls));

  // Group hops by service pair so they fan out and share one label.
  const pairs = new Map<string, HtmlHop[]>();
  for (const h of hops) {
    const k = `${h.from}\u0000${h.to}`;
    const list = pairs.get(k);
    if (list) list.push(h);
    else pairs.set(k, [h]);
  }
  // Endpoint spread: each box side shares its height among the hops that leave / arrive there.
  const outSlots = new Map<string, number>();
  const inSlots = new Map<string, number>();
  for (const h of hops) {
    outSlots.set(h.from, (outSlots.get(h.from) ?? 0) + 1);
    inSlots.set(h.to, (inSlots.get(h.to) ?? 0) + 1);
  }
  const outUsed = new Map<string, number>();
  const inUsed = new Map<string, number>();
  const spread = (slots: number, i: number): number => {
    if (slots <= 1) return 0;
    const span = BOX_H - 12;
    return -span / 2 + (span * i) / (slots - 1);
  };
  // Hops are placed in pair order so a pair's fan is contiguous on both boxes.
  const edges: string[] = [];
  const labels: string[] = [];
  const pairLabels: PairLabel[] = [];
  for (const [k, list] of pairs) {
    let mid: [number, number] = [0, 0];
    list.forEach((h, i) => {
      const a = boxes.get(h.from)!;
      const b = boxes.get(h.to)!;
      const oi = outUsed.get(h.from) ?? 0;
      const ii = inUsed.get(h.to) ?? 0;
      outUsed.set(h.from, oi + 1);
      inUsed.set(h.to, ii + 1);
      const e = edgePath(a, b, spread(outSlots.get(h.from)!, oi), spread(inSlots.get(h.to)!, ii));
      if (i === Math.floor((list.length - 1) / 2)) mid = e.mid;
      const w = 1.2 + 4 * Math.sqrt(h.calls / maxCalls);
      const cls = ['hop', edgeClass(h), h.orphan ? 'orphan' : ''].filter(Boolean).join(' ');
      const tip = `${h.from} → ${h.to} ${h.name}: calls ${h.calls}, errors ${errorsText(h.errors, h.calls)}, p50 ${duration(h.p50)}, p99 ${duration(h.p99)}`;
      edges.push(
        `<path class="${cls}" data-hop="${h.id}" data-from="${esc(h.from)}" data-to="${esc(h.to)}" d="${e.d}" stroke-width="${r(w)}" marker-end="url(#arrow)"><title>${esc(tip)}</title></path>`
      );
    });
    const calls = list.reduce((n, h) => n + h.calls, 0);
    const errors = list.reduce((n, h) => n + h.errors, 0);
    const p99 = Math.max(...list.map((h) => h.p99 ?? -1));
    const line1 = `${compact(calls)} calls · p99 ${duration(p99 >= 0 ? p99 : null)}`;
    const line2 = [list.length > 1 ? `${list.length} paths` : '', errors > 0 ? `${percent(errors / calls)} errors` : '']
      .filter(Boolean)
      .join(' · ');
    pairLabels.push({ key: k, calls, errors, line1, line2, x: mid[0], y: mid[1] - (line2 ? 18 : 6) });
  }
  const shown = placeLabels(pairLabels, [...boxes.values()]);
  for (const l of pairLabels) {
    const cls = ['pair-label', edgeClass(l), shown.has(l) ? '' : 'quiet'].filter(Boolean).join(' ');
    const x = r(l.x);
    labels.push(
      `<text class="${cls}" data-pair="${esc(l.key.replace('\u0000', ' → '))}" x="${x}" y="${r(l.y)}" text-anchor="middle">` +
        `<tspan x="${x}">${esc(l.line1)}</tspan>${l.line2 ? `<tspan x="${x}" dy="13">${esc(l.line2)}</tspan>` : ''}</text>`
    );
  }
  const nodes: string[] = [];
  for (const b of boxes.values()) {
    const isExternal = b.name === EXTERNAL;
    if (isExternal && hops.length === 0) continue;
    const sub = isExternal
      ? `${compact(b.calls)} calls in`
      : `${compact(b.calls)} calls · ${b.errors > 0 ? `${percent(b.errors / Math.max(1, b.calls))} err` : 'no errors'}${b.instances !== null ? ` · ${b.instances} inst` : ''}`;
    const cls = isExternal ? 'external' : `service${b.errors > 0 && b.errors / Math.max(1, b.calls) >= 0.05 ? ' err' : ''}`;
    nodes.push(
      `<g class="${cls}" data-service="${esc(b.name)}" transform="translate(${r(b.x)},${r(b.y)})">` +
        `<rect width="${BOX_W}" height="${BOX_H}" rx="${isExternal ? 22 : 6}"/>` +
        `<text class="name" x="10" y="18">${esc(fitText(b.name, 26))}</text>` +
        `<text class="sub" x="10" y="34">${esc(sub)}</text>` +
        `<title>${esc(b.name)}</title></g>`
    );
  }

  const data = {
    title,
    generatedAt: meta.generatedAt,
    source: meta.sourceText,
    notes: meta.notes,
    hops,
    services: forest.services,
  };
  const svg =
    `<svg id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${r(width)} ${r(height)}" data-width="${r(width)}" data-height="${r(height)}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto">` +
    `<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>` +
    `<g id="edges">${edges.join('')}</g><g id="labels">${labels.join('')}</g><g id="nodes">${nodes.join('')}</g></svg>`;

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CLIENT_STYLE}</style></head>
<body>
<header><h1>${esc(title)}</h1><div class="meta">${esc(forest.services.length + ' services · ' + hops.length + ' hops · from ' + meta.sourceText + ' · ' + meta.generatedAt)}</div>
<div class="notes">${meta.notes.map((n) => `<div>${esc(n)}</div>`).join('')}</div></header>
<main><section id="canvas">${svg}<div class="hint">scroll to zoom · drag to pan · hover or click an edge for its path · double-click to fit</div></section>
<aside><div id="chain"><p class="empty">Hover or click an edge, a service or a path below to see its whole chain.</p></div>
<input id="filter" type="search" placeholder="filter paths (service, route, key)">
<ol id="paths"></ol></aside></main>
<script type="application/json" id="ck-data">${jsonForScript(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}

function fitText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no JS line separators. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
