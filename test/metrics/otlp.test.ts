/**
 * Graph path metrics over real OTLP exporters into the test receiver (gRPC and HTTP/protobuf),
 * including a collector that is down at first and comes back.
 */
import test from 'ava';
import { startOtlpReceiver, type ReceivedDataPoint } from '../../fixtures/otlp/receiver';
import { captureAgentLog } from '../../fixtures/agent-log';
import { GraphPathMetrics, packageVersion, SCHEMA_URL } from '../../src/metrics';
import { testConfig, testResource, httpEntry, dbExit, freePort } from './helpers';

const agentLog = captureAgentLog();

const KEY = '4f1c2a9be07d3318';
const ROOT = '0000000000000000';
const SERIES_KEYS = ['ck.path.key', 'ck.path.parent_key', 'ck.element.type', 'ck.element.name', 'ck.element.role'];

function byName(points: ReceivedDataPoint[], name: string): ReceivedDataPoint[] {
  return points.filter((p) => p.name === name);
}

function recordTraffic(metrics: GraphPathMetrics): void {
  for (let i = 1; i <= 50; i++) metrics.record(KEY, ROOT, httpEntry('GET /orders/:id', { 'peer.service': 'web' }), i / 1000, i === 50);
  for (let i = 0; i < 20; i++) metrics.record(KEY, ROOT, dbExit('SELECT orders'), 0.002, false);
}

test('OTLP/gRPC: names, units, attributes, scope and resource reach a real receiver', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const config = testConfig({
    reporting: { metricReporterType: 'OTLP', metricEndpoint: receiver.grpcUrl, metricHeaders: { 'x-ck-test': 'yes' } },
    metrics: { exportIntervalMs: 3_600_000 },
  });
  const metrics = new GraphPathMetrics(config, testResource());
  t.teardown(() => metrics.shutdown());
  recordTraffic(metrics);
  await metrics.forceFlush();
  const points = await receiver.waitFor((r) => (byName(r.metrics(), 'ck.path.calls').length >= 2 ? r.metrics() : undefined));

  t.is(receiver.metricRequests[0].transport, 'grpc');
  t.is(receiver.metricRequests[0].metadata['x-ck-test'], 'yes');

  const calls = byName(points, 'ck.path.calls');
  const http = calls.find((p) => p.attributes['ck.element.type'] === 'HTTP_SERVICE')!;
  t.like(http, { type: 'sum', isMonotonic: true, temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', value: 50 });
  t.deepEqual(http.attributes, {
    'peer.service': 'web',
    'ck.path.key': KEY,
    'ck.path.parent_key': ROOT,
    'ck.element.type': 'HTTP_SERVICE',
    'ck.element.name': 'GET /orders/:id',
    'ck.element.role': 'entry',
  });
  t.like(http.scope, { name: 'ck-agent', version: packageVersion(), schemaUrl: SCHEMA_URL });
  t.is(http.resource['service.name'], 'test');
  t.is(calls.find((p) => p.attributes['ck.element.type'] === 'DATABASE')!.attributes['db.system.name'], 'postgresql');

  const errors = byName(points, 'ck.path.errors');
  t.is(errors.find((p) => p.attributes['ck.element.type'] === 'HTTP_SERVICE')!.value, 1);

  const durations = byName(points, 'ck.path.duration');
  t.is(durations.length, 2);
  const duration = durations.find((p) => p.attributes['ck.element.type'] === 'HTTP_SERVICE')!;
  t.like(duration, { type: 'exponentialHistogram', unit: 's', count: 50, max: 0.05, min: 0.001 });
  t.true(Math.abs(duration.sum! - 1.275) < 1e-9);
  const buckets: string[] = duration.raw.positive.bucketCounts;
  t.is(buckets.reduce((a, c) => a + Number(c), 0) + Number(duration.raw.zeroCount), 50);

  const latency = byName(points, 'ck.path.latency').filter((p) => p.attributes['ck.element.type'] === 'HTTP_SERVICE');
  t.deepEqual(latency.map((p) => p.attributes['ck.quantile']).sort(), [0.5, 0.9, 0.95, 0.99, 1]);
  for (const p of latency) {
    t.is(p.type, 'gauge');
    t.is(p.unit, 's');
    for (const key of SERIES_KEYS) t.truthy(p.attributes[key], key);
  }
  const p50 = latency.find((p) => p.attributes['ck.quantile'] === 0.5)!.value!;
  t.true(Math.abs(p50 - 0.025) / 0.025 <= 0.01, `p50 ${p50}`);
  t.is(latency.find((p) => p.attributes['ck.quantile'] === 1)!.value, 0.05);

  const selfNames = new Set(points.filter((p) => p.name.startsWith('ck.agent.')).map((p) => p.name));
  t.deepEqual([...selfNames].sort(), [
    'ck.agent.export.failures',
    'ck.agent.hook.errors',
    'ck.agent.paths.active',
    'ck.agent.paths.overflow',
    'ck.agent.route.invalid',
    'ck.agent.spans.dropped',
  ]);
  t.is(byName(points, 'ck.agent.paths.active')[0].value, 2);
  t.deepEqual(
    byName(points, 'ck.agent.export.failures').map((p) => p.attributes),
    [{ signal: 'metrics' }],
    'no traces series while span export is off'
  );
});

test('OTLP_HTTP: /v1/metrics is appended to a bare endpoint; DELTA temporality gives per-interval counts', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const config = testConfig({
    reporting: { metricReporterType: 'OTLP_HTTP', metricEndpoint: receiver.httpUrl },
    metrics: { exportIntervalMs: 3_600_000, temporality: 'DELTA' },
  });
  const metrics = new GraphPathMetrics(config, testResource());
  t.teardown(() => metrics.shutdown());
  metrics.countInvalidRoute();
  metrics.countDroppedSpan();
  recordTraffic(metrics);
  await metrics.forceFlush();
  await receiver.waitFor((r) => byName(r.metrics(), 'ck.path.calls').length >= 2);
  t.is(receiver.metricRequests[0].transport, 'http');
  const first = byName(receiver.metrics(), 'ck.path.calls').find((p) => p.attributes['ck.element.type'] === 'HTTP_SERVICE')!;
  t.like(first, { temporality: 'AGGREGATION_TEMPORALITY_DELTA', value: 50 });
  t.is(byName(receiver.metrics(), 'ck.agent.route.invalid')[0].value, 1);
  t.is(byName(receiver.metrics(), 'ck.agent.spans.dropped')[0].value, 1);
  const duration = byName(receiver.metrics(), 'ck.path.duration')[0];
  t.is(duration.temporality, 'AGGREGATION_TEMPORALITY_DELTA');

  receiver.clear();
  for (let i = 0; i < 7; i++) metrics.record(KEY, ROOT, httpEntry('GET /orders/:id', { 'peer.service': 'web' }), 0.003, false);
  await metrics.forceFlush();
  const second = await receiver.waitFor((r) => byName(r.metrics(), 'ck.path.calls')[0]);
  t.is(byName(receiver.metrics(), 'ck.path.calls').length, 1, 'the idle DATABASE series is not exported');
  t.like(second, { value: 7, temporality: 'AGGREGATION_TEMPORALITY_DELTA' });
});

