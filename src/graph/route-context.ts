/**
 * ck-route at the edges of a service, for instrumentations (docs/graph-path-key.md):
 *
 * - Server side: the CK tracer gives every SERVER/CONSUMER span a fresh PathState whose parent is
 *   the route the global propagator extracted, and the graph processor names its entry element
 *   when the span starts. If another SDK replaced the global propagator after init, the extract
 *   never saw `ck-route`, so `adoptIncomingRoute` reads the raw header itself. It never names
 *   the entry (that happens once, at span start).
 * - Client side: `outgoingRoute` formats the active state for injection, so outgoing calls carry
 *   ck-route whatever the global propagator is.
 */
import { propagation, type Context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { ATTR_CK_ROUTE_INCOMING, ATTR_HTTP_ROUTE } from '../semconv';
import { httpServiceElement } from './elements';
import { pathStateOf, getPathState, requestEntrySpan, type PathState } from './path-state';
import { CK_ROUTE_HEADER, formatRoute, parseRoute } from './route-header';

/**
 * True when the global propagator handles ck-route itself (then it has already extracted a valid
 * value and counted an invalid one, and we must not count twice).
 */
export function globalPropagatorHandlesRoute(): boolean {
  try {
    return propagation.fields().includes(CK_ROUTE_HEADER);
  } catch {
    return false;
  }
}

/**
 * For the entry span `span` (SERVER/CONSUMER), adopts a valid raw `ck-route` the global
 * propagator did not extract (re-keying the path under the received parent) and sets
 * `ck.route.incoming` (the validated value only: junk is never reflected into attributes).
 * A present but invalid value calls `onInvalid`, unless the global propagator (which counts
 * invalid values on extract) handles ck-route. Returns the state, if the span has one.
 */
export function adoptIncomingRoute(span: Span, rawRouteHeader: unknown, onInvalid: () => void): PathState | undefined {
  const state = pathStateOf(span);
  if (!state || rawRouteHeader === undefined || rawRouteHeader === null || state.incomingRoute !== undefined) return state;
  const route = parseRoute(rawRouteHeader);
  if (route) {
    state.setIncoming(route);
    span.setAttribute(ATTR_CK_ROUTE_INCOMING, route.raw);
  } else if (!globalPropagatorHandlesRoute()) {
    onInvalid();
  }
  return state;
}

/**
 * The framework route an HTTP instrumentation recorded in the request's RPC metadata → the
 * request's entry element (and `http.route` of its CK server span), when the CK framework hook
 * could not do it: a vanilla Express instrumentation replaced ours, or a vanilla http server
 * wrapper below ours owns the metadata the route was written to (docs/coexistence.md). Called
 * before outgoing calls and child spans under a non-CK span, and when the server span finishes.
 * Cheap no-op when the entry already is that route.
 */
export function refineEntryFromRoute(ctx: Context): void {
  const metadata = getRPCMetadata(ctx);
  if (metadata?.type !== RPCType.HTTP) return;
  const route = metadata.route;
  if (typeof route !== 'string' || route.length === 0) return;
  const span = requestEntrySpan(ctx) as Span | undefined;
  const state = pathStateOf(span);
  const entry = state?.entry;
  if (!span || !state || entry?.type !== 'HTTP_SERVICE' || state.entrySpanId !== span.spanContext().spanId) return;
  const space = entry.name.indexOf(' ');
  const refined = httpServiceElement(space > 0 ? entry.name.slice(0, space) : 'GET', route);
  if (refined === entry) return;
  state.setEntry(refined);
  // The server span's own http.route (upstream writes it from the metadata it owns, which may
  // not be this one), so the element at span end is the refined one and nothing is re-keyed.
  span.setAttribute(ATTR_HTTP_ROUTE, route);
}

/** The `ck-route` value to send from `ctx`, or undefined outside a request. */
export function outgoingRoute(ctx: Context): string | undefined {
  refineEntryFromRoute(ctx);
  const state = getPathState(ctx);
  return state ? formatRoute(state.key, state.flags) : undefined;
}
