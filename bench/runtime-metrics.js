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
 *    the event-loop sampler both have work) run in a fresh child process per mode, interleaved
 *    rounds; CPU microseconds per operation (user + system), median over rounds;
 * 3. idle: CPU time of an otherwise idle process over a few seconds (the 20 ms event-loop
 *    sampler alone), per mode.
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

/** Child mode: `--child=workload|idle --runtime=on|off` prints {cpuMicros, ops}. */
async function child(kind, runtimeOn) {
  const { GraphPathMetrics } = tryRequire('src/metrics/index.js');
  const { MetricReader } = require('@opentelemetry/sdk-metrics');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  class ManualReader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  const reader = new ManualReader();
  const c = config(runtimeOn);
  // NONE + an extra reader: the runtime metrics see a reader, nothing is exported anywhere.
  const metrics = new GraphPathMetrics(c, resourceFromAttributes({ 'service.name': 'bench' }), [reader]);
  const before = process.cpuUsage();
  let ops = 0;
  if (kind === 'workload') {
    const payload = { id: 1, items: Array.from({ length: 50 }, (_, i) => ({ sku: `sku-${i}`, qty: i, price: i * 1.5 })) };
    const deadline = Date.now() + (QUICK ? 1500 : 4000);
    while (Date.now() < deadline) {
      // Yield every batch so the event-loop sampler and GC observer callbacks run as in an app.
      for (let i = 0; i < 500; i++) {
        const copy = JSON.parse(JSON.stringify(payload));
        copy.id = ops++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reader.collect(); // one collection, as an export interval would do
  } else {
    await new Promise((resolve) => setTimeout(resolve, QUICK ? 1500 : 4000));
  }
  const used = process.cpuUsage(before);
  await metrics.shutdown();
  process.stdout.write(JSON.stringify({ cpuMicros: used.user + used.system, ops }) + '\n');
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

function runChild(kind, on) {
  const out = execFileSync(process.execPath, [__filename, `--child=${kind}`, `--runtime=${on ? 'on' : 'off'}`, ...(QUICK ? ['--quick'] : [])], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  const childArg = process.argv.find((a) => a.startsWith('--child='));
  if (childArg) {
    await child(childArg.slice('--child='.length), process.argv.includes('--runtime=on'));
    return;
  }
  if (!tryRequire('src/metrics/runtime-metrics.js')) {
    throw new Error('build/src/metrics/runtime-metrics.js not found: run npm run build first');
  }
  const collection = await collectionCost();
  const rounds = QUICK ? 3 : 5;
  const perOp = { off: [], on: [] };
  const idle = { off: [], on: [] };
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
      const w = runChild('workload', on);
      perOp[on ? 'on' : 'off'].push(w.cpuMicros / w.ops);
      idle[on ? 'on' : 'off'].push(runChild('idle', on).cpuMicros);
    }
  }
  const idleSeconds = QUICK ? 1.5 : 4;
  const workload = { off: median(perOp.off), on: median(perOp.on) };
  const result = {
    node: process.version,
    quick: QUICK,
    collection,
    workload: {
      cpuMicrosPerOp: { off: +workload.off.toFixed(3), on: +workload.on.toFixed(3) },
      overheadPercent: +(((workload.on - workload.off) / workload.off) * 100).toFixed(2),
      rounds,
    },
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
