/**
 * Request filters (blocking), shared by the HTTP and gRPC instrumentations (docs/http-express.md,
 * "Request filters").
 *
 * - The registry is process-wide: `registerFilter` / `unregisterFilter` are public API and need
 *   no agent. Registering the same filter object twice is a no-op.
 * - Evaluation runs filters in registration order and stops at the first that blocks (returns
 *   `true`). A filter that throws is logged once (per filter name and stage) and counts as
 *   "allow"; a non-boolean result counts as "allow" too.
 * - When a filter blocks, the span gets `ck.blocked = true` and `ck.blocked.by = <name>` here,
 *   so every wrapper records the same thing; the wrapper then answers 403 / PERMISSION_DENIED.
 * - With no filter registered the wrappers check `hasFilters()` (one array length read) and do
 *   nothing else: no header copies, no body buffering for filters.
 */
import type { Span } from '@opentelemetry/api';
import { describeError, logger } from '../logger';

export type FilterHeaders = Record<string, string | string[]>;
export type FilterType = 'http' | 'rpc';

export interface CKFilter {
  name: string;
  /** Header stage: before any application code sees the request. `true` blocks. */
  evaluateUrlAndHeaders?(span: Span, url: string, headers: FilterHeaders, type: FilterType): boolean;
  /** Body stage: once the body is available, before the route handler runs. `true` blocks. */
  evaluateBodyAndHeaders?(span: Span, headers: FilterHeaders, body: string, type: FilterType): boolean;
}

export interface FilterResult {
  blocked: boolean;
  /** Name of the filter that blocked. */
  by?: string;
}

export const ATTR_BLOCKED = 'ck.blocked';
export const ATTR_BLOCKED_BY = 'ck.blocked.by';

/** Shared result for the common case, so "allow" allocates nothing. */
const ALLOW: FilterResult = Object.freeze({ blocked: false });

/** Copy-on-write: evaluation iterates a snapshot that registration never mutates. */
let filters: readonly CKFilter[] = [];
let urlFilterCount = 0;
let bodyFilterCount = 0;

function recount(): void {
  urlFilterCount = filters.filter((f) => typeof f.evaluateUrlAndHeaders === 'function').length;
  bodyFilterCount = filters.filter((f) => typeof f.evaluateBodyAndHeaders === 'function').length;
}

export function registerFilter(filter: CKFilter): void {
  if (!filter || (typeof filter !== 'object' && typeof filter !== 'function')) {
    logger.warn('registerFilter: a filter must be an object with a name and evaluate functions; ignored');
    return;
  }
  if (filters.includes(filter)) return;
  if (typeof filter.evaluateUrlAndHeaders !== 'function' && typeof filter.evaluateBodyAndHeaders !== 'function') {
    logger.warn(`registerFilter: filter ${filterName(filter)} has no evaluate function; it will never block`);
  }
  filters = [...filters, filter];
  recount();
}

export function unregisterFilter(filter: CKFilter): void {
  if (!filters.includes(filter)) return;
  filters = filters.filter((f) => f !== filter);
  recount();
}

/** True when at least one filter is registered (a consumer of captured data exists). */
export function hasFilters(): boolean {
  return filters.length > 0;
}

export function hasUrlFilters(): boolean {
  return urlFilterCount > 0;
}

export function hasBodyFilters(): boolean {
  return bodyFilterCount > 0;
}

/** @internal tests: drops every registered filter. */
export function clearFilters(): void {
  filters = [];
  recount();
}

export function evaluateUrlAndHeaders(span: Span, url: string, headers: FilterHeaders, type: FilterType): FilterResult {
  if (urlFilterCount === 0) return ALLOW;
  const snapshot = filters;
  for (let i = 0; i < snapshot.length; i++) {
    const filter = snapshot[i];
    if (typeof filter.evaluateUrlAndHeaders !== 'function') continue;
    let verdict: unknown;
    try {
      verdict = filter.evaluateUrlAndHeaders(span, url, headers, type);
    } catch (err) {
      logThrow(filter, 'evaluateUrlAndHeaders', err);
      continue;
    }
    if (verdict === true) return block(span, filter);
  }
  return ALLOW;
}

export function evaluateBodyAndHeaders(span: Span, headers: FilterHeaders, body: string, type: FilterType): FilterResult {
  if (bodyFilterCount === 0) return ALLOW;
  const snapshot = filters;
  for (let i = 0; i < snapshot.length; i++) {
    const filter = snapshot[i];
    if (typeof filter.evaluateBodyAndHeaders !== 'function') continue;
    let verdict: unknown;
    try {
      verdict = filter.evaluateBodyAndHeaders(span, headers, body, type);
    } catch (err) {
      logThrow(filter, 'evaluateBodyAndHeaders', err);
      continue;
    }
    if (verdict === true) return block(span, filter);
  }
  return ALLOW;
}

function block(span: Span, filter: CKFilter): FilterResult {
  const by = filterName(filter);
  try {
    span.setAttribute(ATTR_BLOCKED, true);
    span.setAttribute(ATTR_BLOCKED_BY, by);
  } catch {
    // A span that cannot take attributes must not undo the block.
  }
  return { blocked: true, by };
}

function filterName(filter: CKFilter): string {
  try {
    return typeof filter.name === 'string' && filter.name.length > 0 ? filter.name.slice(0, 128) : 'unnamed-filter';
  } catch {
    return 'unnamed-filter';
  }
}

function logThrow(filter: CKFilter, stage: string, err: unknown): void {
  const name = filterName(filter);
  logger.once('warn', `filter-throw:${name}:${stage}`, `filter ${name} threw in ${stage} (treated as allow): ${describeError(err)}`);
}
