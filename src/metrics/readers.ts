/**
 * The metric reader for `reporting.metricReporterType`: OTLP (gRPC), OTLP_HTTP (http/protobuf),
 * PROMETHEUS (pull), LOGGING (JSON lines) or NONE.
 *
 * Push exporters are wrapped so every failed or timed-out export is counted
 * (`ck.agent.export.failures`) and temporality follows `metrics.temporality`. A collector that is
 * down or slow never blocks the app: the SDK reader exports from a timer, at most one export is in
 * flight (a tick that finds one running is skipped), each export has a timeout, and the store keeps
 * fixed-size state meanwhile, so memory stays flat; the next successful export carries on.
 *
 * Only the configured exporter package is loaded, when its reader is built: each one brings its
 * own dependency tree (gRPC for OTLP, the OTLP/HTTP transport for OTLP_HTTP, an HTTP server for
 * PROMETHEUS) that the other modes must not pay for in start-up time and memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  PeriodicExportingMetricReader,
  type AggregationOption,
  type MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
// Exporter packages are required lazily, only the configured one (see the header): types only here.
import type { OTLPMetricExporter as OTLPGrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import type * as PrometheusModule from '@opentelemetry/exporter-prometheus';
import type { CKConfig, MetricTemporality } from '../config/types';
import { markOwnServer } from '../lifecycle/own-endpoints';
import { logger, describeError } from '../logger';
import { LoggingMetricExporter } from './logging-exporter';
import { speedUpPrometheusSerializer } from './prometheus-serializer';
import type { IntervalSnapshot } from './path-series';

export const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';
const DEFAULT_HTTP_ENDPOINT = 'http://localhost:4318/v1/metrics';
const DEFAULT_INTERVAL_MS = 60000;
const DEFAULT_TIMEOUT_MS = 30000;

export interface ReaderContext {
  config: CKConfig;
  /** service.name for LOGGING rows. */
  serviceName: string;
  snapshotFor: (metrics: ResourceMetrics) => IntervalSnapshot | undefined;
  /** Called once per failed or timed-out export, with the exporter's error. */
  onExportFailure: (error?: unknown) => void;
}

/** Creates the configured reader; undefined for NONE or when it cannot be created (warned). */
export function createConfiguredReader(ctx: ReaderContext): MetricReader | undefined {
  const { config } = ctx;
  const type = config.reporting.metricReporterType;
  try {
    switch (type) {
      case 'NONE':
        return undefined;
      case 'PROMETHEUS':
        return createPrometheusReader(config);
      case 'LOGGING':
        return periodic(
          config,
          new CountingExporter(
            new LoggingMetricExporter(ctx.serviceName, ctx.snapshotFor, config.reporting.logFile),
            'DELTA',
            ctx.onExportFailure
          )
        );
      case 'OTLP_HTTP':
        return periodic(config, new CountingExporter(createHttpExporter(config), config.metrics.temporality, ctx.onExportFailure));
      case 'OTLP':
        return periodic(config, new CountingExporter(createGrpcExporter(config), config.metrics.temporality, ctx.onExportFailure));
      default:
        logger.warn(`metric reporter type ${String(type)} is not supported; metrics are not exported`);
        return undefined;
    }
  } catch (err) {
    logger.warn(`could not create the ${String(type)} metric reporter, metrics are not exported: ${describeError(err)}`);
    return undefined;
  }
}

function periodic(config: CKConfig, exporter: PushMetricExporter): PeriodicExportingMetricReader {
  const interval = positive(config.metrics.exportIntervalMs, DEFAULT_INTERVAL_MS);
  // The SDK throws when the timeout exceeds the interval; clamp instead.
  const timeout = Math.min(positive(config.metrics.exportTimeoutMs, DEFAULT_TIMEOUT_MS), interval);
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: timeout });
}

