/**
 * Child-process probe for memory.test.ts (needs --expose-gc, so it runs on its own):
 *   node --expose-gc --import tsx test/metrics/memory-probe.ts <series|cardinality|record-ns>
 * Prints one JSON object on stdout.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { GraphPathMetrics } from '../../src/metrics';
import { testConfig, testResource, rng, logNormal, httpEntry, dbExit } from './helpers';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

/** Keeps only the last export's ck.path.calls point count, so exported data does not stay alive. */
class CountingDiscardExporter implements PushMetricExporter {
  lastCallsPoints = -1;
  export(metrics: ResourceMetrics, cb: (r: { code: ExportResultCode }) => void): void {
    for (const scope of metrics.scopeMetrics) {
      for (const m of scope.metrics) if (m.descriptor.name === 'ck.path.calls') this.lastCallsPoints = m.dataPoints.length;
    }
    cb({ code: ExportResultCode.SUCCESS });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function heap(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function setup(maxPaths = 2000) {
  const exporter = new CountingDiscardExporter();
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const config = testConfig({ reporting: { metricReporterType: 'NONE' }, metrics: { maxPaths } });
  const metrics = new GraphPathMetrics(config, testResource(), [reader]);
  return { metrics, exporter };
}

const key = (i: number) => i.toString(16).padStart(16, '0');

async function seriesMemory(): Promise<object> {
  const random = rng(1);
  const { metrics } = setup();
  const SERIES = 2000;
  const before = heap();
  // Two intervals of realistic traffic: entry and exit elements, latencies from 100 µs to seconds.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < SERIES; i++) {
      const element = i % 2 === 0 ? httpEntry(`GET /route${i}/:id`) : dbExit(`SELECT table${i}`);
      const median = 0.0002 * Math.pow(1.004, i); // 200 µs .. ~600 ms across series
      for (let n = 0; n < 500; n++) metrics.record(key(i), key(i >> 3), element, logNormal(random, median, 1), n % 50 === 0);
    }
    await metrics.forceFlush();
  }
  const after = heap();
  const result = { series: metrics.store.activeSeries, bytesPerSeries: Math.round((after - before) / SERIES) };
  await metrics.shutdown();
  return result;
}

async function cardinality(): Promise<object> {
  const random = rng(2);
  const { metrics, exporter } = setup(2000);
  const before = heap();
  let i = 0;
  for (; i < 2000; i++) metrics.record(key(i), key(0), httpEntry('GET /x'), logNormal(random, 0.01, 1), false);
  const atCap = heap();
  for (; i < 100_000; i++) metrics.record(key(i), key(0), httpEntry('GET /x'), logNormal(random, 0.01, 1), false);
  const afterAll = heap();
  await metrics.forceFlush();
  const result = {
    active: metrics.store.activeSeries,
    overflowRecords: metrics.store.overflowRecords,
    exportedSeries: exporter.lastCallsPoints,
    heapAtCap: atCap - before,
    growthPast98000Paths: afterAll - atCap,
  };
  await metrics.shutdown();
  return result;
}

function recordNs(): object {
  const { metrics } = setup();
  const elements = [httpEntry('GET /orders/:id'), dbExit('SELECT orders'), httpEntry('POST /orders')];
  const keys = [key(1), key(2), key(3)];
  const parent = key(0);
  const N = 2_000_000;
  for (let i = 0; i < 100_000; i++) metrics.record(keys[i % 3], parent, elements[i % 3], 0.001 + (i % 100) * 1e-4, false);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) metrics.record(keys[i % 3], parent, elements[i % 3], 0.001 + (i % 100) * 1e-4, (i & 63) === 0);
  const ns = Number(process.hrtime.bigint() - start) / N;
  return { nsPerRecord: Math.round(ns) };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const result = mode === 'series' ? await seriesMemory() : mode === 'cardinality' ? await cardinality() : recordNs();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n');
  process.exit(1);
});
