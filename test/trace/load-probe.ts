/**
 * Child-process probe for lazy-load.test.ts (a fresh module cache per reporter type):
 *   node --import tsx test/trace/load-probe.ts <OTLP|OTLP_HTTP|ZIPKIN|LOGGING|NONE>
 * Loads src/trace, builds the export span processor for that trace reporter type and prints one
 * JSON object on stdout: the packages under node_modules that doing so loaded.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { TraceReporterType } from '../../src/config/types';
import { makeConfig, makeResource } from './helpers';

function packageOf(file: string): string | undefined {
  const parts = file.split(/[\\/]node_modules[\\/]/);
  if (parts.length < 2) return undefined;
  const segments = parts[parts.length - 1].split(/[\\/]/);
  return segments[0].startsWith('@') ? `${segments[0]}/${segments[1]}` : segments[0];
}

/** The exporter's class behind the GuardedSpanExporter wrapper. */
function innerName(exporter: object): string {
  const inner = (exporter as { inner?: object }).inner ?? exporter;
  return inner.constructor.name;
}

const type = process.argv[2] as TraceReporterType;
const config = makeConfig({
  reporting: {
    traceReporterType: type,
    endpoint: 'http://127.0.0.1:1',
    logFile: path.join(os.tmpdir(), `ck-trace-load-probe-${process.pid}.log`),
  },
});
const resource = makeResource();
const before = new Set(Object.keys(require.cache));

const { createExportSpanProcessor } = require('../../src/trace') as typeof import('../../src/trace');
const processor = createExportSpanProcessor(config, resource);
const added = Object.keys(require.cache).filter((file) => !before.has(file));
const packages = [...new Set(added.map(packageOf).filter((p): p is string => p !== undefined))].sort();
process.stdout.write(JSON.stringify({ exporter: processor ? innerName(processor.exporter) : null, packages }) + '\n');
process.exit(0);
