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
  if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
  cache.set(key, element);
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
export function httpServiceElement(method: string, route: string): GraphElement {
  const m = normalizeHttpMethod(method);
  const r = part(route) || '/';
  const key = 'hs' + lp(m) + r;
  return cached(key) ?? store(key, 'HTTP_SERVICE', m + ' ' + r);
}

/** `GET inventory:8080/items/{id}`; attribute `server.address` = host:port. */
export function httpClientElement(method: string, hostPort: string, pathTemplate: string): GraphElement {
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
export function databaseElement(system: string, operation: string, target?: string, dbName?: string): GraphElement {
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
export function cacheElement(system: string, command: string): GraphElement {
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
