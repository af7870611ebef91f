/**
 * Joins graph path series across services into trees: an entry series (a service's entry
 * element on one path) is the child of the entry whose `pathKey` equals its `parentKey`; exit
 * series (calls a service made on that path) hang under the entry with their `pathKey`. A tree
 * starts at an external entry (parent `0000000000000000`), or at an entry whose parent is not in
 * the input (the caller's metrics were not given: an "orphan").
 *
 * Marks, per tree (docs/paths-cli.md):
 * - `slowest`: the hop with the largest p99 not explained by its own calls, estimated as its p99
 *   minus the largest p99 among its children (a client call whose callee is in the input is
 *   explained by the callee's entry);
 * - `most-errors`: the hop with the highest error rate; on a tie the deeper one (errors travel
 *   up the path, the deepest hop is where they start), then the entry over a client exit.
 */
import { OVERFLOW, ROOT_KEY, type ElementRef, type PercentileSource, type Series } from './series';

export type Mark = 'slowest' | 'most-errors';

export interface PathNode {
  /** `entry` (a service's entry element: a hop of the path), `exit` (a call it made). */
  kind: 'entry' | 'exit';
  service: string;
  element: ElementRef;
  pathKey: string;
  parentKey: string;
  calls: number;
  errors: number;
  /** errors / calls, 0 when there were no calls. */
  errorRate: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  percentiles: PercentileSource;
  instances: number | null;
  /** Depth from the tree's root (root = 0). */
  depth: number;
  /** Parent entry not in the input. */
  orphan: boolean;
  marks: Mark[];
  /** Exits first (calls this hop made), then the downstream entries. */
  children: PathNode[];
}

export interface ServiceSummary {
  name: string;
  /** Entry series of the service (paths through it). */
  entries: number;
  /** Calls into the service (sum over its entry series). */
  calls: number;
  errors: number;
  /** Largest instance count of its series, when known. */
  instances: number | null;
}

export interface PathForest {
  roots: PathNode[];
  services: ServiceSummary[];
  /** Series folded into the overflow series (the agent's cardinality cap was reached), per service. */
  overflow: Array<{ service: string; calls: number; errors: number }>;
  /** Exit series whose path key has no entry in the input (work outside a traced request). */
  detached: PathNode[];
  /** All series read (entries, exits, overflow). */
  seriesCount: number;
}

export type SortKey = 'calls' | 'p99' | 'errors';

export interface TreeOptions {
  sort?: SortKey;
  /** Hide series with fewer calls (and what hangs below them). */
  minCalls?: number;
  /** Keep only trees in which one of these services appears. */
  services?: string[];
}

export function buildForest(series: readonly Series[], options: TreeOptions = {}): PathForest {
  const sort = options.sort ?? 'calls';
  const minCalls = options.minCalls ?? 0;
  const overflowByService = new Map<string, { service: string; calls: number; errors: number }>();
  const entries = new Map<string, Series>();
  const exitsByKey = new Map<string, Series[]>();
  for (const s of series) {
    if (s.pathKey === OVERFLOW) {
      const o = overflowByService.get(s.service) ?? { service: s.service, calls: 0, errors: 0 };
      o.calls += s.calls;
      o.errors += s.errors;
      overflowByService.set(s.service, o);
      continue;
    }
    if (s.element.role === 'entry') {
      // Same key from two services would be a hash collision; the first one read wins.
      if (!entries.has(s.pathKey)) entries.set(s.pathKey, s);
    } else {
      const list = exitsByKey.get(s.pathKey);
      if (list) list.push(s);
      else exitsByKey.set(s.pathKey, [s]);
    }
  }
  const childrenByParent = new Map<string, Series[]>();
  for (const e of entries.values()) {
    const list = childrenByParent.get(e.parentKey);
    if (list) list.push(e);
    else childrenByParent.set(e.parentKey, [e]);
  }

  const attachedKeys = new Set<string>();
  const build = (s: Series, depth: number, orphan: boolean): PathNode | undefined => {
    if (s.calls < minCalls || attachedKeys.has(s.pathKey)) return undefined;
    attachedKeys.add(s.pathKey); // a cycle (only possible through a hash collision) stops here
    const node = toNode(s, 'entry', depth, orphan);
    const exits = (exitsByKey.get(s.pathKey) ?? []).filter((x) => x.calls >= minCalls).map((x) => toNode(x, 'exit', depth + 1, false));
    const downstream: PathNode[] = [];
    // Entries under the root key are trees of their own, never children (even of an entry whose
    // own key happens to be the root key).
    for (const child of s.pathKey === ROOT_KEY ? [] : (childrenByParent.get(s.pathKey) ?? [])) {
      if (child.pathKey === s.pathKey) continue;
      const built = build(child, depth + 1, false);
      if (built) downstream.push(built);
    }
    node.children = [...sortNodes(exits, sort), ...sortNodes(downstream, sort)];
    return node;
  };

  const roots: PathNode[] = [];
  for (const e of entries.values()) {
    const external = e.parentKey === ROOT_KEY;
    if (!external && entries.has(e.parentKey)) continue;
    const root = build(e, 0, !external);
    if (root) roots.push(root);
  }
  // Entries not reached from any root sit on a cycle of keys (a hash collision): show them anyway.
  for (const e of entries.values()) {
    if (attachedKeys.has(e.pathKey)) continue;
    const root = build(e, 0, true);
    if (root) roots.push(root);
  }

  const detached: PathNode[] = [];
  for (const [key, exits] of exitsByKey) {
    if (entries.has(key)) continue;
    for (const x of exits) if (x.calls >= minCalls) detached.push(toNode(x, 'exit', 0, true));
  }

  let kept = sortNodes(roots, sort);
  if (options.services && options.services.length > 0) {
    const wanted = new Set(options.services);
    kept = kept.filter((root) => someNode(root, (n) => wanted.has(n.service)));
  }
  for (const root of kept) markTree(root);

  return {
    roots: kept,
    services: summarizeServices(kept),
    overflow: [...overflowByService.values()],
    detached: sortNodes(
      options.services && options.services.length > 0 ? detached.filter((d) => options.services!.includes(d.service)) : detached,
      sort
    ),
    seriesCount: series.length,
  };
}