function positive(value: number, fallback: number): number {
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function exportTimeout(config: CKConfig): number {
  return Math.min(
    positive(config.metrics.exportTimeoutMs, DEFAULT_TIMEOUT_MS),
    positive(config.metrics.exportIntervalMs, DEFAULT_INTERVAL_MS)
  );
}

/** OTLP/HTTP URL: `/v1/metrics` appended when the endpoint has no path; the default gRPC endpoint maps to :4318. */
export function httpMetricsUrl(endpoint: string): string {
  const raw = (endpoint || '').trim();
  if (raw === '' || raw.replace(/\/+$/, '') === DEFAULT_GRPC_ENDPOINT) return DEFAULT_HTTP_ENDPOINT;
  try {
    const url = new URL(raw);
    if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/metrics';
    return url.toString();
  } catch {
    return raw;
  }
}

function createHttpExporter(config: CKConfig): PushMetricExporter {
  const url = httpMetricsUrl(config.reporting.metricEndpoint);
  const ca = config.reporting.secure ? readCert(config.reporting.certFile) : undefined;
  const { OTLPMetricExporter } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
    require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter({
    url,
    headers: { ...config.reporting.metricHeaders },
    timeoutMillis: exportTimeout(config),
    temporalityPreference: AggregationTemporality.CUMULATIVE, // the CountingExporter decides
    ...(ca ? { httpAgentOptions: { ca } } : {}),
  });
}

/**
 * gRPC helpers (metadata, credentials) must come from the same @grpc/grpc-js copy the exporter
 * uses, so they are loaded relative to the exporter package rather than from ours.
 */
interface GrpcHelpers {
  createEmptyMetadata(): { set(key: string, value: string): void };
  createSslCredentials(rootCert?: Buffer): unknown;
  createInsecureCredentials(): unknown;
}

function grpcHelpers(): GrpcHelpers {
  // The package's entry, not its package.json: the newest line's exports map no longer lists it.
  const exporterDir = path.dirname(require.resolve('@opentelemetry/exporter-metrics-otlp-grpc'));
  const base = require.resolve('@opentelemetry/otlp-grpc-exporter-base', { paths: [exporterDir] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only for the OTLP/gRPC exporter
  return require(base) as GrpcHelpers;
}

function createGrpcExporter(config: CKConfig): PushMetricExporter {
  const url = (config.reporting.metricEndpoint || DEFAULT_GRPC_ENDPOINT).trim();
  const helpers = grpcHelpers();
  const metadata = helpers.createEmptyMetadata();
  for (const [key, value] of Object.entries(config.reporting.metricHeaders)) {
    try {
      metadata.set(key.toLowerCase(), value);
    } catch (err) {
      logger.warn(`metric export header ${key} is not valid gRPC metadata and is skipped: ${describeError(err)}`);
    }
  }
  // `secure` decides TLS; an https:// URL implies it.
  const secure = config.reporting.secure || /^https:/i.test(url);
  const credentials = secure ? helpers.createSslCredentials(readCert(config.reporting.certFile)) : helpers.createInsecureCredentials();
  type GrpcOptions = ConstructorParameters<typeof OTLPGrpcMetricExporter>[0];
  const { OTLPMetricExporter } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
    require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc');
  return new OTLPMetricExporter({
    url,
    metadata,
    credentials,
    timeoutMillis: exportTimeout(config),
    temporalityPreference: AggregationTemporality.CUMULATIVE, // the CountingExporter decides
  } as unknown as GrpcOptions);
}

function readCert(file: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    logger.warn(`reporting.cert_file ${file} could not be read, using the system CAs: ${describeError(err)}`);
    return undefined;
  }
}

function createPrometheusReader(config: CKConfig): MetricReader {
  const host = config.metrics.prometheusHost || '0.0.0.0';
  const port = config.metrics.prometheusPort;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus') as typeof PrometheusModule;
  const exporter = new PrometheusExporter({ host, port }, (err?: unknown) => {
    if (err) {
      logger.warn(
        `Prometheus endpoint could not listen on ${host}:${port} (${describeError(err)}); ` +
          'graph path metrics are not served, the application keeps running'
      );
    }
  });
  // Scrapes are not app traffic (src/lifecycle/own-endpoints.ts). `_server` is the exporter's
  // http.Server (0.2xx line); test/integration/self-traffic.test.ts fails if that ever changes.
  markOwnServer((exporter as unknown as { _server?: unknown })._server);
  // Same text, built once per series instead of per line (src/metrics/prometheus-serializer.ts).
  speedUpPrometheusSerializer((exporter as unknown as { _serializer?: unknown })._serializer);
  // Releases of exporter-prometheus pin an exact sdk-metrics, which may be a nested copy beside
  // ours: the reader works across copies, only TypeScript's private-member check does not.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed on that newest line only
  return exporter as unknown as MetricReader;
}

const PROMETHEUS_PACKAGE = '@opentelemetry/exporter-prometheus';

/**
 * True for a PrometheusExporter (ours or one passed as an extra reader), without loading the
 * package: when it was never loaded, no reader can be one of its instances.
 */
export function isPrometheusReader(reader: MetricReader): boolean {
  let loaded: typeof PrometheusModule | undefined;
  try {
    loaded = require.cache[require.resolve(PROMETHEUS_PACKAGE)]?.exports as typeof PrometheusModule | undefined;
  } catch {
    return false;
  }
  return loaded !== undefined && typeof loaded.PrometheusExporter === 'function' && reader instanceof loaded.PrometheusExporter;
}

/** Temporality per instrument type for `metrics.temporality` (OTel spec semantics). */
export function temporalityFor(preference: MetricTemporality, instrumentType: InstrumentType): AggregationTemporality {
  if (preference === 'DELTA') {
    switch (instrumentType) {
      case InstrumentType.COUNTER:
      case InstrumentType.OBSERVABLE_COUNTER:
      case InstrumentType.HISTOGRAM:
      case InstrumentType.GAUGE:
      case InstrumentType.OBSERVABLE_GAUGE:
        return AggregationTemporality.DELTA;
      default:
        return AggregationTemporality.CUMULATIVE;
    }
  }
  if (preference === 'LOWMEMORY') {
    return instrumentType === InstrumentType.COUNTER || instrumentType === InstrumentType.HISTOGRAM
      ? AggregationTemporality.DELTA
      : AggregationTemporality.CUMULATIVE;
  }
  return AggregationTemporality.CUMULATIVE;
}

/** Counts failed exports and applies the configured temporality; otherwise passes through. */
export class CountingExporter implements PushMetricExporter {
  constructor(
    readonly inner: PushMetricExporter,
    private readonly temporality: MetricTemporality,
    private readonly onFailure: (error?: unknown) => void
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const done = (result: ExportResult): void => {
      if (called) return;
      called = true;
      if (result.code !== ExportResultCode.SUCCESS) {
        try {
          this.onFailure(result.error);
        } catch {
          // reporting a failure must not break the export callback chain
        }
      }
      try {
        resultCallback(result);
      } catch (err) {
        logger.once('warn', 'metric-export-callback', `metric export callback failed: ${describeError(err)}`);
      }
    };
    try {
      this.inner.export(metrics, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(describeError(err)) });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return temporalityFor(this.temporality, instrumentType);
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.inner.selectAggregation ? this.inner.selectAggregation(instrumentType) : { type: AggregationType.DEFAULT };
  }
}