test('collector down: no unhandled rejection, the app keeps running, failures are counted, exports recover', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));

  const port = await freePort(); // nothing listens here yet
  const config = testConfig({
    reporting: { metricReporterType: 'OTLP', metricEndpoint: `http://127.0.0.1:${port}` },
    metrics: { exportIntervalMs: 300, exportTimeoutMs: 300 },
  });
  const metrics = new GraphPathMetrics(config, testResource());
  t.teardown(() => metrics.shutdown());

  // The "app": keeps serving requests (recording spans) throughout.
  let appTicks = 0;
  let route = 'GET /before';
  const app = setInterval(() => {
    appTicks++;
    metrics.record(KEY, ROOT, httpEntry(route), 0.001, false);
  }, 10);
  t.teardown(() => clearInterval(app));

  recordTraffic(metrics);
  await metrics.forceFlush(); // export fails; must resolve, not throw
  recordTraffic(metrics);
  await metrics.forceFlush();
  const ticksWhileDown = appTicks;
  t.true(ticksWhileDown > 0, 'the app kept running while exports failed');
  t.deepEqual(unhandled, []);

  // The collector comes up on the same port; the periodic reader carries on by itself.
  const receiver = await startOtlpReceiver({ port });
  t.teardown(() => receiver.stop());
  route = 'GET /after';
  const failures = await receiver.waitFor((r) => {
    const points = r.metrics();
    const after = byName(points, 'ck.path.calls').some((p) => p.attributes['ck.element.name'] === 'GET /after');
    const failed = byName(points, 'ck.agent.export.failures').find((p) => (p.value ?? 0) >= 1 && p.attributes.signal === 'metrics');
    return after && failed ? failed.value : undefined;
  }, 30_000);
  t.true(failures >= 2, `export failures counted: ${failures}`);
  t.true(appTicks > ticksWhileDown);
  t.deepEqual(unhandled, []);
  // The first failure is logged once, with the endpoint (docs/first-run.md); the others only counted.
  t.is(agentLog.matching('warn', new RegExp(`metric export to OTLP/gRPC http://127\\.0\\.0\\.1:${port} failed: `)).length, 1);
  t.is(agentLog.matching('warn', /metric export/).length, 1, agentLog.lines.join('\n'));
});
