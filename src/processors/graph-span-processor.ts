/**
 * CKGraphSpanProcessor: every CK span → graph path element → graph path metrics
 * (docs/graph-path-key.md). It sees every span (sampled or not); the flow is one way:
 *
 * - onStart (entry spans only): names the request's entry element from the span's start
 *   attributes, the one place an entry is named; exit spans that end before it are then keyed
 *   under this request. A framework hook may later refine it (the matched route).
 * - onEnding (the span is complete but still writable): maps the span, re-keys the path at most
 *   once when the entry span's final element differs (a route learned late), sets `ck.path.key`,
 *   `ck.slow` and `ck.error` through the span's own setAttribute (within its limits, never into an
 *   ended span), and records the element in the metrics. Without a span consumer after it (metrics
 *   only: the agent passes `annotateSpans: false`) nothing reads those attributes, so they are not
 *   written (bench/README.md, "Per-span cost").
 */
import { SpanStatusCode, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CKConfig } from '../config/types';
import { pathStateOf } from '../graph';
import { ROOT_KEY } from '../graph/types';
import { describeError, logger } from '../logger';
import type { GraphPathRecorder } from '../metrics/types';
import { ATTR_CK_ERROR, ATTR_CK_PATH_KEY, ATTR_CK_ROUTE_INCOMING, ATTR_CK_SLOW } from '../semconv';
import type { MapperRegistry } from './mapper-registry';
import { defaultMapperRegistry } from './mappers';

export interface GraphSpanProcessorOptions {
  /**
   * Write `ck.path.key`, `ck.slow` and `ck.error` on spans (default true). False when no span
   * processor or exporter follows this one, so nothing could read them.
   */
  annotateSpans?: boolean;
}

export class CKGraphSpanProcessor implements SpanProcessor {
  private readonly slowThresholdSeconds: number;
  private readonly annotate: boolean;

  constructor(
    config: CKConfig,
    private readonly recorder: GraphPathRecorder,
    private readonly registry: MapperRegistry = defaultMapperRegistry(),
    options: GraphSpanProcessorOptions = {}
  ) {
    this.slowThresholdSeconds = config.slowSpanThresholdMs / 1000;
    this.annotate = options.annotateSpans !== false;
  }

  onStart(span: Span, _parentContext: Context): void {
    try {
      const state = pathStateOf(span);
      if (!state || state.entry || state.entrySpanId !== span.spanContext().spanId) return;
      if (state.incomingRoute !== undefined) span.setAttribute(ATTR_CK_ROUTE_INCOMING, state.incomingRoute);
      const element = this.registry.mapperFor(span)?.map(span);
      if (element && element.role === 'entry') state.setEntry(element);
    } catch (err) {
      logger.once('warn', 'graph-processor-start', `graph path naming failed at span start: ${describeError(err)}`);
    }
  }

  onEnding(span: Span): void {
    try {
      this.process(span);
    } catch (err) {
      logger.once('warn', 'graph-processor', `graph path processing failed for a span: ${describeError(err)}`);
    }
  }

  /** Nothing left to do: everything happened in onEnding, while the span could take attributes. */
  onEnd(_span: ReadableSpan): void {}

  private process(span: Span): void {
    const seconds = span.duration[0] + span.duration[1] / 1e9;
    const annotate = this.annotate;
    if (annotate && seconds >= this.slowThresholdSeconds) span.setAttribute(ATTR_CK_SLOW, true);
    const mapper = this.registry.mapperFor(span);
    const element = mapper?.map(span);
    const isError = mapper ? mapper.isError(span) : span.status.code === SpanStatusCode.ERROR;
    if (annotate && isError) span.setAttribute(ATTR_CK_ERROR, true);
    const state = pathStateOf(span);
    if (state) {
      // The entry span's final element (e.g. a route learned after the request started) keys the
      // path; setEntry is a no-op when it is the element named at start.
      if (element && element.role === 'entry' && state.entrySpanId === span.spanContext().spanId) state.setEntry(element);
      if (annotate) span.setAttribute(ATTR_CK_PATH_KEY, state.key);
    }
    if (!element) return;
    // Work outside any request (startup, timers) is recorded under the root path.
    this.recorder.record(state?.key ?? ROOT_KEY, state?.parentKey ?? ROOT_KEY, element, seconds, isError);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
