/**
 * Graph path metrics: the recorder the span processor feeds, a CK-owned MeterProvider (never the
 * global one) and the configured reader. Behaviour: docs/metrics.md.
 *
 * Per span, `record()` only touches the PathStore (no SDK call, no allocation for a known series).
 * Once per collection the store closes an interval and the ck.path.* data points of that interval
 * are appended to the `ck-agent` scope of the collection result (see path-metric-data.ts for why
 * they are not SDK instruments). Self-metrics (ck.agent.*) are ordinary observable instruments on
 * the `ck-agent` meter, reading plain counters.
 *
 * Intervals: the configured reader (or, with NONE, the first extra reader) is the interval clock:
 * each of its collections (periodic export, forceFlush, shutdown, a Prometheus scrape) closes one
 * interval. Other readers see the most recently closed interval; they should use cumulative
 * temporality (with delta they would repeat or miss intervals of ck.path.*).
 */
import { packageVersion } from '../version';
import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import {
  InstrumentType,
  MeterProvider,
  type CollectionResult,
  type MetricCollectOptions,
  type MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { CKConfig } from '../config/types';
import type { GraphElement } from '../graph/types';
import { firstExportFailureWarner, metricsDestination } from '../lifecycle/startup';
import { logger, describeError } from '../logger';
import type { GraphPathRecorder } from './types';
import { EMPTY_SNAPSHOT, type IntervalSnapshot } from './path-series';
import { PathStore } from './path-store';
import { buildPathMetricData } from './path-metric-data';
import { createConfiguredReader, isPrometheusReader } from './readers';
import { writeIntervalSync } from './logging-exporter';
import { onExitSync } from '../lifecycle/exit';

/** What GraphPathMetrics keeps of the lazily loaded RuntimeMetrics. */
interface RuntimeMetricsHandle {
  stop(): void;
}

export const METER_NAME = 'ck-agent';
export const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.26.0';
export const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99, 1];

export class GraphPathMetrics implements GraphPathRecorder {
  readonly meterProvider: MeterProvider;
  readonly store: PathStore;
  /** The reader built from `reporting.metricReporterType` (undefined for NONE or on failure). */
  readonly reader: MetricReader | undefined;
  readonly meterVersion: string;
  private recording: boolean;
  private readonly quantiles: readonly number[];
  private snapshot: IntervalSnapshot = EMPTY_SNAPSHOT;
  /** Which snapshot each collection result was built from (the LOGGING exporter reads it). */
  private readonly snapshots = new WeakMap<ResourceMetrics, IntervalSnapshot>();
  private routeInvalid = 0;
  private spansDropped = 0;
  private hookErrors = 0;
  private exportFailures = 0;
  private spanExportFailures = 0;
  /** Whether span export is configured: only then is a `signal=traces` failure series reported. */
  private readonly spanExportConfigured: boolean;
  private shutdownPromise: Promise<void> | undefined;
  /** Unregisters the `'exit'` write of the LOGGING reporter's last interval (docs/lifecycle.md). */
  private removeExitWrite: (() => void) | undefined;
  /** Node runtime metrics, when `metrics.runtime_enabled` (runtime-metrics.ts, loaded lazily). */
  private readonly runtime: RuntimeMetricsHandle | undefined;

  constructor(config: CKConfig, resource: Resource, extraReaders: MetricReader[] = []) {
    this.meterVersion = packageVersion();
    this.spanExportConfigured = config.enabled && config.reporting.traceReporterType !== 'NONE';
    this.quantiles = validQuantiles(config.metrics.quantiles);
    this.store = new PathStore({
      maxPaths: config.metrics.maxPaths,
      minCalls: config.metrics.minCalls,
      quantiles: this.quantiles,
    });
    const active = config.enabled && config.telemetry.metricsEnabled;
    const serviceName = stringAttribute(resource.attributes['service.name']) ?? config.serviceName;
    const warnFirstFailure = firstExportFailureWarner('metrics', metricsDestination(config));
    this.reader = active
      ? createConfiguredReader({
          config,
          serviceName,
          snapshotFor: (metrics) => this.snapshots.get(metrics),
          onExportFailure: (error) => {
            this.exportFailures++;
            warnFirstFailure(error);
          },
        })
      : undefined;
    const readers = this.reader ? [this.reader, ...extraReaders] : [...extraReaders];
    readers.forEach((reader, i) => this.attach(reader, i === 0));
    // Without any reader nothing could ever read the store: recording would be pure cost.
    this.recording = active && readers.length > 0;
    this.meterProvider = new MeterProvider({ resource, readers });
    this.createSelfMetrics();
    if (active && config.metrics.runtimeEnabled) this.runtime = this.startRuntimeMetrics(readers.length > 0);
    if (this.reader && config.reporting.metricReporterType === 'LOGGING') {
      // process.exit() skips the async export: the current interval is written synchronously.
      this.removeExitWrite = onExitSync(() => {
        if (this.recording) writeIntervalSync(serviceName, this.store.collectInterval(), config.reporting.logFile);
      });
    }
  }

  /**
   * Runtime metrics ride on the same meter provider and reader; their module is loaded (and the
   * event-loop sampler started) only here, never when they are off. See docs/runtime-metrics.md.
   */
  private startRuntimeMetrics(hasReader: boolean): RuntimeMetricsHandle | undefined {
    if (!hasReader) {
      logger.warn('metrics.runtime_enabled is set but no metric reporter is configured (NONE); runtime metrics are off');
      return undefined;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only when runtime metrics are on
      const { RuntimeMetrics } = require('./runtime-metrics') as typeof import('./runtime-metrics');
      return new RuntimeMetrics(this.meterProvider.getMeter(METER_NAME, this.meterVersion, { schemaUrl: SCHEMA_URL }));
    } catch (err) {
      logger.warn(`runtime metrics could not be started, the agent runs on without them: ${describeError(err)}`);
      return undefined;
    }
  }

