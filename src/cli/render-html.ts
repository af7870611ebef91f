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
import { BOX_H, BOX_W, EXTERNAL, edgeClass, edgePath, layout, placeLabels, r, type PairLabel } from './html-layout';
import type { PathForest, PathNode } from './tree';
import type { ViewMeta } from './view-meta';

export { EXTERNAL };

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
