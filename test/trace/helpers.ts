/** Shared helpers for the trace tests (not a test file: ava only runs *.test.ts). */
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Context } from '@opentelemetry/api';
import { resolveConfig } from '../../src/config';
import type { CKConfig, CKOptions } from '../../src/config/types';
import { CKTracerProvider } from '../../src/trace';

/** A resolved config from options only (an empty env, so the test machine's env cannot leak in). */
export function makeConfig(options: CKOptions = {}): CKConfig {
  return resolveConfig({ serviceName: 'trace-test', ...options }, {});
}

export function makeResource(serviceName = 'trace-test'): Resource {
  return resourceFromAttributes({ 'service.name': serviceName });
}

/** Records what the provider hands to a processor. */
export class RecordingProcessor implements SpanProcessor {
  readonly started: Span[] = [];
  readonly startContexts: Context[] = [];
  readonly ended: ReadableSpan[] = [];
  flushes = 0;
  shutdowns = 0;
  onStart(span: Span, ctx: Context): void {
    this.started.push(span);
    this.startContexts.push(ctx);
  }
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  forceFlush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.shutdowns++;
    return Promise.resolve();
  }
}

export function makeProvider(
  options: CKOptions = {},
  processors: SpanProcessor[] = [],
  extra: { onSpanDropped?: () => void } = {}
): { provider: CKTracerProvider; config: CKConfig; recorder: RecordingProcessor } {
  const config = makeConfig(options);
  const recorder = new RecordingProcessor();
  const provider = new CKTracerProvider({
    config,
    resource: makeResource(config.serviceName),
    spanProcessors: [recorder, ...processors],
    onSpanDropped: extra.onSpanDropped,
  });
  return { provider, config, recorder };
}
