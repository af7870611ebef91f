/**
 * Graph element builders. Wrappers (which set a request's entry element early, to compute the
 * path key) and span mappers (which map the ended span) both build elements here, so the same
 * request always yields the same element, and with it the same path key and metric series.
 *
 * Normalisation, so names stay low-cardinality:
 * - HTTP methods upper-cased; anything outside the standard set → `_OTHER`.
 * - SQL / cache operations and commands upper-cased; systems lower-cased.
 * - Every free-text part is cut at 256 chars.
 * Returned elements are frozen and cached (bounded), so repeated requests reuse one object and
 * its canonical string.
 */
import type { ElementType, GraphElement } from './types';

const KNOWN_HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const OTHER_METHOD = '_OTHER';
const MAX_PART_LENGTH = 256;
const CACHE_MAX_ENTRIES = 2048;

/** The standard method upper-cased, or `_OTHER` (as OpenTelemetry semantic conventions do). */
export function normalizeHttpMethod(method: unknown): string {
  if (typeof method !== 'string') return OTHER_METHOD;
  if (KNOWN_HTTP_METHODS.has(method)) return method;
  const upper = method.length <= 16 ? method.toUpperCase() : '';
  return KNOWN_HTTP_METHODS.has(upper) ? upper : OTHER_METHOD;
}

/** A string cut at MAX_PART_LENGTH (never inside a surrogate pair); non-strings → ''. */
function part(value: unknown): string {
  if (typeof value !== 'string') return value === undefined || value === null ? '' : bounded(String(value));
  return bounded(value);
}

function bounded(s: string): string {
  if (s.length <= MAX_PART_LENGTH) return s;
  const last = s.charCodeAt(MAX_PART_LENGTH - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_PART_LENGTH - 1 : MAX_PART_LENGTH);
}

const cache = new Map<string, GraphElement>();

/**
 * Cache keys: a tag, then every part but the last length-prefixed, so no choice of part contents
 * can make two different inputs share a key.
 */
function lp(s: string): string {
  return s.length + ':' + s;
}

function cached(key: string): GraphElement | undefined {
  return cache.get(key);
}

function store(key: string, type: ElementType, name: string, attributes?: Record<string, string>): GraphElement {
  const element: GraphElement = attributes
    ? { type, name, role: roleOf(type), attributes: Object.freeze(attributes) }
    : { type, name, role: roleOf(type) };
  Object.freeze(element);
  // Clearing when full keeps memory flat under a flood of distinct names; the cost is a re-build.
  if (cache.size >= CACHE_MAX_ENTRIES) {
    cache.clear();
    clearMemos();
  }
  cache.set(key, element);
  return element;
}

/**
 * Memo in front of the builders, keyed by their arguments as given (nested Maps, one level per
 * argument): a repeated call costs a few Map lookups on strings whose hash V8 keeps, instead of
 * normalising the parts and hashing a freshly concatenated key (measured in bench/README.md,
 * "Per-span cost"). Only string / undefined arguments up to MAX_PART_LENGTH are memoised (an
 * object argument could change; longer ones would hold memory); the memo is cleared with the
 * element cache, and it returns the object the element cache handed out for the same inputs.
 */
type MemoLevel = Map<string | undefined, unknown>;
const memos: MemoLevel[] = [];
let memoEntries = 0;

function newMemo(): MemoLevel {
  const memo: MemoLevel = new Map();
  memos.push(memo);
  return memo;
}

function clearMemos(): void {
  for (const memo of memos) memo.clear();
  memoEntries = 0;
}

function memoable(value: unknown): value is string | undefined {
  return value === undefined || (typeof value === 'string' && value.length <= MAX_PART_LENGTH);
}

/** The memoised element for (a, b[, c[, d]]) (`depth` arguments), or undefined. */
function memoGet(memo: MemoLevel, depth: number, a: unknown, b: unknown, c?: unknown, d?: unknown): GraphElement | undefined {
  let level = memo.get(a as string) as MemoLevel | undefined;
  if (level === undefined) return undefined;
  if (depth === 2) return level.get(b as string) as GraphElement | undefined;
  level = level.get(b as string) as MemoLevel | undefined;
  if (level === undefined) return undefined;
  if (depth === 3) return level.get(c as string) as GraphElement | undefined;
  level = level.get(c as string) as MemoLevel | undefined;
  return level === undefined ? undefined : (level.get(d as string) as GraphElement | undefined);
}

function memoSet(memo: MemoLevel, depth: number, element: GraphElement, a: unknown, b: unknown, c?: unknown, d?: unknown): GraphElement {
  if (!memoable(a) || !memoable(b) || (depth > 2 && !memoable(c)) || (depth > 3 && !memoable(d))) return element;
  if (memoEntries >= CACHE_MAX_ENTRIES) clearMemos();
  const args = [a, b, c, d] as Array<string | undefined>;
  let level = memo;
  for (let i = 0; i < depth - 1; i++) {
    let next = level.get(args[i]) as MemoLevel | undefined;
    if (next === undefined) level.set(args[i], (next = new Map()));
    level = next;
  }
  level.set(args[depth - 1], element);
  memoEntries++;
  return element;
}

function roleOf(type: ElementType): 'entry' | 'exit' {
  return type === 'HTTP_SERVICE' || type === 'GRPC_SERVICE' || type === 'MESSAGING_CONSUMER' ? 'entry' : 'exit';
}

