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
import { ATTR_CK_ROUTE_INCOMING } from '../semconv';
import { pathStateOf, getPathState, type PathState } from './path-state';
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

/** The `ck-route` value to send from `ctx`, or undefined outside a request. */
export function outgoingRoute(ctx: Context): string | undefined {
  const state = getPathState(ctx);
  return state ? formatRoute(state.key, state.flags) : undefined;
}
