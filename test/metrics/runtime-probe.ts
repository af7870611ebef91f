/**
 * Child-process probe for runtime.test.ts (a fresh module cache):
 *   node --import tsx test/metrics/runtime-probe.ts <on|off>
 * Builds GraphPathMetrics (LOGGING reporter, to /dev/null) with metrics.runtime_enabled on or off
 * and prints whether the runtime metrics module was loaded and whether an event-loop delay
 * monitor was created (perf_hooks.monitorEventLoopDelay is counted before anything loads).
 */
const perfHooks = require('node:perf_hooks') as typeof import('node:perf_hooks');
let monitors = 0;
const original = perfHooks.monitorEventLoopDelay;
perfHooks.monitorEventLoopDelay = (options?: Parameters<typeof original>[0]) => {
  monitors++;
  return original(options);
};

const { testConfig, testResource } = require('./helpers') as typeof import('./helpers');
const { GraphPathMetrics } = require('../../src/metrics') as typeof import('../../src/metrics');

const on = process.argv[2] === 'on';
const metrics = new GraphPathMetrics(
  testConfig({
    reporting: { metricReporterType: 'LOGGING', logFile: '/dev/null' },
    metrics: { runtimeEnabled: on, exportIntervalMs: 3_600_000 },
  }),
  testResource()
);
const loaded = Object.keys(require.cache).some((file) => /[\\/]metrics[\\/]runtime-metrics\.(ts|js)$/.test(file));
void metrics.shutdown().then(() => {
  process.stdout.write(JSON.stringify({ loaded, monitors }) + '\n');
});