/**
 * The route of a request that reached a framework but matched no route: `GET (unmatched)`, one
 * series per method and framework however many distinct URLs arrive (docs/frameworks.md).
 */
export const UNMATCHED_ROUTE = '(unmatched)';

/** `GET /orders/:id`; `route` is the framework route or a routeTemplate() of the path. */
const httpServiceMemo = newMemo();

export function httpServiceElement(method: string, route: string): GraphElement {
  return memoGet(httpServiceMemo, 2, method, route) ?? memoSet(httpServiceMemo, 2, buildHttpService(method, route), method, route);
}

function buildHttpService(method: string, route: string): GraphElement {
  const m = normalizeHttpMethod(method);
  const r = part(route) || '/';
  const key = 'hs' + lp(m) + r;
  return cached(key) ?? store(key, 'HTTP_SERVICE', m + ' ' + r);
}

/** `GET inventory:8080/items/{id}`; attribute `server.address` = host:port. */
const httpClientMemo = newMemo();

export function httpClientElement(method: string, hostPort: string, pathTemplate: string): GraphElement {
  return (
    memoGet(httpClientMemo, 3, method, hostPort, pathTemplate) ??
    memoSet(httpClientMemo, 3, buildHttpClient(method, hostPort, pathTemplate), method, hostPort, pathTemplate)
  );
}

function buildHttpClient(method: string, hostPort: string, pathTemplate: string): GraphElement {
  const m = normalizeHttpMethod(method);
  const hp = part(hostPort);
  const p = part(pathTemplate) || '/';
  const key = 'hc' + lp(m) + lp(hp) + p;
  return cached(key) ?? store(key, 'HTTP_CLIENT', m + ' ' + hp + p, { 'server.address': hp });
}

/** `orders.OrderService/GetOrder`; attribute `rpc.service`. */
export function grpcServiceElement(service: string, method: string): GraphElement {
  const s = part(service);
  const m = part(method);
  const key = 'gs' + lp(s) + m;
  return cached(key) ?? store(key, 'GRPC_SERVICE', s + '/' + m, { 'rpc.service': s });
}

/** Like grpcServiceElement, plus `server.address` = the peer (host:port) when known. */
export function grpcClientElement(service: string, method: string, peer?: string): GraphElement {
  const s = part(service);
  const m = part(method);
  const p = part(peer);
  const key = 'gc' + lp(s) + lp(m) + p;
  const hit = cached(key);
  if (hit !== undefined) return hit;
  const attributes: Record<string, string> = { 'rpc.service': s };
  if (p) attributes['server.address'] = p;
  return store(key, 'GRPC_CLIENT', s + '/' + m, attributes);
}

/**
 * `SELECT orders` (or just `SELECT` without a target); attributes `db.system.name` and
 * `db.namespace` (when dbName is given). `target` is a table or collection, never a statement.
 */
const databaseMemo = newMemo();

export function databaseElement(system: string, operation: string, target?: string, dbName?: string): GraphElement {
  return (
    memoGet(databaseMemo, 4, system, operation, target, dbName) ??
    memoSet(databaseMemo, 4, buildDatabase(system, operation, target, dbName), system, operation, target, dbName)
  );
}

function buildDatabase(system: string, operation: string, target?: string, dbName?: string): GraphElement {
  const sys = part(system).toLowerCase();
  const op = part(operation).toUpperCase() || 'UNKNOWN';
  const t = part(target);
  const ns = part(dbName);
  const key = 'db' + lp(sys) + lp(op) + lp(t) + ns;
  const hit = cached(key);
  if (hit !== undefined) return hit;
  const attributes: Record<string, string> = { 'db.system.name': sys };
  if (ns) attributes['db.namespace'] = ns;
  return store(key, 'DATABASE', t ? op + ' ' + t : op, attributes);
}

/** `redis GET`; attribute `db.system.name`. */
const cacheMemo = newMemo();

export function cacheElement(system: string, command: string): GraphElement {
  return memoGet(cacheMemo, 2, system, command) ?? memoSet(cacheMemo, 2, buildCache(system, command), system, command);
}

function buildCache(system: string, command: string): GraphElement {
  const sys = part(system).toLowerCase();
  const cmd = part(command).toUpperCase() || 'UNKNOWN';
  const key = 'ca' + lp(sys) + cmd;
  return cached(key) ?? store(key, 'CACHE', sys + ' ' + cmd, { 'db.system.name': sys });
}

/**
 * `kafka orders` as MESSAGING_CONSUMER (entry) or MESSAGING_PRODUCER (exit); attributes
 * `messaging.system` and `messaging.destination.name`.
 */
export function messagingElement(kind: 'consumer' | 'producer', system: string, destination: string): GraphElement {
  const sys = part(system).toLowerCase();
  const dest = part(destination) || '(anonymous)';
  const type: ElementType = kind === 'consumer' ? 'MESSAGING_CONSUMER' : 'MESSAGING_PRODUCER';
  const key = (kind === 'consumer' ? 'mc' : 'mp') + lp(sys) + dest;
  return cached(key) ?? store(key, type, sys + ' ' + dest, { 'messaging.system': sys, 'messaging.destination.name': dest });
}
