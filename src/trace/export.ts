/**
 * Span export ("Hypertrace mode"): the exporter chosen by `reporting.trace_reporter_type`, behind
 * a BatchSpanProcessor configured from `tracing.batch` (OTEL_BSP_*). Only spans that are sampled
 * or force-captured are exported; every span still reaches the graph processor, which runs first.
 *
 * Exporter trouble stays inside: failed exports are logged once per kind, flush and shutdown
 * never reject, and the batch queue is bounded (the SDK drops beyond `maxQueueSize`). Both are
 * counted through `SpanExportHooks` (self-metrics `ck.agent.spans.dropped` and
 * `ck.agent.export.failures{signal="traces"}`).
 */
import * as fs from 'node:fs';
import { TraceFlags, createNoopMeter, type Attributes, type Counter, type Meter, type MeterProvider } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CKConfig } from '../config/types';
import type { PathCarrier } from '../graph';
import { describeError, logger } from '../logger';
import { LoggingSpanExporter } from './logging-exporter';

export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317';
export const DEFAULT_ZIPKIN_URL = 'http://localhost:9411/api/v2/spans';

interface MaybeCKSpan extends Pick<ReadableSpan, 'spanContext'>, PathCarrier {
  markSampled?: () => void;
}

/** True when the span leaves the process: sampled, or force-captured by its ck-route flag. */
export function isExportSampled(span: Pick<ReadableSpan, 'spanContext'>): boolean {
  if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) return true;
  const state = (span as MaybeCKSpan).pathState;
  return state !== undefined && state.forceCapture;
}

/** Where span export reports its trouble (the agent wires both to its self-metrics). */
export interface SpanExportHooks {
  /** Spans dropped: the batch queue was full, or the LOGGING exporter could not keep up. */
  onDropped?: (count: number) => void;
  /** One failed or timed-out export of a batch, with the exporter's error. */
  onExportFailure?: (error?: unknown) => void;
}

/**
 * The SDK 2.x BatchSpanProcessor reports a span it drops on a full queue only through its
 * self-observability meter: `otel.sdk.processor.span.processed` += 1 with
 * `error.type = queue_full` (it has no drop callback). This MeterProvider hands it a meter whose
 * only live instrument turns exactly those increments into `onDropped` calls; everything else the
 * processor records is a no-op, so nothing else is stored or exported.
 */
export const SPAN_PROCESSED_METRIC = 'otel.sdk.processor.span.processed';

export function dropCountingMeterProvider(onDropped: (count: number) => void): MeterProvider {
  const noop = createNoopMeter();
  const processed: Counter = {
    add(value: number, attributes?: Attributes): void {
      if (attributes?.['error.type'] !== 'queue_full') return;
      try {
        onDropped(value);
      } catch {
        // a counter callback must never break span.end()
      }
    },
  };
  const meter: Meter = Object.create(noop) as Meter;
  meter.createCounter = (name, options) => (name === SPAN_PROCESSED_METRIC ? processed : noop.createCounter(name, options));
  return { getMeter: () => meter };
}

/** Forwards export-sampled spans to a BatchSpanProcessor; never throws, never rejects. */
/**
 * SDK 2.x: `new BatchSpanProcessor(exporter, config)`; the 3.x line (`@opentelemetry/sdk-trace`)
 * takes one options object holding the exporter. The 2.x constructor declares both parameters
 * (length 2); 3.x's one options parameter (README "Upstream compatibility").
 */
function newBatchSpanProcessor(exporter: SpanExporter, config: Record<string, unknown>): BatchSpanProcessor {
  const Processor = BatchSpanProcessor as unknown as new (...args: unknown[]) => BatchSpanProcessor;
  return Processor.length >= 2 ? new Processor(exporter, config) : new Processor({ exporter, ...config });
}

export class ExportSpanProcessor implements SpanProcessor {
  private readonly batch: BatchSpanProcessor;

