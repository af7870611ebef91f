/**
 * Only the configured span exporter package is loaded, and none with NONE (the default): each
 * trace reporter type is built in a fresh child process (load-probe.ts).
 */
import test from 'ava';
import * as path from 'node:path';
import { runProbe } from '../../fixtures/child-probe';

const PROBE = path.join(__dirname, 'load-probe.ts');

function probe(type: string): Promise<{ exporter: string | null; packages: string[] }> {
  return runProbe(PROBE, [type]);
}

const GRPC = '@opentelemetry/exporter-trace-otlp-grpc';
const PROTO = '@opentelemetry/exporter-trace-otlp-proto';
const ZIPKIN = '@opentelemetry/exporter-zipkin';
const TRANSPORTS = ['@grpc/grpc-js', '@opentelemetry/otlp-transformer', '@opentelemetry/otlp-exporter-base'];

const cases: Array<{ type: string; expected: string[]; absent: string[] }> = [
  { type: 'NONE', expected: [], absent: [GRPC, PROTO, ZIPKIN, ...TRANSPORTS] },
  { type: 'LOGGING', expected: [], absent: [GRPC, PROTO, ZIPKIN, ...TRANSPORTS] },
  { type: 'OTLP', expected: [GRPC, '@grpc/grpc-js'], absent: [PROTO, ZIPKIN] },
  { type: 'OTLP_HTTP', expected: [PROTO], absent: [GRPC, ZIPKIN, '@grpc/grpc-js'] },
  { type: 'ZIPKIN', expected: [ZIPKIN], absent: [GRPC, PROTO, ...TRANSPORTS] },
];

for (const { type, expected, absent } of cases) {
  test(`${type}: only its own span exporter package is loaded`, async (t) => {
    const result = await probe(type);
    t.log(`${type} exporter ${result.exporter}; packages loaded: ${result.packages.join(', ') || '(none)'}`);
    if (type === 'NONE') t.is(result.exporter, null);
    else t.truthy(result.exporter);
    for (const pkg of expected) t.true(result.packages.includes(pkg), `${pkg} loaded`);
    for (const pkg of absent) t.false(result.packages.includes(pkg), `${pkg} not loaded`);
  });
}
