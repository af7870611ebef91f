/** CK tracing: lightweight spans, their tracer and provider, and span export. */
export { CKSpan, toHrTime, type SpanOwner, type SpanPipeline } from './ck-span';
export { CKContextManager } from './context-manager';
export { CKTracer } from './ck-tracer';
export { CKTracerProvider, type CKTracerProviderOptions } from './ck-tracer-provider';
export {
  createExportSpanProcessor,
  createSpanExporter,
  dropCountingMeterProvider,
  isExportSampled,
  ExportSpanProcessor,
  GuardedSpanExporter,
  otlpHttpTracesUrl,
  zipkinUrl,
  DEFAULT_OTLP_GRPC_ENDPOINT,
  DEFAULT_ZIPKIN_URL,
  SPAN_PROCESSED_METRIC,
  type SpanExportHooks,
} from './export';
export { LoggingSpanExporter, formatSpanLine, hrTimeToNanosString } from './logging-exporter';
export { createSampler, DEFAULT_SAMPLER, GuardedSampler, isSampler } from './sampler';
export { newSpanId, newTraceId } from './ids';
