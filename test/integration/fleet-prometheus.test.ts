/**
 * Fleet scale through a real Prometheus server: a gateway and three instances of one backend
 * service (fast, slow, bimodal latencies), each a process with ck-agent's PROMETHEUS reporter,
 * all scraped every second by Debian's prometheus. Checks that counts add up over instances, that
 * the fleet p99 PromQL computes from the summed buckets is within the documented bound of the exact
 * p99 (of the agent's span durations, and of the backends' own timing), that the path key does not
 * depend on the instance, that the README's PromQL runs, and that `ck-agent paths --prometheus`
 * shows the fleet. Bound and method: docs/fleet-percentiles.md.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { drive, exactQuantile, pickMetricsPorts, startFleet, type Fleet } from '../../fixtures/fleet/fleet';
import { prometheusMissing, startPrometheus, type PrometheusServer } from '../../fixtures/fleet/prometheus';
import { PROMETHEUS_BOUNDARIES } from '../../src/metrics/path-metric-data';

const BIN = path.join(__dirname, '../../build/src/cli/bin.js');
/** docs/fleet-percentiles.md: 2^(1/8) - 1 (bucket width) plus 0.4 % (HDR resolution). */
const BUCKET_BOUND = Math.pow(2, 1 / 8) * 1.004 - 1;
/** rate() extrapolates each instance by its own factor (docs): allowed on top at p99. */
const RATE_ALLOWANCE = 0.02;
const WARMUP = 9;
const REQUESTS = 1500;

/** The PromQL of docs/fleet-percentiles.md, run as written. */
const PARENT_JOIN = `sum by (ck_path_key, ck_path_parent_key, ck_element_name) (rate(ck_path_calls_total{ck_element_role="entry"}[5m]))
  * on (ck_path_parent_key) group_left (parent_element)
  max by (ck_path_parent_key, parent_element) (
    label_replace(label_replace(ck_path_calls_total{ck_element_role="entry"},
      "ck_path_parent_key", "$1", "ck_path_key", "(.*)"),
      "parent_element", "$1", "ck_element_name", "(.*)") * 0 + 1)`;
const ERROR_RATE = `sum by (ck_path_key, ck_element_type, ck_element_name) (rate(ck_path_errors_total[5m]))
  / sum by (ck_path_key, ck_element_type, ck_element_name) (rate(ck_path_calls_total[5m]))`;

const missing = prometheusMissing();
if (missing) console.log(`[fleet-prometheus] skipping: ${missing}`);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    );
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const num = (s: { value: [number, string] }): number => Number(s.value[1]);

