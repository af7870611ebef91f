/**
 * CKTracerProvider: the tracer provider handed to CK instrumentations (never registered as the
 * global one, so an app's own SDK keeps working beside it).
 *
 * Span processors are called in order for every span (onStart, onEnding when they have it,
 * onEnd); a processor that throws is skipped for that call and logged once, so one broken
 * processor never breaks the span or the others. After shutdown, tracers hand out valid but
 * non-recording spans; spans that end after shutdown are counted through `onSpanDropped`.
 */
import type { Context, Tracer, TracerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CKConfig } from '../config/types';
import { describeError, logger } from '../logger';
import type { CKSpan, SpanOwner, SpanPipeline } from './ck-span';
import { CKTracer, type TracerShared } from './ck-tracer';
import { createSampler, followsLocalParent } from './sampler';

export interface CKTracerProviderOptions {
  config: CKConfig;
  resource: Resource;
  /** Called in this order for every span. */
  spanProcessors: SpanProcessor[];
  /** Called for every span that ended but could not be processed (provider already shut down). */
  onSpanDropped?: () => void;
  /** Overrides the sampler built from `config.tracing` (tests, custom setups). */
  sampler?: Sampler;
}

/** Beyond this many distinct (name, version, schemaUrl) scopes, tracers are no longer cached. */
const MAX_CACHED_TRACERS = 1000;

class ProcessorPipeline implements SpanPipeline, TracerShared {
  stopped = false;
  readonly samplerFollowsLocalParent: boolean;
  private readonly withOnEnding: SpanProcessor[];

  constructor(
    readonly serviceName: string,
    readonly sampler: Sampler,
    private readonly processors: SpanProcessor[],
    private readonly onSpanDropped: (() => void) | undefined
  ) {
    this.withOnEnding = processors.filter((p) => typeof p.onEnding === 'function');
    this.samplerFollowsLocalParent = followsLocalParent(sampler);
  }

  onStart(span: CKSpan, parentContext: Context): void {
    const processors = this.processors;
    for (let i = 0; i < processors.length; i++) {
      try {
        processors[i].onStart(span, parentContext);
      } catch (err) {
        this.failed('onStart', processors[i], err);
      }
    }
  }

  onEnding(span: CKSpan): void {
    const processors = this.withOnEnding;
    for (let i = 0; i < processors.length; i++) {
      try {
        processors[i].onEnding!(span);
      } catch (err) {
        this.failed('onEnding', processors[i], err);
      }
    }
  }

  onEnd(span: CKSpan): void {
    if (this.stopped) {
      if (this.onSpanDropped) {
        try {
          this.onSpanDropped();
        } catch {
          // a counter callback must not break span.end()
        }
      }
      return;
    }
    const processors = this.processors;
    for (let i = 0; i < processors.length; i++) {
      try {
        processors[i].onEnd(span);
      } catch (err) {
        this.failed('onEnd', processors[i], err);
      }
    }
  }

  private failed(hook: string, processor: SpanProcessor, err: unknown): void {
    const name = processor?.constructor?.name ?? 'SpanProcessor';
    logger.once('warn', `span-processor:${hook}:${name}`, `${name}.${hook} threw and was skipped: ${describeError(err)}`);
  }
}

export class CKTracerProvider implements TracerProvider {
  readonly config: CKConfig;
  readonly resource: Resource;
  readonly spanProcessors: readonly SpanProcessor[];
  private readonly pipeline: ProcessorPipeline;
  private readonly tracers = new Map<string, CKTracer>();
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: CKTracerProviderOptions) {
    this.config = options.config;
    this.resource = options.resource;
    this.spanProcessors = [...(options.spanProcessors ?? [])];
    this.pipeline = new ProcessorPipeline(
      options.config.serviceName,
      options.sampler ?? createSampler(options.config.tracing),
      [...this.spanProcessors],
      options.onSpanDropped
    );
  }

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const schemaUrl = options?.schemaUrl;
    const key = `${name}\u0000${version ?? ''}\u0000${schemaUrl ?? ''}`;
    const cached = this.tracers.get(key);
    if (cached) return cached;
    const tracing = this.config.tracing;
    const owner: SpanOwner = {
      resource: this.resource,
      instrumentationScope: { name: name || 'unknown', version, schemaUrl },
      attributeCountLimit: positiveOr(tracing.attributeCountLimit, 128),
      attributeValueLengthLimit: positiveOr(tracing.attributeValueLengthLimit, Infinity),
      pipeline: this.pipeline,
    };
    const tracer = new CKTracer(this.pipeline, owner);
    if (this.tracers.size < MAX_CACHED_TRACERS) this.tracers.set(key, tracer);
    return tracer;
  }

  /** Flushes every processor; failures are logged, never thrown. */
  async forceFlush(): Promise<void> {
    await settleAll('forceFlush', this.spanProcessors, (p) => p.forceFlush());
  }

  /** Shuts every processor down once; later spans are not recorded. Failures are logged. */
  shutdown(): Promise<void> {
    if (!this.shutdownPromise) {
      this.pipeline.stopped = true;
      this.shutdownPromise = settleAll('shutdown', this.spanProcessors, (p) => p.shutdown());
    }
    return this.shutdownPromise;
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && value >= 0 && !Number.isNaN(value) ? value : fallback;
}

async function settleAll(what: string, processors: readonly SpanProcessor[], call: (p: SpanProcessor) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(
    processors.map((p) => {
      try {
        return call(p);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    })
  );
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      const name = processors[i]?.constructor?.name ?? 'SpanProcessor';
      logger.warn(`${name}.${what} failed: ${describeError(result.reason)}`);
    }
  });
}