  constructor(
    readonly exporter: SpanExporter,
    batch: CKConfig['tracing']['batch'],
    onDropped?: (count: number) => void
  ) {
    this.batch = newBatchSpanProcessor(exporter, {
      scheduledDelayMillis: batch.scheduleDelayMillis,
      maxQueueSize: batch.maxQueueSize,
      maxExportBatchSize: batch.maxExportBatchSize,
      exportTimeoutMillis: batch.exportTimeoutMillis,
      ...(onDropped ? { selfObsMeterProvider: dropCountingMeterProvider(onDropped) } : {}),
    });
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (!isExportSampled(span)) return;
    // Force capture learned after start (the span's flags still say "not sampled"): the batch
    // processor only takes SAMPLED spans.
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) (span as MaybeCKSpan).markSampled?.();
    this.batch.onEnd(span);
  }

  /**
   * The SDK's BatchSpanProcessor hands queued spans to the exporter but does not flush the
   * exporter itself; a buffered exporter (LOGGING) would still hold the last batch. Flushing both
   * makes agent.forceFlush() mean "written".
   */
  forceFlush(): Promise<void> {
    return guard('forceFlush', async () => {
      await this.batch.forceFlush();
      await this.exporter.forceFlush?.();
    });
  }

  shutdown(): Promise<void> {
    return guard('shutdown', () => this.batch.shutdown());
  }
}

async function guard(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    // A flush or shutdown fails because its export failed, which GuardedSpanExporter already
    // reported (first failure at warn, with the endpoint): a second warning would say it again.
    logger.once('debug', `span-export:${what}`, `span export ${what} failed: ${describeError(err)}`);
  }
}

/** Wraps an exporter so a throwing or failing export is logged (once) and reported, never thrown. */
export class GuardedSpanExporter implements SpanExporter {
  /** Batches that failed to export. */
  failures = 0;

  constructor(
    readonly inner: SpanExporter,
    private readonly label: string,
    private readonly onFailure?: (error?: unknown) => void
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let called = false;
    const done = (result: ExportResult) => {
      if (called) return;
      called = true;
      if (result.code !== ExportResultCode.SUCCESS) {
        this.failures++;
        if (this.onFailure) {
          // the owner counts it and logs the first one with the endpoint (src/lifecycle/startup.ts)
          try {
            this.onFailure(result.error);
          } catch {
            // counting must not break the export callback chain
          }
        } else {
          logger.once(
            'warn',
            `span-export-failed:${this.label}`,
            `${this.label} span export failed (${describeError(result.error)}); later failures are not logged`
          );
        }
      }
      resultCallback(result);
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(describeError(err)) });
    }
  }

  async shutdown(): Promise<void> {
    await guard('exporter shutdown', () => this.inner.shutdown());
  }

  async forceFlush(): Promise<void> {
    if (this.inner.forceFlush) await guard('exporter flush', () => this.inner.forceFlush!());
  }
}

function normalizeEndpoint(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, '');
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * OTLP/HTTP traces URL from `reporting.endpoint`: a URL without a path gets `/v1/traces`; the
 * gRPC port 4317 (the default endpoint) becomes the OTLP/HTTP port 4318; `secure` upgrades
 * `http:` to `https:`.
 */
export function otlpHttpTracesUrl(endpoint: string, secure = false): string {
  const url = parseUrl(normalizeEndpoint(endpoint) || DEFAULT_OTLP_GRPC_ENDPOINT);
  if (!url) return endpoint;
  if (url.port === '4317') url.port = '4318';
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  if (secure && url.protocol === 'http:') url.protocol = 'https:';
  return url.toString();
}

/** Zipkin URL: the default OTLP endpoint means "not configured" → the Zipkin default. */
export function zipkinUrl(endpoint: string): string {
  const normalized = normalizeEndpoint(endpoint);
  if (!normalized || normalized === DEFAULT_OTLP_GRPC_ENDPOINT) return DEFAULT_ZIPKIN_URL;
  const url = parseUrl(normalized);
  if (!url) return endpoint;
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/api/v2/spans';
  return url.toString();
}

