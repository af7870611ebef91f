'use strict';
/**
 * One-off cost measurement of the Node runtime metrics (metrics.runtime_enabled,
 * docs/runtime-metrics.md), against the compiled build (npm run build first):
 *
 *   node bench/runtime-metrics.js [--quick]
 *
 * 1. collection: CPU time of one collection of the ck-agent meter provider with runtime metrics
 *    vs without (a manual reader; what every export interval or Prometheus scrape pays);
 * 2. workload: an allocation-heavy synchronous workload (JSON round trips, so the GC observer and
 *    the event-loop sampler both have work) in one process, in 250 ms slices alternating between
 *    runtime metrics on and off; CPU microseconds per operation (user + system) per state;
 * 3. idle: CPU time of an otherwise idle process over a few seconds (the 20 ms event-loop
 *    sampler alone), a fresh child process per mode, 3 rounds, median.
 * Prints one JSON object. Not part of npm test; figures depend on the machine.
 */
const { execFileSync } = require('node:child_process');
const { tryRequire } = require('./lib/ck-build');

const QUICK = process.argv.includes('--quick');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function config(runtimeEnabled) {
  const { resolveConfig } = tryRequire('src/config/index.js');
  return resolveConfig({ serviceName: 'bench', reporting: { metricReporterType: 'NONE' }, metrics: { runtimeEnabled } }, {});
}

/** Child mode `--child=idle --runtime=on|off`: CPU of an idle process with or without runtime metrics. */
async function child(runtimeOn) {
  const { GraphPathMetrics } = tryRequire('src/metrics/index.js');
  const { MetricReader } = require('@opentelemetry/sdk-metrics');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  class ManualReader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  // NONE + an extra reader: the runtime metrics see a reader, nothing is exported anywhere.
  const metrics = new GraphPathMetrics(config(runtimeOn), resourceFromAttributes({ 'service.name': 'bench' }), [new ManualReader()]);
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, QUICK ? 1500 : 4000));
  const used = process.cpuUsage(before);
  await metrics.shutdown();
  process.stdout.write(JSON.stringify({ cpuMicros: used.user + used.system }) + '\n');
}

async function collectionCost() {
  const { GraphPathMetrics } = tryRequire('src/metrics/index.js');
  const { MetricReader } = require('@opentelemetry/sdk-metrics');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  const result = {};
  for (const on of [false, true]) {
    class ManualReader extends MetricReader {
      async onForceFlush() {}
      async onShutdown() {}
    }
    const reader = new ManualReader();
    const metrics = new GraphPathMetrics(config(on), resourceFromAttributes({ 'service.name': 'bench' }), [reader]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 50; i++) await reader.collect(); // warm-up
    const n = QUICK ? 500 : 2000;
    const samples = [];
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint();
      await reader.collect();
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    await metrics.shutdown();
    result[on ? 'on' : 'off'] = Math.round(median(samples) * 10) / 10;
  }
  return { medianMicrosPerCollection: result, addedMicrosPerCollection: Math.round((result.on - result.off) * 10) / 10 };
}

/**
 * The workload in one process, in short slices that alternate between runtime metrics on and off
 * (a fresh meter provider + RuntimeMetrics per "on" slice, stopped at its end): machine drift on
 * a shared host hits both states alike, which separate processes cannot achieve.
 */
async function interleavedWorkload() {
  const { RuntimeMetrics } = tryRequire('src/metrics/runtime-metrics.js');
  const { MeterProvider } = require('@opentelemetry/sdk-metrics');
  const payload = { id: 1, items: Array.from({ length: 50 }, (_, i) => ({ sku: `sku-${i}`, qty: i, price: i * 1.5 })) };
  const slices = QUICK ? 20 : 80;
  const sliceMs = 250;
  const totals = { on: { cpu: 0, ops: 0 }, off: { cpu: 0, ops: 0 } };
  for (let i = 0; i < slices; i++) {
    // on/off, off/on, on/off, ...: neither state always goes first.
    const on = i % 4 === 0 || i % 4 === 3;
    const provider = on ? new MeterProvider() : undefined;
    const runtime = on ? new RuntimeMetrics(provider.getMeter('bench')) : undefined;
    const before = process.cpuUsage();
    const deadline = Date.now() + sliceMs;
    let ops = 0;
    while (Date.now() < deadline) {
      for (let j = 0; j < 200; j++) {
        const copy = JSON.parse(JSON.stringify(payload));
        copy.id = ops++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const used = process.cpuUsage(before);
    const bucket = totals[on ? 'on' : 'off'];
    bucket.cpu += used.user + used.system;
    bucket.ops += ops;
    if (runtime) runtime.stop();
    if (provider) await provider.shutdown();
  }
  const perOp = (b) => b.cpu / b.ops;
  return {
    cpuMicrosPerOp: { off: +perOp(totals.off).toFixed(3), on: +perOp(totals.on).toFixed(3) },
    overheadPercent: +(((perOp(totals.on) - perOp(totals.off)) / perOp(totals.off)) * 100).toFixed(2),
    slices,
    sliceMs,
  };
}

function runChild(kind, on) {
  const out = execFileSync(
    process.execPath,
    [__filename, `--child=${kind}`, `--runtime=${on ? 'on' : 'off'}`, ...(QUICK ? ['--quick'] : [])],
    {
      encoding: 'utf8',
    }
  );
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  const childArg = process.argv.find((a) => a.startsWith('--child='));
  if (childArg) {
    await child(process.argv.includes('--runtime=on'));
    return;
  }
  if (!tryRequire('src/metrics/runtime-metrics.js')) {
    throw new Error('build/src/metrics/runtime-metrics.js not found: run npm run build first');
  }
  const collection = await collectionCost();
  const workload = await interleavedWorkload();
  const idleRounds = 3;
  const idle = { off: [], on: [] };
  for (let r = 0; r < idleRounds; r++) {
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) idle[on ? 'on' : 'off'].push(runChild('idle', on).cpuMicros);
  }
  const idleSeconds = QUICK ? 1.5 : 4;
  const result = {
    node: process.version,
    quick: QUICK,
    loadAverage: require('node:os')
      .loadavg()
      .map((l) => +l.toFixed(2)),
    collection,
    workload,
    idle: {
      cpuMillisPerSecond: {
        off: +(median(idle.off) / 1000 / idleSeconds).toFixed(3),
        on: +(median(idle.on) / 1000 / idleSeconds).toFixed(3),
      },
    },
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
