/**
 * The per-request graph path state and where it lives in the OpenTelemetry context.
 *
 * A server/consumer CK span creates a PathState when it starts (parent = the route extracted
 * from the request, else ROOT) and keeps it as `span.pathState`; frameworks that learn the route
 * later call `setEntry` again, which updates the key in place so calls made by the handler carry
 * the final key. The propagator's `extract` stores a pass-through state (`fromRoute`) in the
 * context under PATH_STATE_KEY, which is what the next server span takes as its parent.
 */
import { context as apiContext, createContextKey, trace, type Context } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { canonicalElement, pathKeyFromCanonical } from './path-key';
import type { ParsedRoute } from './route-header';
import { FLAG_FORCE_CAPTURE, ROOT_KEY, type GraphElement } from './types';

export const PATH_STATE_KEY = createContextKey('ck-agent.graph.path-state');
/**
 * RPC metadata of a vanilla http server span → the CK entry span of the same request. A vanilla
 * server wrapper below ours starts from an empty context and sets its own span and metadata, so
 * the handler sees neither of ours; the http request gate links them (docs/coexistence.md).
 */
const hiddenRequestSpans = new WeakMap<object, unknown>();

export function linkHiddenRequestSpan(metadata: object, ckEntrySpan: unknown): void {
  hiddenRequestSpans.set(metadata, ckEntrySpan);
}

/** The CK entry span of the request `ctx` belongs to, through its RPC metadata (ours or linked). */
export function requestEntrySpan(ctx: Context): unknown {
  const metadata = getRPCMetadata(ctx);
  if (metadata === undefined) return undefined;
  return pathStateOf(metadata.span) !== undefined ? metadata.span : hiddenRequestSpans.get(metadata);
}

export class PathState {
  serviceName: string;
  /** Key of the path this request arrived on (ROOT_KEY for an external entry). */
  parentKey: string;
  /** ck-route flag bits carried along the path (FLAG_FORCE_CAPTURE, ...). */
  flags: number;
  /** The validated incoming ck-route value, if the request carried one. */
  incomingRoute?: string;
  /** This request's path key: parentKey until an entry element is set, then the hash. */
  key: string;
  entry?: GraphElement;
  /** Span id of the server/consumer span that owns this state. */
  entrySpanId?: string;
  /** Canonical string of `entry`, so an unchanged entry costs no rehash. */
  private entryCanonical?: string;
  /** parentKey + serviceName the current key was hashed from (the public fields are writable). */
  private hashedParentKey?: string;
  private hashedServiceName?: string;

  constructor(serviceName: string, parentKey: string = ROOT_KEY, flags = 0, incomingRoute?: string) {
    this.serviceName = serviceName;
    this.parentKey = parentKey;
    this.flags = flags;
    this.incomingRoute = incomingRoute;
    this.key = parentKey;
  }

  /** A pass-through state: a hop that only relays a received route (key = route key, no entry). */
  static fromRoute(route: ParsedRoute): PathState {
    return new PathState('', route.pathKey, route.flags, route.raw);
  }

  get forceCapture(): boolean {
    return (this.flags & FLAG_FORCE_CAPTURE) !== 0;
  }

  /** Sets (or updates) the entry element and recomputes the key; cheap when nothing changed. */
  setEntry(element: GraphElement): void {
    const inputsUnchanged = this.hashedParentKey === this.parentKey && this.hashedServiceName === this.serviceName;
    if (inputsUnchanged && element === this.entry && this.entryCanonical !== undefined && isDeepFrozen(element)) return;
    const canonical = canonicalElement(element);
    this.entry = element;
    if (inputsUnchanged && canonical === this.entryCanonical) return;
    this.entryCanonical = canonical;
    this.rehash();
  }

  /**
   * Adopts a parent route that a wrapper read itself (when the global propagator did not extract
   * it, e.g. another SDK replaced it). Flags are OR-ed: a force capture set here stays set.
   */
  setIncoming(route: ParsedRoute): void {
    this.parentKey = route.pathKey;
    this.flags |= route.flags;
    this.incomingRoute = route.raw;
    if (this.entryCanonical === undefined) this.key = route.pathKey;
    else this.rehash();
  }

  private rehash(): void {
    this.hashedParentKey = this.parentKey;
    this.hashedServiceName = this.serviceName;
    this.key = pathKeyFromCanonical(this.parentKey, this.serviceName, this.entryCanonical as string);
  }
}

function isDeepFrozen(element: GraphElement): boolean {
  return Object.isFrozen(element) && (element.attributes === undefined || Object.isFrozen(element.attributes));
}

/**
 * Anything that may carry a request's path state: a CK span (`CKSpan.pathState`). Typed here, in
 * the graph layer, so readers need not import the trace module (no import cycle).
 */
export interface PathCarrier {
  pathState?: PathState;
}

/** The PathState `carrier` holds (a CK span), or undefined for anything else. */
export function pathStateOf(carrier: unknown): PathState | undefined {
  const state = (carrier as PathCarrier | undefined | null)?.pathState;
  return state instanceof PathState ? state : undefined;
}

/**
 * The path state active in `ctx`: the active CK span's `pathState` first, else the state an
 * `extract` put into the context.
 */
export function getPathState(ctx: Context): PathState | undefined {
  const fromSpan = pathStateOf(trace.getSpan(ctx));
  if (fromSpan !== undefined) return fromSpan;
  // A non-CK span (vanilla instrumentation, e.g. undici/fetch) is active inside a CK-served
  // request: the request's RPC metadata, set by the HTTP server instrumentation, still points at
  // the CK server span. It must win over the extracted value, which holds the caller's key.
  // (or a vanilla server wrapper below ours replaced both: the linked CK span).
  const fromRequest = pathStateOf(requestEntrySpan(ctx));
  if (fromRequest !== undefined) return fromRequest;
  return getExtractedPathState(ctx);
}

/** Only the context value (set by `extract` / `contextWithPathState`), ignoring the active span. */
export function getExtractedPathState(ctx: Context): PathState | undefined {
  const value = ctx.getValue(PATH_STATE_KEY);
  return value instanceof PathState ? value : undefined;
}

export function contextWithPathState(ctx: Context, state: PathState): Context {
  return ctx.setValue(PATH_STATE_KEY, state);
}

/** The graph path key active in `ctx` (for logs and custom code), or undefined outside a request. */
export function getPathKey(ctx: Context = apiContext.active()): string | undefined {
  return getPathState(ctx)?.key;
}
