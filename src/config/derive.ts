/**
 * Rules that involve more than one field, applied once every field is merged:
 * the OTLP protocol variables, endpoint defaults that depend on the reporter type, the
 * batch <= queue and timeout <= interval bounds, and the token header.
 */
import type { CKConfig, MetricReporterType, TraceReporterType } from './types';
import { envText, OTLP_PROTOCOL_VARS, type Env } from './env';
import { invalidValue, sourceProblem, type ConfigIssue } from './issues';

/** Label of the source that set each field (camelCase key), `defaults` when none did. */
export type SourceMap = ReadonlyMap<string, string>;
export const DEFAULT_SOURCE = 'defaults';

type Protocol = 'grpc' | 'http';

export function deriveConfig(config: CKConfig, sources: SourceMap, env: Env, issues: ConfigIssue[]): void {
  applyOtlpProtocol(config, env, issues);
  applyEndpointDefaults(config, sources);
  clampBatchSize(config, sources, issues);
  clampMetricExportTimeout(config, sources, issues);
  addTokenHeaders(config);
}

/**
 * OTEL_EXPORTER_OTLP_PROTOCOL (and the per-signal variables, which win) choose the OTLP
 * transport. They act only on a signal whose resolved reporter type is an OTLP one:
 * `http/protobuf` turns OTLP into OTLP_HTTP; `grpc` keeps OTLP (and leaves an explicit OTLP_HTTP,
 * which already names its transport); `http/json` is not supported and is treated as
 * `http/protobuf` with a warning. Other reporter types (ZIPKIN, PROMETHEUS, ...) are untouched.
 */
function applyOtlpProtocol(config: CKConfig, env: Env, issues: ConfigIssue[]): void {
  const generic = readProtocol(env, OTLP_PROTOCOL_VARS.generic, 'reporting.trace_reporter_type', issues);
  const traces = readProtocol(env, OTLP_PROTOCOL_VARS.traces, 'reporting.trace_reporter_type', issues) ?? generic;
  const metrics = readProtocol(env, OTLP_PROTOCOL_VARS.metrics, 'reporting.metric_reporter_type', issues) ?? generic;
  if (traces === 'http' && config.reporting.traceReporterType === 'OTLP') {
    config.reporting.traceReporterType = 'OTLP_HTTP' satisfies TraceReporterType;
  }
  if (metrics === 'http' && config.reporting.metricReporterType === 'OTLP') {
    config.reporting.metricReporterType = 'OTLP_HTTP' satisfies MetricReporterType;
  }
}

function readProtocol(env: Env, name: string, key: string, issues: ConfigIssue[]): Protocol | undefined {
  const text = envText(env, name);
  if (text === undefined) return undefined;
  switch (text.toLowerCase()) {
    case 'grpc':
      return 'grpc';
    case 'http/protobuf':
      return 'http';
    case 'http/json':
      issues.push(sourceProblem(`env ${name}`, key, 'protocol http/json is not supported by ck-agent; using http/protobuf'));
      return 'http';
    default:
      issues.push(invalidValue(`env ${name}`, key, text, 'grpc, http/protobuf or http/json', 'the configured reporter type'));
      return undefined;
  }
}

const DEFAULT_TRACE_ENDPOINTS: Partial<Record<TraceReporterType, string>> = {
  OTLP: 'http://localhost:4317',
  OTLP_HTTP: 'http://localhost:4318/v1/traces',
  ZIPKIN: 'http://localhost:9411/api/v2/spans',
};
const DEFAULT_METRIC_ENDPOINTS: Partial<Record<MetricReporterType, string>> = {
  OTLP: 'http://localhost:4317',
  OTLP_HTTP: 'http://localhost:4318/v1/metrics',
};

/**
 * An endpoint nobody set follows its reporter type (4317 gRPC, 4318 HTTP, 9411 Zipkin). A base
 * URL from OTEL_EXPORTER_OTLP_ENDPOINT gets the signal path for OTLP_HTTP, as the
 * OpenTelemetry spec says; signal-specific endpoints are used as given.
 */
function applyEndpointDefaults(config: CKConfig, sources: SourceMap): void {
  const r = config.reporting;
  const traceSource = sources.get('reporting.endpoint') ?? DEFAULT_SOURCE;
  if (traceSource === DEFAULT_SOURCE) r.endpoint = DEFAULT_TRACE_ENDPOINTS[r.traceReporterType] ?? r.endpoint;
  else if (traceSource === 'env OTEL_EXPORTER_OTLP_ENDPOINT' && r.traceReporterType === 'OTLP_HTTP') {
    r.endpoint = appendPath(r.endpoint, 'v1/traces');
  }
  const metricSource = sources.get('reporting.metricEndpoint') ?? DEFAULT_SOURCE;
  if (metricSource === DEFAULT_SOURCE) r.metricEndpoint = DEFAULT_METRIC_ENDPOINTS[r.metricReporterType] ?? r.metricEndpoint;
  else if (metricSource === 'env OTEL_EXPORTER_OTLP_ENDPOINT' && r.metricReporterType === 'OTLP_HTTP') {
    r.metricEndpoint = appendPath(r.metricEndpoint, 'v1/metrics');
  }
}

function appendPath(base: string, signalPath: string): string {
  return `${base.replace(/\/+$/, '')}/${signalPath}`;
}

/** maxExportBatchSize > maxQueueSize is clamped (warned about when the batch size was set explicitly). */
function clampBatchSize(config: CKConfig, sources: SourceMap, issues: ConfigIssue[]): void {
  const batch = config.tracing.batch;
  if (batch.maxExportBatchSize <= batch.maxQueueSize) return;
  const batchSource = sources.get('tracing.batch.maxExportBatchSize') ?? DEFAULT_SOURCE;
  if (batchSource !== DEFAULT_SOURCE) {
    const queueSource = sources.get('tracing.batch.maxQueueSize') ?? DEFAULT_SOURCE;
    issues.push(
      sourceProblem(
        batchSource,
        'tracing.batch.max_export_batch_size',
        `tracing.batch.max_export_batch_size ${batch.maxExportBatchSize} is larger than tracing.batch.max_queue_size ${batch.maxQueueSize} (from ${queueSource}); expected at most the queue size, using ${batch.maxQueueSize}`
      )
    );
  }
  batch.maxExportBatchSize = batch.maxQueueSize;
}

/** The metric SDK refuses an export timeout above the interval: clamp it (warn when set explicitly). */
function clampMetricExportTimeout(config: CKConfig, sources: SourceMap, issues: ConfigIssue[]): void {
  const m = config.metrics;
  if (m.exportTimeoutMs <= m.exportIntervalMs) return;
  const timeoutSource = sources.get('metrics.exportTimeoutMs') ?? DEFAULT_SOURCE;
  if (timeoutSource !== DEFAULT_SOURCE) {
    issues.push(
      sourceProblem(
        timeoutSource,
        'metrics.export_timeout_ms',
        `metrics.export_timeout_ms ${m.exportTimeoutMs} is larger than metrics.export_interval_ms ${m.exportIntervalMs}; expected at most the interval, using ${m.exportIntervalMs}`
      )
    );
  }
  m.exportTimeoutMs = m.exportIntervalMs;
}

/** reporting.token → `authorization: Bearer <token>` on both exports, unless a header is set already. */
function addTokenHeaders(config: CKConfig): void {
  const token = config.reporting.token;
  if (!token) return;
  for (const headers of [config.reporting.traceHeaders, config.reporting.metricHeaders]) {
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${token}`;
    }
  }
}
