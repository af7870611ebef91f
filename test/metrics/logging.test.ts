import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GraphPathMetrics } from '../../src/metrics';
import { testConfig, testResource, httpEntry, dbExit } from './helpers';
import { makeTempDir } from '../../fixtures/temp-dir';

const KEY = '4f1c2a9be07d3318';
const ROOT = '0000000000000000';
const ROW_KEYS = [
  'type',
  'service',
  'pathKey',
  'parentKey',
  'element',
  'calls',
  'errors',
  'p50',
  'p90',
  'p95',
  'p99',
  'max',
  'intervalStart',
  'intervalEnd',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function tmpFile(): string {
  const dir = makeTempDir('ck-metrics-');
  return path.join(dir, 'metrics.log');
}

function readRows(file: string): any[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

function loggingMetrics(file: string, metrics: Record<string, unknown> = {}) {
  const config = testConfig({
    reporting: { metricReporterType: 'LOGGING', logFile: file },
    metrics: { exportIntervalMs: 3_600_000, ...metrics },
  });
  return new GraphPathMetrics(config, testResource());
}

test('LOGGING writes one JSON line per series in the documented key order, per-interval counts', async (t) => {
  const file = tmpFile();
  const metrics = loggingMetrics(file);
  const started = Date.now();
  for (let i = 1; i <= 100; i++) metrics.record(KEY, ROOT, httpEntry('GET /orders/:id'), i / 1000, i > 98); // 1..100 ms
  metrics.record(KEY, ROOT, dbExit('SELECT orders'), 0.0025, false);
  await metrics.forceFlush();

  const rows = readRows(file);
  t.is(rows.length, 2);
  for (const row of rows) {
    t.deepEqual(Object.keys(row), ROW_KEYS);
    t.deepEqual(Object.keys(row.element), ['type', 'name', 'role']);
    t.regex(row.intervalStart, ISO);
    t.regex(row.intervalEnd, ISO);
    t.true(Date.parse(row.intervalStart) >= started - 1000 && Date.parse(row.intervalEnd) >= Date.parse(row.intervalStart));
  }
  const http = rows.find((r) => r.element.type === 'HTTP_SERVICE');
  t.like(http, {
    type: 'ck.path',
    service: 'test',
    pathKey: KEY,
    parentKey: ROOT,
    element: { type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' },
    calls: 100,
    errors: 2,
    max: 0.1,
  });
  for (const [key, exact] of [
    ['p50', 0.05],
    ['p90', 0.09],
    ['p95', 0.095],
    ['p99', 0.099],
  ] as const) {
    t.true(Math.abs(http[key] - exact) / exact <= 0.01, `${key} ${http[key]} vs ${exact}`);
  }
  const db = rows.find((r) => r.element.type === 'DATABASE');
  t.like(db, { calls: 1, errors: 0, p50: 0.0025, max: 0.0025, element: { name: 'SELECT orders', role: 'exit' } });

  // Next interval: per-interval counts, appended to the same file.
  for (let i = 0; i < 3; i++) metrics.record(KEY, ROOT, httpEntry('GET /orders/:id'), 0.004, false);
  await metrics.forceFlush();
  const all = readRows(file);
  t.is(all.length, 3);
  t.like(all[2], { calls: 3, errors: 0, p50: 0.004, max: 0.004, intervalStart: http.intervalEnd });
  await metrics.shutdown();
});

test('LOGGING: minCalls keeps a quiet series out until it reaches the threshold', async (t) => {
  const file = tmpFile();
  const metrics = loggingMetrics(file, { minCalls: 3 });
  metrics.record(KEY, ROOT, httpEntry('GET /rare'), 0.001, false);
  metrics.record(KEY, ROOT, httpEntry('GET /rare'), 0.002, true);
  await metrics.forceFlush();
  t.deepEqual(readRows(file), []);
  metrics.record(KEY, ROOT, httpEntry('GET /rare'), 0.003, false);
  await metrics.forceFlush();
  const rows = readRows(file);
  t.is(rows.length, 1);
  t.like(rows[0], { calls: 3, errors: 1, max: 0.003 });
  await metrics.shutdown();
});

test('LOGGING: the overflow series has overflow identity fields', async (t) => {
  const file = tmpFile();
  const metrics = loggingMetrics(file, { maxPaths: 1 });
  metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false);
  metrics.record(KEY, ROOT, httpEntry('GET /b'), 0.001, false);
  metrics.record('0123456789abcdef', ROOT, httpEntry('GET /c'), 0.001, false);
  await metrics.forceFlush();
  const rows = readRows(file);
  t.is(rows.length, 2);
  t.like(
    rows.find((r) => r.pathKey === 'overflow'),
    { parentKey: 'overflow', element: { type: 'overflow', name: 'overflow', role: 'overflow' }, calls: 2 }
  );
  await metrics.shutdown();
});

test('telemetry.metricsEnabled=false makes record() a no-op', async (t) => {
  const file = tmpFile();
  const config = testConfig({
    reporting: { metricReporterType: 'LOGGING', logFile: file },
    telemetry: { metricsEnabled: false },
    metrics: { exportIntervalMs: 3_600_000 },
  });
  const metrics = new GraphPathMetrics(config, testResource());
  metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false);
  t.is(metrics.store.activeSeries, 0);
  await metrics.forceFlush();
  t.deepEqual(readRows(file), []);
  await metrics.shutdown();
});
