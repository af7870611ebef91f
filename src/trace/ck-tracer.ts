/**
 * CKTracer: starts CKSpans with the SDK tracer's semantics (parent from the context unless
 * `root`, trace id inherited from a valid parent, suppressed tracing honoured, sampler decides
 * the SAMPLED flag) plus the graph path state of the request:
 * - SERVER / CONSUMER spans start a new PathState whose parent is the state extracted from the
 *   incoming ck-route (`getExtractedPathState`), else ROOT; its `entrySpanId` is the span's id;
 * - every other span shares its parent CK span's state, else the extracted state, else none.
 * Force capture (ck-route flag) makes the span sampled whatever the sampler says.
 */
import {
  context as apiContext,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace-base';
import { PathState, getExtractedPathState, getPathState, refineEntryFromRoute } from '../graph';
import { CKSpan, type SpanOwner } from './ck-span';
import { newSpanId, newTraceId } from './ids';

/** The tracer provider's shared state every tracer reads (one object, no per-span lookups). */
export interface TracerShared {
  readonly serviceName: string;
  readonly sampler: Sampler;
  /** The sampler samples a child of a local span iff the parent is sampled (see followsLocalParent). */
  readonly samplerFollowsLocalParent: boolean;
  /** Runs the processors' onStart in order, exception-safe. */
  onStart(span: CKSpan, parentContext: Context): void;
  /** True once the provider is shut down: spans are then valid but not recorded. */
  readonly stopped: boolean;
}

const EMPTY_OPTIONS: SpanOptions = Object.freeze({});
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});
const EMPTY_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

export class CKTracer implements Tracer {
  constructor(
    private readonly shared: TracerShared,
    /** Resource, scope, limits and pipeline shared by this tracer's spans. */
    readonly owner: SpanOwner
  ) {}

  get instrumentationScope() {
    return this.owner.instrumentationScope;
  }

  startSpan(name: string, options: SpanOptions = EMPTY_OPTIONS, ctx: Context = apiContext.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

    const parentSpan = trace.getSpan(ctx);
    const parentContext = parentSpan?.spanContext();
    let traceId: string;
    let traceState: SpanContext['traceState'];
    let validParent: SpanContext | undefined;
    // Our own spans always carry valid ids: skip the regex validation for them.
    const ckParent = parentSpan instanceof CKSpan;
    if (parentContext !== undefined && (ckParent || trace.isSpanContextValid(parentContext))) {
      traceId = parentContext.traceId;
      traceState = parentContext.traceState;
      validParent = parentContext;
    } else {
      traceId = newTraceId();
    }
    const spanId = newSpanId();

    if (this.shared.stopped) {
      // After shutdown: a valid context for propagation, nothing recorded.
      return trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.NONE, traceState });
    }

    const kind = options.kind ?? SpanKind.INTERNAL;
    let pathState: PathState | undefined;
    if (kind === SpanKind.SERVER || kind === SpanKind.CONSUMER) {
      const extracted = getExtractedPathState(ctx);
      pathState =
        extracted === undefined
          ? new PathState(this.shared.serviceName)
          : new PathState(this.shared.serviceName, extracted.key, extracted.flags, extracted.incomingRoute);
      pathState.entrySpanId = spanId;
    } else {
      if (ckParent) {
        pathState = parentSpan.pathState;
      } else {
        // Under a vanilla span (docs/coexistence.md): the request's state through the RPC metadata
        // or the hidden request span, after taking a route the vanilla framework matched.
        refineEntryFromRoute(ctx);
        pathState = getPathState(ctx);
      }
    }

    const links = options.links ?? EMPTY_LINKS;
    let sampled: boolean;
    let samplerAttributes: Attributes | undefined;
    if (ckParent && this.shared.samplerFollowsLocalParent) {
      sampled = (parentContext!.traceFlags & TraceFlags.SAMPLED) !== 0;
    } else {
      const result = this.shared.sampler.shouldSample(ctx, traceId, name, kind, options.attributes ?? EMPTY_ATTRIBUTES, links);
      sampled = result.decision === SamplingDecision.RECORD_AND_SAMPLED;
      samplerAttributes = result.attributes;
      if (result.traceState !== undefined) traceState = result.traceState;
    }
    if (!sampled && pathState !== undefined && pathState.forceCapture) sampled = true;
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState,
    };

    const span = new CKSpan(this.owner, name, kind, spanContext, validParent, options.startTime, pathState);
    if (options.attributes !== undefined) span.setAttributes(options.attributes);
    if (samplerAttributes !== undefined) span.setAttributes(samplerAttributes);
    if (links.length > 0) span.addLinks(links);
    this.shared.onStart(span, ctx);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    arg2?: F | SpanOptions,
    arg3?: F | Context,
    arg4?: F
  ): ReturnType<F> | undefined {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (arguments.length < 2) return undefined;
    if (arguments.length === 2) {
      fn = arg2 as F;
    } else if (arguments.length === 3) {
      options = arg2 as SpanOptions;
      fn = arg3 as F;
    } else {
      options = arg2 as SpanOptions;
      ctx = arg3 as Context;
      fn = arg4 as F;
    }
    const parentContext = ctx ?? apiContext.active();
    const span = this.startSpan(name, options, parentContext);
    return apiContext.with(trace.setSpan(parentContext, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
