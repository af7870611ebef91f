/**
 * What the server and client wrappers share for the graph path (shared/spec/graph-path.md).
 *
 * Server side: the CK tracer gives every SERVER span a fresh PathState whose parent is the route
 * the global propagator extracted. If another SDK replaced the global propagator after init, the
 * extract never saw `ck-route`, so `enterService` reads the raw header itself and adopts it.
 * Client side: `outgoingRoute` formats the active state for injection, so outgoing calls carry
 * ck-route whatever the global propagator is.
 */
import { propagation, type Context, type Span } from '@opentelemetry/api';
import { CK_ROUTE_HEADER, PathState, formatRoute, getPathState, parseRoute } from './';
import type { GraphElement } from './types';

export const ATTR_ROUTE_INCOMING = 'ck.route.incoming';

/** The PathState a CK span carries (undefined for non-CK or non-recording spans). */
export function spanPathState(span: Span | undefined): PathState | undefined {
  const state = (span as { pathState?: unknown } | undefined)?.pathState;
  return state instanceof PathState ? state : undefined;
}

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
 * Marks `span` (a SERVER span) as entering this service through `element`:
 * - adopts a valid raw `ck-route` the global propagator did not extract;
 * - calls `onInvalid` for a present but invalid value, unless the global propagator (which
 *   counts invalid values on extract) handles ck-route;
 * - sets the entry element (recomputing the path key) and `ck.route.incoming` (the validated
 *   value only; junk is never reflected into attributes).
 * Returns the state, or undefined when the span has none. Never throws.
 */
export function enterService(
  span: Span,
  element: GraphElement,
  rawRouteHeader: unknown,
  onInvalid: () => void
): PathState | undefined {
  const state = spanPathState(span);
  if (!state) return undefined;
  try {
    if (rawRouteHeader !== undefined && rawRouteHeader !== null && state.incomingRoute === undefined) {
      const route = parseRoute(rawRouteHeader);
      if (route) state.setIncoming(route);
      else if (!globalPropagatorHandlesRoute()) onInvalid();
    }
    state.setEntry(element);
    if (state.incomingRoute !== undefined) span.setAttribute(ATTR_ROUTE_INCOMING, state.incomingRoute);
  } catch {
    // The path is best effort; the request goes on.
  }
  return state;
}

/** The `ck-route` value to send from `ctx`, or undefined outside a request. */
export function outgoingRoute(ctx: Context): string | undefined {
  const state = getPathState(ctx);
  return state ? formatRoute(state.key, state.flags) : undefined;
}