function readCert(certFile: string): Buffer | undefined {
  if (!certFile) return undefined;
  try {
    return fs.readFileSync(certFile);
  } catch (err) {
    logger.warn(`reporting.cert_file ${certFile} could not be read (${describeError(err)}); using the system CAs`);
    return undefined;
  }
}

function createOtlpGrpcExporter(config: CKConfig): SpanExporter {
  // Lazy requires: gRPC is only loaded when this reporter is chosen.
  const { OTLPTraceExporter } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
    require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
  const { createEmptyMetadata, createSslCredentials } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
    require('@opentelemetry/otlp-grpc-exporter-base') as typeof import('@opentelemetry/otlp-grpc-exporter-base');
  const reporting = config.reporting;
  const metadata = createEmptyMetadata();
  for (const [key, value] of Object.entries(reporting.traceHeaders ?? {})) {
    try {
      metadata.set(key.toLowerCase(), String(value));
    } catch (err) {
      logger.warn(`trace export header "${key}" is not valid gRPC metadata and is skipped: ${describeError(err)}`);
    }
  }
  return new OTLPTraceExporter({
    url: normalizeEndpoint(reporting.endpoint) || DEFAULT_OTLP_GRPC_ENDPOINT,
    metadata,
    timeoutMillis: config.tracing.batch.exportTimeoutMillis,
    ...(reporting.secure ? { credentials: createSslCredentials(readCert(reporting.certFile)) } : {}),
  });
}

function createOtlpHttpExporter(config: CKConfig): SpanExporter {
  const { OTLPTraceExporter } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
    require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  const reporting = config.reporting;
  const ca = reporting.secure ? readCert(reporting.certFile) : undefined;
  return new OTLPTraceExporter({
    url: otlpHttpTracesUrl(reporting.endpoint, reporting.secure),
    headers: { ...(reporting.traceHeaders ?? {}) },
    timeoutMillis: config.tracing.batch.exportTimeoutMillis,
    ...(ca ? { httpAgentOptions: { ca } } : {}),
  });
}

function createZipkinExporter(config: CKConfig, resource: Resource): SpanExporter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only the configured exporter package loads
  const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin');
  const serviceName = resource.attributes['service.name'];
  return new ZipkinExporter({
    url: zipkinUrl(config.reporting.endpoint),
    headers: { ...(config.reporting.traceHeaders ?? {}) },
    serviceName: typeof serviceName === 'string' ? serviceName : config.serviceName,
  });
}

/** The configured span exporter, or undefined for NONE (and for unknown types, with a warning). */
export function createSpanExporter(config: CKConfig, resource: Resource, onDropped?: (count: number) => void): SpanExporter | undefined {
  const type = config.reporting.traceReporterType;
  switch (type) {
    case 'NONE':
      return undefined;
    case 'OTLP':
      return createOtlpGrpcExporter(config);
    case 'OTLP_HTTP':
      return createOtlpHttpExporter(config);
    case 'ZIPKIN':
      return createZipkinExporter(config, resource);
    case 'LOGGING':
      return new LoggingSpanExporter({ logFile: config.reporting.logFile, onDropped });
    default:
      logger.warn(`unknown trace reporter type "${String(type)}"; span export is off`);
      return undefined;
  }
}

/**
 * The export span processor for `reporting.trace_reporter_type` (undefined when NONE).
 * `hooks` count dropped spans (full batch queue, LOGGING backlog) and failed exports.
 */
export function createExportSpanProcessor(
  config: CKConfig,
  resource: Resource,
  hooks: SpanExportHooks = {}
): ExportSpanProcessor | undefined {
  const { onDropped, onExportFailure } = hooks;
  let exporter: SpanExporter | undefined;
  try {
    exporter = createSpanExporter(config, resource, onDropped);
  } catch (err) {
    logger.error(`span exporter ${config.reporting.traceReporterType} could not be created; span export is off: ${describeError(err)}`);
    return undefined;
  }
  if (!exporter) return undefined;
  return new ExportSpanProcessor(
    new GuardedSpanExporter(exporter, config.reporting.traceReporterType, onExportFailure),
    config.tracing.batch,
    onDropped
  );
}