  record(pathKey: string, parentKey: string, element: GraphElement, durationSeconds: number, isError: boolean): void {
    if (this.recording) this.store.record(pathKey, parentKey, element, durationSeconds, isError);
  }

  countInvalidRoute(): void {
    this.routeInvalid++;
  }

  countDroppedSpan(): void {
    this.spansDropped++;
  }

  countHookError(): void {
    this.hookErrors++;
  }

  /** Counts `count` spans dropped at once (the span export queue, the LOGGING exporter backlog). */
  countDroppedSpans(count: number): void {
    if (Number.isFinite(count) && count > 0) this.spansDropped += count;
  }

  /** Counts one failed span export (`ck.agent.export.failures{signal="traces"}`). */
  countSpanExportFailure(): void {
    this.spanExportFailures++;
  }

  /** The most recently closed interval. */
  get lastSnapshot(): IntervalSnapshot {
    return this.snapshot;
  }

  forceFlush(): Promise<void> {
    return this.meterProvider.forceFlush();
  }

  shutdown(): Promise<void> {
    if (!this.shutdownPromise) {
      // The final collection inside shutdown still sees what was recorded before this call.
      this.shutdownPromise = this.meterProvider.shutdown().finally(() => {
        this.removeExitWrite?.();
        this.runtime?.stop();
        this.recording = false;
        this.store.clear();
      });
    }
    return this.shutdownPromise;
  }

  /**
   * Hooks a reader's collect(): the clock reader closes an interval first; every reader gets the
   * ck.path.* data of the latest closed interval appended to its result.
   */
  private attach(reader: MetricReader, isClock: boolean): void {
    const original = reader.collect.bind(reader);
    // The Prometheus text format has no exponential histograms.
    const durationAs = isPrometheusReader(reader) ? 'explicit' : 'exponential';
    reader.collect = async (options?: MetricCollectOptions): Promise<CollectionResult> => {
      if (isClock) this.closeInterval();
      const snapshot = this.snapshot;
      const result = await original(options);
      try {
        this.append(reader, result.resourceMetrics, snapshot, durationAs);
      } catch (err) {
        logger.once('warn', 'ck-path-metrics-append', `graph path metrics could not be added to a collection: ${describeError(err)}`);
      }
      return result;
    };
  }

  private closeInterval(): void {
    try {
      this.snapshot = this.store.collectInterval();
    } catch (err) {
      logger.once('warn', 'ck-path-metrics-interval', `graph path metrics interval could not be closed: ${describeError(err)}`);
    }
  }

  private append(
    reader: MetricReader,
    resourceMetrics: ResourceMetrics,
    snapshot: IntervalSnapshot,
    durationAs: 'exponential' | 'explicit'
  ): void {
    this.snapshots.set(resourceMetrics, snapshot);
    if (snapshot.cumulative.length === 0) return;
    const metrics = buildPathMetricData(snapshot, {
      counterTemporality: reader.selectAggregationTemporality(InstrumentType.COUNTER),
      histogramTemporality: reader.selectAggregationTemporality(InstrumentType.HISTOGRAM),
      quantiles: this.quantiles,
      durationAs,
    });
    let scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === METER_NAME && s.scope.version === this.meterVersion);
    if (!scope) {
      scope = { scope: { name: METER_NAME, version: this.meterVersion, schemaUrl: SCHEMA_URL }, metrics: [] };
      resourceMetrics.scopeMetrics.push(scope);
    }
    scope.metrics.push(...metrics);
  }

  private createSelfMetrics(): void {
    const meter = this.meterProvider.getMeter(METER_NAME, this.meterVersion, { schemaUrl: SCHEMA_URL });
    const none: Attributes = {};
    meter
      .createObservableGauge('ck.agent.paths.active', { description: 'Graph path series held in memory', unit: '{series}' })
      .addCallback((result) => result.observe(this.store.activeSeries, none));
    const counters: Array<[string, string, string, () => number]> = [
      [
        'ck.agent.paths.overflow',
        'Spans folded into the overflow series (cardinality cap reached)',
        '{span}',
        () => this.store.overflowRecords,
      ],
      [
        'ck.agent.route.invalid',
        'Invalid ck-route values received (request treated as external entry)',
        '{request}',
        () => this.routeInvalid,
      ],
      [
        'ck.agent.spans.dropped',
        'Spans the agent had to drop (span export queue full, export backlog, ended after shutdown)',
        '{span}',
        () => this.spansDropped,
      ],
      ['ck.agent.hook.errors', 'CK hooks that threw and were skipped (the app call went on)', '{error}', () => this.hookErrors],
    ];
    for (const [name, description, unit, read] of counters) {
      meter.createObservableCounter(name, { description, unit }).addCallback((result) => result.observe(read(), none));
    }
    const metricsSignal: Attributes = { signal: 'metrics' };
    const tracesSignal: Attributes = { signal: 'traces' };
    meter
      .createObservableCounter('ck.agent.export.failures', { description: 'Failed or timed-out exports, by signal', unit: '{export}' })
      .addCallback((result) => {
        result.observe(this.exportFailures, metricsSignal);
        if (this.spanExportConfigured) result.observe(this.spanExportFailures, tracesSignal);
      });
  }
}

function validQuantiles(quantiles: readonly number[] | undefined): readonly number[] {
  const valid = (quantiles ?? []).filter((q) => typeof q === 'number' && q > 0 && q <= 1);
  return valid.length > 0 ? [...new Set(valid)].sort((a, b) => a - b) : DEFAULT_QUANTILES;
}

function stringAttribute(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
