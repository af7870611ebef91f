/**
 * `--from http://host:9464/metrics`: the CLI reads real ck-agent Prometheus endpoints (the
 * agent's GraphPathMetrics with the PROMETHEUS reader, the exporter package serving the text).
 */
import test from 'ava';
import * as http from 'node:http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { GraphPathMetrics } from '../../src/metrics';
import { PROMETHEUS_BOUNDARIES } from '../../src/metrics/path-metric-data';
import { collectSeries } from '../../src/cli/paths';
import { Problems, formatProblem } from '../../src/cli/problems';
import { parseSample } from '../../src/cli/read-scrape';
import { buildForest } from '../../src/cli/tree';
import { testConfig, httpEntry, freePort, exactPercentile } from '../metrics/helpers';

const ROOT = '0000000000000000';
const GATEWAY = '1111111111111111';
const ORDERS = '2222222222222222';

async function endpoint(service: string, instance: string): Promise<{ url: string; metrics: GraphPathMetrics }> {
  const port = await freePort();
  const config = testConfig({
    serviceName: service,
    reporting: { metricReporterType: 'PROMETHEUS' },
    metrics: { prometheusHost: '127.0.0.1', prometheusPort: port },
  });
  const metrics = new GraphPathMetrics(config, resourceFromAttributes({ 'service.name': service, 'service.instance.id': instance }));
  const url = `http://127.0.0.1:${port}/metrics`;
  // The exporter listens asynchronously.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      http.get(url, (res) => (res.resume(), resolve(true))).on('error', () => resolve(false))
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 30));
  }
  return { url, metrics };
}

test('scrapes of several instances: calls summed, instances counted, p50/p99 from the summed buckets, joined by parent key', async (t) => {
  const gateway = await endpoint('gateway', 'gw-1');
  const orders1 = await endpoint('orders', 'orders-1');
  const orders2 = await endpoint('orders', 'orders-2');
  t.teardown(() => Promise.all([gateway, orders1, orders2].map((e) => e.metrics.shutdown())).then(() => undefined));
  const durations: number[] = [];
  for (let i = 1; i <= 100; i++) {
    gateway.metrics.record(GATEWAY, ROOT, httpEntry('GET /checkout'), 0.05 + i / 1000, false);
    const d = i <= 60 ? 0.002 + i / 10000 : 0.03 + i / 2000; // two instances, different shapes
    durations.push(d);
    (i % 2 === 0 ? orders1 : orders2).metrics.record(ORDERS, GATEWAY, httpEntry('POST /orders'), d, i % 10 === 0);
  }
  const problems = new Problems();
  const { series, sources } = await collectSeries({ from: [gateway.url, orders1.url, orders2.url] }, problems);
  t.deepEqual(problems.list, []);
  t.deepEqual(
    sources.map((s) => [s.kind, s.rows]),
    [
      ['scrape', 1],
      ['scrape', 1],
      ['scrape', 1],
    ]
  );
  const orders = series.find((s) => s.service === 'orders')!;
  t.like(orders, {
    calls: 100,
    errors: 10,
    instances: 2,
    percentiles: 'histogram',
    parentKey: GATEWAY,
    element: { name: 'POST /orders', role: 'entry' },
  });
  const sorted = [...durations].sort((a, b) => a - b);
  // histogram_quantile's answer lies in the explicit bucket that holds the exact value.
  for (const [q, value] of [
    [0.5, orders.p50],
    [0.99, orders.p99],
  ] as const) {
    const exact = exactPercentile(sorted, q);
    const upper = PROMETHEUS_BOUNDARIES.findIndex((b) => b >= exact);
    const lower = upper > 0 ? PROMETHEUS_BOUNDARIES[upper - 1] : 0;
    t.true(
      value! > lower && value! <= PROMETHEUS_BOUNDARIES[upper],
      `p${q * 100} ${value} vs exact ${exact} in (${lower}, ${PROMETHEUS_BOUNDARIES[upper]}]`
    );
  }
  const forest = buildForest(series);
  t.deepEqual(
    forest.roots.map((r) => [r.service, r.calls, r.children.map((c) => c.service)]),
    [['gateway', 100, ['orders']]]
  );
  t.deepEqual(
    forest.services.map((s) => [s.name, s.instances]),
    [
      ['gateway', 1],
      ['orders', 2],
    ]
  );
});

test('unreachable, non-200 and non-ck endpoints are each one problem line', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') res.end('# HELP up\nup 1\nprocess_cpu_seconds_total{a="b"} 3\n');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const closed = await freePort();
  const problems = new Problems();
  const { series } = await collectSeries(
    { from: [`http://127.0.0.1:${port}/metrics`, `http://127.0.0.1:${port}/other`, `http://127.0.0.1:${closed}/metrics`] },
    problems
  );
  t.deepEqual(series, []);
  const lines = problems.list.map(formatProblem);
  t.is(lines.length, 3, lines.join('\n'));
  t.regex(lines[0], /\/metrics: no ck_path_\* series/);
  t.regex(lines[1], /\/other: cannot fetch: HTTP 404/);
  t.regex(lines[2], /cannot fetch: .*ECONNREFUSED/);
});

test('parseSample reads labels with escapes, +Inf, timestamps; refuses broken lines', (t) => {
  t.deepEqual(parseSample('ck_path_duration_bucket{ck_element_name="GET \\"x\\"\\\\y",le="+Inf"} 12 1700000000000'), {
    name: 'ck_path_duration_bucket',
    labels: { ck_element_name: 'GET "x"\\y', le: '+Inf' },
    value: 12,
  });
  t.deepEqual(parseSample('up 1'), { name: 'up', labels: {}, value: 1 });
  t.like(parseSample('x{a="1",} +Inf'), { labels: { a: '1' }, value: Infinity });
  t.is(parseSample('x{a="1" 3'), undefined);
  t.is(parseSample('x{a=1} 3'), undefined);
  t.is(parseSample('x{a="1"} abc'), undefined);
  t.is(parseSample('{a="1"} 3'), undefined);
});
