/**
 * Node runtime metrics (metrics.runtime_enabled): present with semantic-convention names, units
 * and attributes in LOGGING, Prometheus and OTLP output when enabled, absent when not; nothing is
 * loaded or started when disabled (checked in a fresh process).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { runProbe } from '../../fixtures/child-probe';
import { startOtlpReceiver } from '../../fixtures/otlp/receiver';
import { logger } from '../../src/logger';
import { GraphPathMetrics } from '../../src/metrics';
import { RUNTIME_METRIC_NAMES } from '../../src/metrics/runtime-metrics';
import { testConfig, testResource, httpEntry, freePort } from './helpers';

const KEY = '4f1c2a9be07d3318';
const ROOT = '0000000000000000';
const UNITS: Record<string, string> = {
  'nodejs.eventloop.delay.max': 's',
  'nodejs.eventloop.delay.p99': 's',
  'nodejs.eventloop.utilization': '1',
  'v8js.memory.heap.used': 'By',
  'v8js.memory.heap.space.size': 'By',
  'v8js.memory.heap.space.available_size': 'By',
  'v8js.gc.duration': 's',
  'process.cpu.time': 's',
  'process.cpu.utilization': '1',
  'process.memory.usage': 'By',
};

/** Gives every sampler something to see: a blocked event loop (~60 ms) and garbage for the GC. */
async function makeRuntimeActivity(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50)); // a few event-loop delay samples
  const until = Date.now() + 60;
  while (Date.now() < until) {
    // busy: the event loop is blocked, as a slow synchronous handler would block it
  }
  const garbage: number[][] = [];
  for (let i = 0; i < 200; i++) garbage.push(new Array(10_000).fill(i)); // ~16 MB of young objects: scavenges
  garbage.length = 0;
  forceGc(); // at least one collection whatever the heap sizing of this process
  // GC entries reach observers through a native immediate and then a JS immediate: let two check
  // phases pass (a timer alone can fire first when another test blocked the loop meanwhile).
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A real full garbage collection, without starting node with --expose-gc. */
function forceGc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function tmpFile(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-runtime-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'metrics.log');
}

function readLines(file: string): any[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

test('LOGGING: one ck.runtime line per data point, beside the ck.path rows', async (t) => {
  const file = tmpFile(t);
  const metrics = new GraphPathMetrics(
    testConfig({
      reporting: { metricReporterType: 'LOGGING', logFile: file },
      metrics: { exportIntervalMs: 3_600_000, runtimeEnabled: true },
    }),
    testResource()
  );
  t.teardown(() => metrics.shutdown());
  metrics.record(KEY, ROOT, httpEntry('GET /r'), 0.01, false);
  await makeRuntimeActivity();
  await metrics.forceFlush();

  const lines = readLines(file);
  t.is(lines.filter((l) => l.type === 'ck.path').length, 1, 'graph path rows are unchanged');
  const runtime = lines.filter((l) => l.type === 'ck.runtime');
  const names = new Set(runtime.map((l) => l.name));
  t.deepEqual([...names].sort(), [...RUNTIME_METRIC_NAMES].sort(), 'every runtime metric is written');
  for (const line of runtime) {
    t.deepEqual(Object.keys(line).slice(0, 5), ['type', 'service', 'name', 'unit', 'attributes']);
    t.is(line.service, 'test');
    if (UNITS[line.name]) t.is(line.unit, UNITS[line.name], line.name);
  }
  const max = runtime.find((l) => l.name === 'nodejs.eventloop.delay.max')!;
  t.true(max.value >= 0.03, `a 60 ms block shows in the max event-loop delay (${max.value} s)`);
  t.true(max.value < 10, 'in seconds, not nanoseconds');
  const oldSpace = runtime.find((l) => l.name === 'v8js.memory.heap.used' && l.attributes['v8js.heap.space.name'] === 'old_space');
  t.true(oldSpace.value > 0);
  const gc = runtime.filter((l) => l.name === 'v8js.gc.duration');
  t.true(gc.length > 0 && gc.every((l) => ['minor', 'major', 'incremental', 'weakcb'].includes(l.attributes['v8js.gc.type'])));
  t.true(gc.reduce((sum, l) => sum + l.count, 0) >= 1, 'the garbage triggered at least one collection');
  const cpu = runtime.filter((l) => l.name === 'process.cpu.time');
  t.deepEqual(cpu.map((l) => l.attributes['cpu.mode']).sort(), ['system', 'user']);
  const rss = runtime.find((l) => l.name === 'process.memory.usage')!;
  t.true(rss.value > 10 * 1024 * 1024, 'RSS in bytes');
  const utilization = runtime.filter((l) => l.name === 'process.cpu.utilization');
  t.true(
    utilization.every((l) => l.value >= 0 && l.value <= 1.5),
    'a fraction of the available CPUs'
  );
});

test('LOGGING: no ck.runtime line when runtime metrics are off', async (t) => {
  const file = tmpFile(t);
  const metrics = new GraphPathMetrics(
    testConfig({ reporting: { metricReporterType: 'LOGGING', logFile: file }, metrics: { exportIntervalMs: 3_600_000 } }),
    testResource()
  );
  t.teardown(() => metrics.shutdown());
  metrics.record(KEY, ROOT, httpEntry('GET /r'), 0.01, false);
  await makeRuntimeActivity();
  await metrics.forceFlush();
  const lines = readLines(file);
  t.is(lines.filter((l) => l.type === 'ck.path').length, 1);
  t.is(lines.filter((l) => l.type === 'ck.runtime').length, 0);
});

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const attempt = (n: number) =>
      http
        .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        })
        .on('error', (err) => (n > 100 ? reject(err) : setTimeout(() => attempt(n + 1), 50)));
    attempt(0);
  });
}