(missing ? test.skip : test)(
  'fleet: calls add up, the merged p99 is within the bucket bound, one path key across instances, the CLI reads it',
  async (t) => {
    let fleet: Fleet | undefined;
    let prom: PrometheusServer | undefined;
    t.teardown(async () => {
      await prom?.stop();
      await fleet?.close();
    });
    const t0 = Date.now();
    const phase = (name: string) => t.log(`${name} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Prometheus starts alongside the processes (it takes a few seconds to begin scraping).
    const ports = await pickMetricsPorts();
    const [startedFleet, startedProm] = await Promise.allSettled([
      startFleet({ reporter: 'PROMETHEUS', metricsPorts: ports }),
      startPrometheus(
        ports.map((port) => `127.0.0.1:${port}`),
        '1s'
      ),
    ]);
    if (startedFleet.status === 'fulfilled') fleet = startedFleet.value;
    if (startedProm.status === 'fulfilled') prom = startedProm.value;
    if (startedFleet.status === 'rejected') throw startedFleet.reason;
    if (startedProm.status === 'rejected') throw startedProm.reason;
    phase('fleet and prometheus up');
    const f = startedFleet.value;
    const p = startedProm.value;
    const sent = (n: number) => `sum(ck_path_calls_total{ck_element_role="entry", ck_element_name="GET /items/:id"}) == ${n}`;

    // A few requests first so every series exists before the measured traffic (rate() then sees its
    // start: docs/fleet-percentiles.md), then the traffic, then wait until a scrape has all of it.
    const warm = await drive((i) => `${f.gateway.url}/api/items/${i}`, WARMUP, 3);
    t.true(warm.every((s) => s === 200));
    await until('the warm-up in Prometheus', async () => ((await p.query(`count(${sent(WARMUP)})`)).length > 0 ? true : undefined));
    phase('warm-up scraped');
    const statuses = await drive((i) => `${f.gateway.url}/api/items/${1000 + i}`, REQUESTS, 16);
    phase('traffic sent');
    t.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'every request answered'
    );
    const total = WARMUP + REQUESTS;
    await until('the traffic in Prometheus', async () => ((await p.query(sent(total))).length > 0 ? true : undefined), 30_000);
    await until('the gateway in Prometheus', async () =>
      (await p.query(`sum(ck_path_calls_total{ck_element_name="GET /api/items/:id"}) == ${total}`)).length > 0 ? true : undefined
    );

    phase('traffic scraped');
    // Calls summed over instances equal the requests sent, per path (entry and exit series).
    const calls = await p.query('sum by (ck_path_key, ck_element_type, ck_element_name) (ck_path_calls_total)');
    const byName = new Map(calls.map((s) => [`${s.metric.ck_element_type} ${s.metric.ck_element_name}`, s]));
    t.is(num(byName.get('HTTP_SERVICE GET /api/items/:id')!), total);
    t.is(num(byName.get('HTTP_SERVICE GET /items/:id')!), total);
    // The gateway's client element names its peer (host:port), here one per instance; in a cluster
    // behind one service name it would be one series.
    const clients = calls.filter((s) => s.metric.ck_element_type === 'HTTP_CLIENT');
    t.is(clients.length, 3);
    t.is(
      clients.reduce((n, s) => n + num(s), 0),
      total,
      'the gateway recorded every call it made'
    );
    const client = clients[0];
    const perInstance = await p.query('sum by (instance) (ck_path_calls_total{ck_element_name="GET /items/:id"})');
    t.deepEqual(perInstance.map(num).sort(), [total / 3, total / 3, total / 3], 'round robin over three instances');

    // One path key for the backend entry on every instance, and its parent is the gateway's key.
    const keys = await p.query('count by (ck_path_key, ck_path_parent_key) (ck_path_calls_total{ck_element_name="GET /items/:id"})');
    t.is(keys.length, 1, JSON.stringify(keys));
    t.is(num(keys[0]), 3, 'reported by all three instances');
    const gatewayKey = byName.get('HTTP_SERVICE GET /api/items/:id')!.metric.ck_path_key;
    t.is(keys[0].metric.ck_path_parent_key, gatewayKey);
    t.is(client.metric.ck_path_key, gatewayKey, 'the gateway call is recorded under its own key');

    // The parent -> child join of the README (docs/fleet-percentiles.md): each entry with its
    // caller's element name, across instances.
    const joined = await p.query(PARENT_JOIN);
    t.deepEqual(
      joined.map((s) => [s.metric.ck_element_name, s.metric.parent_element]),
      [['GET /items/:id', 'GET /api/items/:id']]
    );
    // Error rate per path (no errors here: every request answered 200).
    const errorRate = await p.query(ERROR_RATE);
    t.true(errorRate.length >= 2 && errorRate.every((s) => num(s) === 0), JSON.stringify(errorRate));

    // Every instance exports every bound (summing by le needs the same bounds everywhere).
    const bounds = await p.query('count by (instance) (ck_path_duration_bucket{ck_element_name="GET /items/:id"})');
    t.deepEqual(bounds.map(num), [PROMETHEUS_BOUNDARIES.length + 1, PROMETHEUS_BOUNDARIES.length + 1, PROMETHEUS_BOUNDARIES.length + 1]);

    // The viewer reads the same fleet from the Prometheus HTTP API.
    const json = await cli(['paths', '--prometheus', p.url, '--window', '5m', '--json']);
    t.is(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as {
      services: Array<{ name: string; instances: number | null }>;
      paths: Array<{
        service: string;
        element: { name: string };
        calls: number;
        p99: number;
        percentiles: string;
        children: Array<{ kind: string; service: string; calls: number; p99: number; parentKey: string; instances: number }>;
      }>;
    };
    t.deepEqual(
      doc.services.map((s) => [s.name, s.instances]),
      [
        ['fleet-backend', 3],
        ['fleet-gateway', 1],
      ]
    );
    // Prometheus's own scrapes are requests too: each process also has a `GET /metrics` path.
    const root = doc.paths.find((r) => r.service === 'fleet-gateway' && r.element.name === 'GET /api/items/:id')!;
    t.like(root, { service: 'fleet-gateway', calls: total, percentiles: 'prometheus' });
    const backend = root.children.find((c) => c.kind === 'entry')!;
    t.like(backend, { service: 'fleet-backend', calls: total, parentKey: gatewayKey, instances: 3 });
    const [promP99] = await p.query(
      'histogram_quantile(0.99, sum by (le, ck_path_key, ck_element_name) (rate(ck_path_duration_bucket{ck_element_name="GET /items/:id"}[5m])))'
    );
    t.true(Math.abs(backend.p99 - num(promP99)) / num(promP99) < 0.02, `CLI p99 ${backend.p99} vs PromQL ${num(promP99)}`);
    const text = await cli(['paths', '--prometheus', p.url, '--window', '5m']);
    t.is(text.code, 0, text.stderr);
    t.regex(text.stdout, /services: fleet-backend \(3 instances\), fleet-gateway \(1 instance\)/);
    t.regex(text.stdout, new RegExp(`^└─ fleet-backend {2}GET /items/:id +calls ${total} `, 'm'));
    // The fleet p50/p99 (the PromQL over rate(), and over the cumulative buckets), queried
    // while the targets are up; then the exact values: the backends' own timings, and the agent's
    // span durations (what the histograms were built from; flushed when the processes stop).
    const fleetQuantiles = new Map<number, { rate: number; cumulative: number }>();
    for (const q of [0.5, 0.99]) {
      const [viaRate] = await p.query(
        `histogram_quantile(${q}, sum by (le, ck_path_key, ck_element_name) (rate(ck_path_duration_bucket{ck_element_name="GET /items/:id"}[5m])))`
      );
      const [cumulative] = await p.query(
        `histogram_quantile(${q}, sum by (le, ck_path_key, ck_element_name) (ck_path_duration_bucket{ck_element_name="GET /items/:id"}))`
      );
      fleetQuantiles.set(q, { rate: num(viaRate), cumulative: num(cumulative) });
    }
    const latencies = (await f.latencies()).flat();
    await f.stop();
    const spans = f.spanDurations();
    t.is(latencies.length, total);
    t.is(spans.length, total);
    for (const q of [0.5, 0.99]) {
      const { rate, cumulative } = fleetQuantiles.get(q)!;
      const exactSpan = exactQuantile(spans, q);
      const exactApp = exactQuantile(latencies, q);
      const pct = (v: number, exact: number) => `${(((v - exact) / exact) * 100).toFixed(2)} %`;
      const line =
        `p${q * 100}: exact ${(exactSpan * 1000).toFixed(2)} ms (spans) / ${(exactApp * 1000).toFixed(2)} ms (backends' own timing); ` +
        `histogram_quantile over rate() ${(rate * 1000).toFixed(2)} ms (${pct(rate, exactSpan)} / ${pct(rate, exactApp)}), ` +
        `over the cumulative buckets ${(cumulative * 1000).toFixed(2)} ms (${pct(cumulative, exactSpan)} / ${pct(cumulative, exactApp)})`;
      t.log(line);
      // Against what the agent measured: the bucket bound, nothing else.
      t.true(Math.abs(cumulative - exactSpan) / exactSpan <= BUCKET_BOUND, line);
      // rate() shifts the instances' weights a little (docs/fleet-percentiles.md): harmless inside a
      // dense mode (this p99), not in the sparse gap where this fleet's p50 falls.
      if (q === 0.99) t.true(Math.abs(rate - exactSpan) / exactSpan <= BUCKET_BOUND + RATE_ALLOWANCE, line);
      // Against the backends' own timing: the same bound plus how far the two timings are apart.
      const apart = Math.abs(exactSpan - exactApp) / exactApp;
      t.true(Math.abs(cumulative - exactApp) / exactApp <= BUCKET_BOUND + apart + 1e-9, line);
    }
    t.log(`documented bound: ${(BUCKET_BOUND * 100).toFixed(2)} %`);
  }
);

(missing ? test.skip : test)('--prometheus: an unreachable server or one without ck_path_* series is one message and exit 1', async (t) => {
  const empty = await startPrometheus(['127.0.0.1:9'], '1s');
  t.teardown(() => empty.stop());
  const none = await cli(['paths', '--prometheus', empty.url]);
  t.is(none.code, 1);
  t.deepEqual(none.stderr.trim().split('\n'), [
    `${empty.url}: no ck_path_* series: does this Prometheus scrape ck-agents (metric_reporter_type PROMETHEUS) that have recorded requests?`,
  ]);
  const port = new URL(empty.url).port;
  await empty.stop();
  const down = await cli(['paths', '--prometheus', `http://127.0.0.1:${port}`]);
  t.is(down.code, 1);
  t.is(down.stderr.trim().split('\n').length, 1, down.stderr);
  t.regex(down.stderr, /cannot query http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
});
