import test from 'ava';
import * as http from 'node:http';
import * as net from 'node:net';
import { GraphPathMetrics } from '../../src/metrics';
import { PROMETHEUS_BOUNDARIES } from '../../src/metrics/path-metric-data';
import { logger } from '../../src/logger';
import { testConfig, testResource, httpEntry, dbExit, freePort } from './helpers';

const KEY = '4f1c2a9be07d3318';
const ROOT = '0000000000000000';

function get(port: number, pathname = '/metrics'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** The exporter starts listening asynchronously: retry connection errors for a while. */
async function scrape(port: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await get(port);
      if (res.status === 200) return res.body;
      throw new Error(`status ${res.status}`);
    } catch (err) {
      if (attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

test('PROMETHEUS: a scrape serves ck_path_* series with labels and the self-metrics', async (t) => {
  const port = await freePort();
  const config = testConfig({
    reporting: { metricReporterType: 'PROMETHEUS' },
    metrics: { prometheusHost: '127.0.0.1', prometheusPort: port },
  });
  const metrics = new GraphPathMetrics(config, testResource());
  t.teardown(() => metrics.shutdown());
  for (let i = 1; i <= 10; i++) metrics.record(KEY, ROOT, httpEntry('GET /orders/:id'), i / 100, i === 10);
  metrics.record(KEY, ROOT, dbExit('SELECT orders'), 0.002, false);

  const samples = parse(await scrape(port));
  const calls = samples.filter((s) => s.name === 'ck_path_calls_total');
  t.is(calls.length, 2);
  const httpCalls = calls.find((s) => s.labels.ck_element_type === 'HTTP_SERVICE')!;
  t.like(httpCalls, {
    value: 10,
    labels: {
      ck_path_key: KEY,
      ck_path_parent_key: ROOT,
      ck_element_type: 'HTTP_SERVICE',
      ck_element_name: 'GET /orders/:id',
      ck_element_role: 'entry',
    },
  });
  t.is(calls.find((s) => s.labels.ck_element_type === 'DATABASE')!.labels.db_system_name, 'postgresql');
  t.is(samples.find((s) => s.name === 'ck_path_errors_total' && s.labels.ck_element_type === 'HTTP_SERVICE')!.value, 1);
  const latency = samples.filter((s) => s.name === 'ck_path_latency' && s.labels.ck_element_type === 'HTTP_SERVICE');
  t.deepEqual(latency.map((s) => s.labels.ck_quantile).sort(), ['0.5', '0.9', '0.95', '0.99', '1']);
  t.is(latency.find((s) => s.labels.ck_quantile === '1')!.value, 0.1);
  t.true(Math.abs(latency.find((s) => s.labels.ck_quantile === '0.5')!.value - 0.05) / 0.05 <= 0.01);
  const isHttp = (s: Sample) => s.labels.ck_element_type === 'HTTP_SERVICE';
  t.is(samples.find((s) => s.name === 'ck_path_duration_count' && isHttp(s))!.value, 10);
  t.true(Math.abs(samples.find((s) => s.name === 'ck_path_duration_sum' && isHttp(s))!.value - 0.55) < 1e-9);
  const buckets = samples.filter((s) => s.name === 'ck_path_duration_bucket' && isHttp(s));
  t.is(buckets.length, PROMETHEUS_BOUNDARIES.length + 1, 'every bound and +Inf');
  t.is(buckets.find((s) => s.labels.le === '+Inf')!.value, 10);
  // The first bound at or above 50 ms (52.56 ms) holds 10..50 ms; the one above 100 ms all ten.
  const at = (seconds: number) => buckets.find((s) => s.labels.le !== '+Inf' && Number(s.labels.le) >= seconds)!;
  t.is(at(0.05).labels.le, '0.05256');
  t.is(at(0.05).value, 5, '10..50 ms are <= 52.56 ms');
  t.is(at(0.048).value, 4, '... and 10..40 ms are <= 48.23 ms');
  t.is(at(0.1).value, 10);
  t.is(samples.find((s) => s.name === 'ck_agent_paths_active')!.value, 2);
  t.truthy(samples.find((s) => s.name === 'ck_agent_export_failures_total'));

  // A second scrape: counters are cumulative and still there; no new calls, so no latency rows.
  metrics.record(KEY, ROOT, httpEntry('GET /orders/:id'), 0.01, false);
  const again = parse(await scrape(port));
  t.is(again.find((s) => s.name === 'ck_path_calls_total' && s.labels.ck_element_type === 'HTTP_SERVICE')!.value, 11);
  t.is(again.find((s) => s.name === 'ck_path_calls_total' && s.labels.ck_element_type === 'DATABASE')!.value, 1);
  t.deepEqual(
    again.filter((s) => s.name === 'ck_path_latency').map((s) => s.labels.ck_element_type),
    ['HTTP_SERVICE', 'HTTP_SERVICE', 'HTTP_SERVICE', 'HTTP_SERVICE', 'HTTP_SERVICE']
  );
});

test('PROMETHEUS: a taken port gives one clear warning; the app keeps running', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });
  const warnings: string[] = [];
  logger.setSink((level, message) => {
    if (level === 'warn') warnings.push(message);
  });

  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as net.AddressInfo).port;

  const config = testConfig({
    reporting: { metricReporterType: 'PROMETHEUS' },
    metrics: { prometheusHost: '127.0.0.1', prometheusPort: port },
  });
  const metrics = new GraphPathMetrics(config, testResource());
  for (let i = 0; i < 50 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.notThrows(() => metrics.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false));
  await t.notThrowsAsync(() => metrics.forceFlush());
  await t.notThrowsAsync(() => metrics.shutdown());
  const relevant = warnings.filter((w) => w.includes('Prometheus'));
  t.is(relevant.length, 1, warnings.join('\n'));
  t.regex(relevant[0], new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
  t.deepEqual(unhandled, []);
});
