import test from 'ava';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  InstrumentType,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { GraphPathMetrics, httpMetricsUrl, temporalityFor, packageVersion, SCHEMA_URL } from '../../src/metrics';
import { testConfig, testResource, httpEntry } from './helpers';

const KEY = '4f1c2a9be07d3318';
const ROOT = '0000000000000000';

function inMemory(temporality = AggregationTemporality.CUMULATIVE) {
  const exporter = new InMemoryMetricExporter(temporality);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  return { exporter, reader };
}

function lastMetrics(exporter: InMemoryMetricExporter): Map<string, MetricData> {
  const all = exporter.getMetrics();
  const last = all[all.length - 1];
  const out = new Map<string, MetricData>();
  for (const scope of last?.scopeMetrics ?? []) for (const m of scope.metrics) out.set(m.descriptor.name, m);
  return out;
}

test('NONE: extra readers still get ck.path.* under the ck-agent scope; the meter provider is not the global one', async (t) => {
  const { exporter, reader } = inMemory();
  const metrics = new GraphPathMetrics(testConfig({ reporting: { metricReporterType: 'NONE' } }), testResource(), [reader]);
  t.teardown(() => metrics.shutdown());
  t.is(metrics.reader, undefined);
  metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.002, false);
  metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.004, true);
  await metrics.forceFlush();
  const rm = exporter.getMetrics()[0];
  const scope = rm.scopeMetrics.find((s) => s.scope.name === 'ck-agent')!;
  t.like(scope.scope, { version: packageVersion(), schemaUrl: SCHEMA_URL });
  const byName = lastMetrics(exporter);
  const calls = byName.get('ck.path.calls')!;
  t.is(calls.dataPointType, DataPointType.SUM);
  t.is(calls.dataPoints[0].value, 2);
  t.is(byName.get('ck.path.errors')!.dataPoints[0].value, 1);
  const duration = byName.get('ck.path.duration')!;
  t.is(duration.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
  t.is(duration.descriptor.unit, 's');
  t.is(byName.get('ck.path.latency')!.dataPoints.length, 5);
  t.is(rm.resource.attributes['service.name'], 'test');
});

test('the interval is closed once per collection: every instrument reports the same snapshot', async (t) => {
  const { exporter, reader } = inMemory(AggregationTemporality.DELTA);
  const metrics = new GraphPathMetrics(testConfig({ reporting: { metricReporterType: 'NONE' } }), testResource(), [reader]);
  t.teardown(() => metrics.shutdown());
  for (let i = 0; i < 9; i++) metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.001 * (i + 1), i < 3);
  await metrics.forceFlush();
  const m = lastMetrics(exporter);
  const duration = m.get('ck.path.duration')!.dataPoints[0].value as { count: number; max: number };
  t.is(m.get('ck.path.calls')!.dataPoints[0].value, 9);
  t.is(m.get('ck.path.errors')!.dataPoints[0].value, 3);
  t.is(duration.count, 9);
  t.is(duration.max, 0.001 * 9);
  t.is(m.get('ck.path.latency')!.dataPoints.find((p) => p.attributes['ck.quantile'] === 1)!.value, 0.001 * 9);
  t.is(metrics.lastSnapshot.rows[0].calls, 9);
});

test('shutdown flushes what was recorded, then record() is a no-op', async (t) => {
  const { exporter, reader } = inMemory();
  const metrics = new GraphPathMetrics(testConfig({ reporting: { metricReporterType: 'NONE' } }), testResource(), [reader]);
  metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false);
  await metrics.shutdown();
  t.is(lastMetrics(exporter).get('ck.path.calls')!.dataPoints[0].value, 1);
  metrics.record(KEY, ROOT, httpEntry('GET /b'), 0.001, false);
  t.is(metrics.store.activeSeries, 0);
  await t.notThrowsAsync(() => metrics.shutdown());
});

test('no reader at all: record() does nothing', (t) => {
  const metrics = new GraphPathMetrics(testConfig({ reporting: { metricReporterType: 'NONE' } }), testResource());
  metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false);
  t.is(metrics.store.activeSeries, 0);
  return metrics.shutdown();
});

test('OTLP_HTTP URL: /v1/metrics appended to a bare endpoint, default gRPC endpoint maps to :4318', (t) => {
  t.is(httpMetricsUrl('http://localhost:4317'), 'http://localhost:4318/v1/metrics');
  t.is(httpMetricsUrl(''), 'http://localhost:4318/v1/metrics');
  t.is(httpMetricsUrl('http://collector:4318'), 'http://collector:4318/v1/metrics');
  t.is(httpMetricsUrl('https://collector:4318/'), 'https://collector:4318/v1/metrics');
  t.is(httpMetricsUrl('http://collector:9999/custom/metrics'), 'http://collector:9999/custom/metrics');
});

test('temporality preference follows the OTel spec mapping', (t) => {
  t.is(temporalityFor('CUMULATIVE', InstrumentType.COUNTER), AggregationTemporality.CUMULATIVE);
  t.is(temporalityFor('DELTA', InstrumentType.COUNTER), AggregationTemporality.DELTA);
  t.is(temporalityFor('DELTA', InstrumentType.HISTOGRAM), AggregationTemporality.DELTA);
  t.is(temporalityFor('DELTA', InstrumentType.UP_DOWN_COUNTER), AggregationTemporality.CUMULATIVE);
  t.is(temporalityFor('LOWMEMORY', InstrumentType.COUNTER), AggregationTemporality.DELTA);
  t.is(temporalityFor('LOWMEMORY', InstrumentType.OBSERVABLE_COUNTER), AggregationTemporality.CUMULATIVE);
});