for (const enabled of [true, false]) {
  test(`PROMETHEUS: runtime series ${enabled ? 'served' : 'absent'} when ${enabled ? 'on' : 'off'}`, async (t) => {
    const port = await freePort();
    const metrics = new GraphPathMetrics(
      testConfig({
        reporting: { metricReporterType: 'PROMETHEUS' },
        metrics: { prometheusHost: '127.0.0.1', prometheusPort: port, runtimeEnabled: enabled },
      }),
      testResource()
    );
    t.teardown(() => metrics.shutdown());
    metrics.record(KEY, ROOT, httpEntry('GET /r'), 0.01, false);
    await makeRuntimeActivity();
    const body = await scrape(port);
    t.true(body.includes('ck_path_calls'), 'graph path metrics are served either way');
    const runtimeLines = body.split('\n').filter((l) => /^(nodejs_|v8js_|process_)/.test(l));
    if (!enabled) {
      t.deepEqual(runtimeLines, []);
      return;
    }
    const names = new Set(runtimeLines.map((l) => /^([a-z0-9_]+)/.exec(l)![1]));
    for (const expected of ['nodejs_eventloop_delay_p99', 'v8js_memory_heap_used', 'process_memory_usage', 'v8js_gc_duration_bucket']) {
      t.true(
        [...names].some((n) => n.startsWith(expected)),
        `${expected} in ${[...names].join(', ')}`
      );
    }
    t.true(runtimeLines.some((l) => l.startsWith('v8js_memory_heap_used') && l.includes('v8js_heap_space_name="old_space"')));
    t.true(runtimeLines.some((l) => l.startsWith('process_cpu_time') && l.includes('cpu_mode="user"')));
  });
}

for (const enabled of [true, false]) {
  test(`OTLP: runtime metrics ${enabled ? 'exported' : 'absent'} when ${enabled ? 'on' : 'off'}`, async (t) => {
    const receiver = await startOtlpReceiver();
    t.teardown(() => receiver.stop());
    const metrics = new GraphPathMetrics(
      testConfig({
        reporting: { metricReporterType: 'OTLP', metricEndpoint: receiver.grpcUrl },
        metrics: { exportIntervalMs: 3_600_000, runtimeEnabled: enabled },
      }),
      testResource()
    );
    t.teardown(() => metrics.shutdown());
    metrics.record(KEY, ROOT, httpEntry('GET /r'), 0.01, false);
    await makeRuntimeActivity();
    await metrics.forceFlush();
    const points = await receiver.waitFor((r) => (r.metrics().some((p) => p.name === 'ck.path.calls') ? r.metrics() : undefined));
    const runtime = points.filter((p) => /^(nodejs|v8js|process)\./.test(p.name));
    if (!enabled) {
      t.deepEqual(
        runtime.map((p) => p.name),
        []
      );
      return;
    }
    t.deepEqual([...new Set(runtime.map((p) => p.name))].sort(), [...RUNTIME_METRIC_NAMES].sort());
    for (const point of runtime) {
      if (UNITS[point.name]) t.is(point.unit, UNITS[point.name], point.name);
      t.is(point.scope.name, 'ck-agent');
      t.is(point.resource['service.name'], 'test');
    }
    t.like(
      runtime.find((p) => p.name === 'v8js.gc.duration'),
      { type: 'histogram' }
    );
    t.deepEqual(runtime.find((p) => p.name === 'v8js.gc.duration')!.raw.explicitBounds, [0.01, 0.1, 1, 10]);
    t.like(
      runtime.find((p) => p.name === 'process.cpu.time'),
      { type: 'sum', isMonotonic: true }
    );
    t.like(
      runtime.find((p) => p.name === 'v8js.memory.heap.used'),
      { type: 'sum', isMonotonic: false }
    );
    t.like(
      runtime.find((p) => p.name === 'nodejs.eventloop.delay.p99'),
      { type: 'gauge' }
    );
  });
}

test('with the NONE reporter, runtime_enabled warns once that nothing can be exported', (t) => {
  const warnings: string[] = [];
  logger.setSink((level, message) => {
    if (level === 'warn') warnings.push(message);
  });
  t.teardown(() => logger.setSink(() => undefined));
  const metrics = new GraphPathMetrics(
    testConfig({ reporting: { metricReporterType: 'NONE' }, metrics: { runtimeEnabled: true } }),
    testResource()
  );
  t.teardown(() => metrics.shutdown());
  t.is(warnings.length, 1);
  t.regex(warnings[0], /metrics\.runtime_enabled.*NONE/);
});

test('disabled: the runtime module is never loaded and no event-loop monitor is started (fresh process)', async (t) => {
  const probe = path.join(__dirname, 'runtime-probe.ts');
  const off = await runProbe<{ loaded: boolean; monitors: number }>(probe, ['off']);
  t.deepEqual(off, { loaded: false, monitors: 0 });
  const on = await runProbe<{ loaded: boolean; monitors: number }>(probe, ['on']);
  t.deepEqual(on, { loaded: true, monitors: 1 }, 'the probe would see it when enabled');
});