function toNode(s: Series, kind: 'entry' | 'exit', depth: number, orphan: boolean): PathNode {
  return {
    kind,
    service: s.service,
    element: s.element,
    pathKey: s.pathKey,
    parentKey: s.parentKey,
    calls: s.calls,
    errors: s.errors,
    errorRate: s.calls > 0 ? s.errors / s.calls : 0,
    p50: s.p50,
    p99: s.p99,
    max: s.max,
    percentiles: s.percentiles,
    instances: s.instances,
    depth,
    orphan,
    marks: [],
    children: [],
  };
}

function sortNodes(nodes: PathNode[], sort: SortKey): PathNode[] {
  const value = (n: PathNode): number => (sort === 'p99' ? (n.p99 ?? -1) : sort === 'errors' ? n.errors : n.calls);
  return nodes.sort(
    (a, b) =>
      value(b) - value(a) ||
      b.calls - a.calls ||
      a.service.localeCompare(b.service) ||
      a.element.name.localeCompare(b.element.name) ||
      a.pathKey.localeCompare(b.pathKey)
  );
}

export function someNode(node: PathNode, test: (n: PathNode) => boolean): boolean {
  if (test(node)) return true;
  return node.children.some((c) => someNode(c, test));
}

export function walk(node: PathNode, visit: (n: PathNode, parent: PathNode | undefined) => void, parent?: PathNode): void {
  visit(node, parent);
  for (const c of node.children) walk(c, visit, node);
}

const CLIENT_TYPES = new Set(['HTTP_CLIENT', 'GRPC_CLIENT']);

/** p99 of a hop not explained by its children (see the file header). */
export function selfP99(node: PathNode, parent: PathNode | undefined): number | null {
  if (node.p99 === null) return null;
  let explained = 0;
  if (node.kind === 'entry') {
    for (const c of node.children) if (c.p99 !== null && c.p99 > explained) explained = c.p99;
  } else if (CLIENT_TYPES.has(node.element.type) && parent) {
    // The callee's entry is a sibling (both hang under the caller's entry).
    for (const c of parent.children) if (c.kind === 'entry' && c.p99 !== null && c.p99 > explained) explained = c.p99;
    explained = Math.min(explained, node.p99);
  }
  return Math.max(0, node.p99 - explained);
}

function markTree(root: PathNode): void {
  let slowest: { node: PathNode; self: number } | undefined;
  let failing: PathNode | undefined;
  let nodes = 0;
  walk(root, (node, parent) => {
    nodes++;
    const self = selfP99(node, parent);
    if (self !== null && (!slowest || self > slowest.self)) slowest = { node, self };
    if (node.errors > 0) {
      if (
        !failing ||
        node.errorRate > failing.errorRate + 1e-9 ||
        (Math.abs(node.errorRate - failing.errorRate) <= 1e-9 &&
          (node.depth > failing.depth || (node.depth === failing.depth && node.kind === 'entry' && failing.kind === 'exit')))
      ) {
        failing = node;
      }
    }
  });
  // A tree of one hop has nothing to point at.
  if (nodes < 2) return;
  if (slowest && slowest.self > 0) slowest.node.marks.push('slowest');
  if (failing) failing.marks.push('most-errors');
}

function summarizeServices(roots: PathNode[]): ServiceSummary[] {
  const byName = new Map<string, ServiceSummary>();
  const get = (name: string): ServiceSummary => {
    let s = byName.get(name);
    if (!s) byName.set(name, (s = { name, entries: 0, calls: 0, errors: 0, instances: null }));
    return s;
  };
  for (const root of roots) {
    walk(root, (n) => {
      const s = get(n.service);
      if (n.kind === 'entry') {
        s.entries++;
        s.calls += n.calls;
        s.errors += n.errors;
      }
      if (n.instances !== null) s.instances = Math.max(s.instances ?? 0, n.instances);
    });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
