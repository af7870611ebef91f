/**
 * Child-process probe for lazy-load.test.ts (a fresh module cache per reporter type):
 *   node --import tsx test/metrics/load-probe.ts <OTLP|OTLP_HTTP|PROMETHEUS|LOGGING|NONE>
 * Loads src/metrics, builds GraphPathMetrics for that reporter type, records one span and prints
 * one JSON object on stdout: the packages under node_modules that were loaded by doing so, and
 * whether the hdr-histogram-js package index was loaded.
 */
import { devNull } from 'node:os';
import type { MetricReporterType } from '../../src/config/types';
import { testConfig, testResource, httpEntry } from './helpers';

function loadedFiles(): Set<string> {
  return new Set(Object.keys(require.cache));
}

function packageOf(file: string): string | undefined {
  const parts = file.split(/[\\/]node_modules[\\/]/);
  if (parts.length < 2) return undefined;
  const segments = parts[parts.length - 1].split(/[\\/]/);
  return segments[0].startsWith('@') ? `${segments[0]}/${segments[1]}` : segments[0];
}

const type = process.argv[2] as MetricReporterType;
const config = testConfig({
  // LOGGING writes its last interval on exit (docs/lifecycle.md): not onto this probe's stdout.
  reporting: { metricReporterType: type, metricEndpoint: 'http://127.0.0.1:1', logFile: devNull },
  metrics: { prometheusHost: '127.0.0.1', prometheusPort: 0 },
});
const resource = testResource();
const before = loadedFiles();

const { GraphPathMetrics } = require('../../src/metrics') as typeof import('../../src/metrics');
const metrics = new GraphPathMetrics(config, resource);
metrics.record('k', 'root', httpEntry('GET /x'), 0.01, false);
const added = [...loadedFiles()].filter((file) => !before.has(file));
const packages = [...new Set(added.map(packageOf).filter((p): p is string => p !== undefined))].sort();
process.stdout.write(
  JSON.stringify({
    reader: metrics.reader ? metrics.reader.constructor.name : null,
    packages,
    hdrIndexLoaded: added.some((file) => /hdr-histogram-js[\\/]dist[\\/]index\.js$/.test(file)),
  }) + '\n'
);
// No shutdown: a final OTLP export to the unreachable endpoint would only slow the test down.
process.exit(0);
