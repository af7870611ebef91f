/**
 * The resolved ck-agent configuration (camelCase), as `init()` options take it and as
 * `agent.config` exposes it (frozen). Field meanings and defaults: docs/config-reference.md.
 * The config file and env vars use the snake_case names of the spec; `src/config/` maps them.
 */
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { InstrumentationName } from '../instrumentations/registry';
import type { LogLevel } from '../logger';

export type { InstrumentationName };

export type TraceReporterType = 'NONE' | 'OTLP' | 'OTLP_HTTP' | 'ZIPKIN' | 'LOGGING';
export type MetricReporterType = 'OTLP' | 'OTLP_HTTP' | 'PROMETHEUS' | 'LOGGING' | 'NONE';
export type PropagationFormat = 'TRACECONTEXT' | 'B3' | 'B3MULTI' | 'BAGGAGE';
export type MetricTemporality = 'CUMULATIVE' | 'DELTA' | 'LOWMEMORY';
/** Resource detectors (docs/resource.md). */
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'container' | 'k8s';

export const RESOURCE_DETECTOR_NAMES: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'container', 'k8s'];

export interface DirectionSwitch {
  /** Capture on the request side (incoming for servers, outgoing for clients). */
  request: boolean;
  /** Capture on the response side. */
  response: boolean;
}

export interface ReportingConfig {
  /** Trace export endpoint (OTLP gRPC: `http://host:4317`; OTLP_HTTP: full URL or base URL). */
  endpoint: string;
  /** TLS to the collector. */
  secure: boolean;
  /** Sent as `authorization: Bearer <token>` when non-empty. */
  token: string;
  /** CA certificate file used when `secure`. */
  certFile: string;
  traceReporterType: TraceReporterType;
  metricEndpoint: string;
  metricReporterType: MetricReporterType;
  enableGrpcLoadbalancing: boolean;
  /** Where LOGGING reporters write JSON lines; empty = stdout. */
  logFile: string;
  /** Extra export headers for traces (OTEL_EXPORTER_OTLP_HEADERS + _TRACES_HEADERS, token merged in). */
  traceHeaders: Record<string, string>;
  /** Extra export headers for metrics (OTEL_EXPORTER_OTLP_HEADERS + _METRICS_HEADERS, token merged in). */
  metricHeaders: Record<string, string>;
}

export interface DataCaptureConfig {
  httpHeaders: DirectionSwitch;
  httpBody: DirectionSwitch;
  rpcMetadata: DirectionSwitch;
  rpcBody: DirectionSwitch;
  /** Bytes of a body reported in an attribute; the rest is cut and listed in ck.capture.truncated. */
  bodyMaxSizeBytes: number;
  /** Bytes of a body ever held in memory (also the decompression bound). */
  bodyMaxProcessingSizeBytes: number;
  /** Content-type substrings (case-insensitive) whose bodies are captured. */
  allowedContentTypes: string[];
}

export interface TelemetryConfig {
  startupSpanEnabled: boolean;
  /** Graph path metrics on/off. */
  metricsEnabled: boolean;
}

export interface MetricsConfig {
  exportIntervalMs: number;
  exportTimeoutMs: number;
  /** Cardinality cap: series beyond it fold into one overflow series. */
  maxPaths: number;
  /** A series with fewer calls in an interval is not exported for that interval. */
  minCalls: number;
  /** Quantiles of ck.path.latency, each in (0, 1]. */
  quantiles: number[];
  prometheusHost: string;
  prometheusPort: number;
  /** From OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE. */
  temporality: MetricTemporality;
  /** Node.js runtime metrics (event loop, heap, GC, CPU, memory) on the CK meter provider. */
  runtimeEnabled: boolean;
}

export interface TracingConfig {
  /** OTEL_TRACES_SAMPLER (applies to span export only; metrics see every span). */
  sampler: string;
  /** OTEL_TRACES_SAMPLER_ARG, parsed; undefined when not set. */
  samplerArg: number | undefined;
  /** OTEL_BSP_* (validated: maxExportBatchSize <= maxQueueSize). */
  batch: {
    scheduleDelayMillis: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
    exportTimeoutMillis: number;
  };
  /** OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT; Infinity when not set. */
  attributeValueLengthLimit: number;
  /** Attribute count limit per span (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT / OTEL_ATTRIBUTE_COUNT_LIMIT, default 128). */
  attributeCountLimit: number;
}

export interface RedactionConfig {
  /** Header / gRPC metadata names (lower-case) whose values are replaced by [REDACTED]. */
  headerNames: string[];
  /** Case-insensitive regular-expression sources matched against body keys. */
  bodyKeys: string[];
  /** Filters see redacted data only when true. */
  applyToFilters: boolean;
}

export interface CKConfig {
  serviceName: string;
  enabled: boolean;
  /** Zero-code start also in the app's own worker_threads (docs/lifecycle.md). */
  workerThreadsEnabled: boolean;
  propagationFormats: PropagationFormat[];
  resourceAttributes: Record<string, string>;
  /** Which resource detectors run (OTEL_EXPERIMENTAL_RESOURCE_DETECTORS); empty = none. */
  resourceDetectors: ResourceDetectorName[];
  /** `host[:port]` (lower-case) -> `peer.service` of client series. */
  peerServiceMapping: Record<string, string>;
  reporting: ReportingConfig;
  dataCapture: DataCaptureConfig;
  telemetry: TelemetryConfig;
  metrics: MetricsConfig;
  tracing: TracingConfig;
  redaction: RedactionConfig;
  /** Which CK instrumentations the zero-code start enables. */
  instrumentations: InstrumentationName[];
  slowSpanThresholdMs: number;
  /** Longest wait for the final flush when the zero-code start handles SIGTERM/SIGINT (docs/first-run.md). */
  shutdownTimeoutMs: number;
  /** The one startup line on stderr (docs/first-run.md). */
  logStartup: boolean;
  logLevel: LogLevel;
  /** Throw on bad config instead of warning and falling back. */
  strict: boolean;
}

/** Recursive partial: the shape `init()` accepts. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/**
 * What `init()` accepts: the config in camelCase (every field optional), plus `sampler`, a
 * custom Sampler for span export (not part of the resolved config: graph path metrics always
 * see every span, whatever it decides).
 */
export type CKOptions = DeepPartial<CKConfig> & { sampler?: Sampler };
