/**
 * CKGraphSpanProcessor: every ended CK span -> graph path element -> graph path metrics.
 * It sees every span (sampled or not) and runs before the export processor, so the attributes
 * it adds (`ck.path.key`, `ck.slow`) reach exported spans too.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CKConfig } from '../config/types';
import type { PathState } from '../graph';
import { ROOT_KEY } from '../graph/types';
import { logger, describeError } from '../logger';
import type { GraphPathRecorder } from '../metrics/types';
import type { MapperRegistry } from './mapper-registry';
import { defaultMapperRegistry } from './mappers';

/** The CK span fields this processor relies on beyond ReadableSpan. */
interface PathCarryingSpan extends ReadableSpan {
  pathState?: PathState;
}

export class CKGraphSpanProcessor implements SpanProcessor {
  private readonly slowThresholdSeconds: number;

  constructor(
    config: CKConfig,
    private readonly recorder: GraphPathRecorder,
    private readonly registry: MapperRegistry = defaultMapperRegistry()
  ) {
    this.slowThresholdSeconds = config.slowSpanThresholdMs / 1000;
  }

  /**
   * Names the path node as soon as an entry span starts, from its start attributes (method and
   * raw path for HTTP), so exit spans that end before it are keyed under this request even when
   * no CK wrapper hook names the entry. A framework route learned later re-keys it (see onEnd).
   */
  onStart(span: Span, _parentContext: Context): void {
    try {
      const state = (span as unknown as PathCarryingSpan).pathState;
      if (!state || state.entry || state.entrySpanId !== span.spanContext().spanId) return;
      const element = this.registry.mapperFor(span)?.map(span);
      if (element && element.role === 'entry') state.setEntry(element);
    } catch (err) {
      logger.once('warn', 'graph-processor-start', `graph path naming failed at span start: ${describeError(err)}`);
    }
  }

  onEnd(span: ReadableSpan): void {
    try {
      this.process(span as PathCarryingSpan);
    } catch (err) {
      logger.once('warn', 'graph-processor', `graph path processing failed for a span: ${describeError(err)}`);
    }
  }

  private process(span: PathCarryingSpan): void {
    const attributes = span.attributes as Record<string, unknown>;
    const seconds = span.duration[0] + span.duration[1] / 1e9;
    if (seconds >= this.slowThresholdSeconds) attributes['ck.slow'] = true;

    const state = span.pathState;
    const mapper = this.registry.mapperFor(span);
    const element = mapper?.map(span);
    if (state) {
      // The entry span names its path node; a route learned late (framework match after the
      // request started) still lands here, so the recorded key is the final one.
      if (element && element.role === 'entry' && state.entrySpanId === span.spanContext().spanId) {
        state.setEntry(element);
      }
      attributes['ck.path.key'] = state.key;
    }
    if (!element || !mapper) return;
    // Work outside any request (startup, timers) is recorded under the root path.
    this.recorder.record(state?.key ?? ROOT_KEY, state?.parentKey ?? ROOT_KEY, element, seconds, mapper.isError(span));
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
