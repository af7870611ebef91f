/**
 * The terminal view: one indented tree per request path, from its external entry down, one line
 * per hop (a service's entry element) and per call that hop made (`→ TYPE name`), with calls,
 * errors (and %), p50 / p99, and the slowest and most failing hops marked. Columns are aligned
 * across the whole output. Plain text (no colours), so it reads the same in a pipe or a file.
 */
import { duration, errorsText } from './format';
import type { PathForest, PathNode } from './tree';
import type { ViewMeta } from './view-meta';

const MAX_LABEL = 90;

interface Row {
  label: string;
  /** Absent on a section heading (`label` is then the heading). */
  node?: PathNode;
}

const DETACHED_HEADING =
  'Calls made outside any traced request (path key 0000000000000000), or under a path whose entry is not in the input:';

export function renderText(forest: PathForest, meta: ViewMeta): string {
  const out: string[] = [];
  out.push(headline(forest, meta));
  out.push(...meta.notes);
  const rows: Row[] = [];
  for (const root of forest.roots) collect(root, '', '', rows);
  if (forest.detached.length > 0) {
    rows.push({ label: DETACHED_HEADING });
    for (const node of forest.detached) rows.push({ label: `${node.service} → ${node.element.type} ${node.element.name}`, node });
  }
  if (rows.length === 0) {
    out.push('', 'No graph paths to show.');
  } else {
    const labelWidth = Math.min(MAX_LABEL, Math.max(...rows.map((r) => (r.node ? r.label.length : 0))));
    const cells = rows.map((r) => (r.node ? metricCells(r.node) : undefined));
    const widths = [0, 0, 0, 0];
    for (const c of cells) if (c) c.forEach((v, i) => (widths[i] = Math.max(widths[i], v.length)));
    out.push('');
    let detached = false;
    rows.forEach((row, i) => {
      const c = cells[i];
      if (!row.node || !c) {
        detached = true;
        out.push('', row.label);
        return;
      }
      const label = fit(row.label, labelWidth).padEnd(labelWidth);
      const metrics = `calls ${c[0].padStart(widths[0])}  errors ${c[1].padEnd(widths[1])}  p50 ${c[2].padStart(widths[2])}  p99 ${c[3].padStart(widths[3])}`;
      const extra: string[] = [];
      if (row.node.instances !== null && row.node.kind === 'entry') extra.push(`${row.node.instances} inst`);
      if (row.node.kind === 'entry' || detached) extra.push(row.node.pathKey);
      if (row.node.orphan && row.node.kind === 'entry') extra.push(`parent ${row.node.parentKey} not in the input`);
      for (const mark of row.node.marks) extra.push(mark === 'slowest' ? '◀ slowest' : '◀ most errors');
      out.push(`${label}  ${metrics}${extra.length > 0 ? `  ${extra.join('  ')}` : ''}`.trimEnd());
    });
  }
  if (forest.overflow.length > 0) {
    out.push('');
    for (const o of forest.overflow) {
      out.push(
        `${o.service}: ${o.calls} calls (${o.errors} errors) were folded into the overflow series: ` +
          "the agent's metrics.max_paths cap was reached, so those paths cannot be shown"
      );
    }
  }
  return out.join('\n') + '\n';
}

function headline(forest: PathForest, meta: ViewMeta): string {
  const paths = forest.services.reduce((n, s) => n + s.entries, 0);
  const services = forest.services
    .map((s) => (s.instances !== null ? `${s.name} (${s.instances} ${s.instances === 1 ? 'instance' : 'instances'})` : s.name))
    .join(', ');
  return (
    `ck-agent paths: ${forest.services.length} ${forest.services.length === 1 ? 'service' : 'services'}, ` +
    `${paths} ${paths === 1 ? 'hop' : 'hops'} in ${forest.roots.length} ${forest.roots.length === 1 ? 'tree' : 'trees'}, ` +
    `${forest.seriesCount} series from ${meta.sourceText}` +
    (services ? `\nservices: ${services}` : '')
  );
}

function collect(node: PathNode, prefix: string, childPrefix: string, rows: Row[]): void {
  const label =
    node.kind === 'entry' ? `${prefix}${node.service}  ${node.element.name}` : `${prefix}→ ${node.element.type} ${node.element.name}`;
  rows.push({ label, node });
  node.children.forEach((child, i) => {
    const last = i === node.children.length - 1;
    collect(child, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`, rows);
  });
}

function metricCells(node: PathNode): [string, string, string, string] {
  return [String(node.calls), errorsText(node.errors, node.calls), duration(node.p50), duration(node.p99)];
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
