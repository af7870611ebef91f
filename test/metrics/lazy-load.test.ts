/**
 * Only the configured metric exporter package is loaded (start-up time and memory): each reporter
 * type is built in a fresh child process (load-probe.ts) and the packages it loaded are checked.
 */
import test from 'ava';
import * as path from 'node:path';
import { runProbe } from '../../fixtures/child-probe';

const PROBE = path.join(__dirname, 'load-probe.ts');

interface ProbeResult {
  reader: string | null;
  packages: string[];
  hdrIndexLoaded: boolean;
}

function probe(type: string): Promise<ProbeResult> {
  return runProbe(PROBE, [type]);
}

const GRPC_EXPORTER = '@opentelemetry/exporter-metrics-otlp-grpc';
const PROTO_EXPORTER = '@opentelemetry/exporter-metrics-otlp-proto';
const PROMETHEUS_EXPORTER = '@opentelemetry/exporter-prometheus';
const EXPORTERS = [GRPC_EXPORTER, PROTO_EXPORTER, PROMETHEUS_EXPORTER];
/** Never needed by graph path metrics: the HDR log encoding and its WebAssembly build. */
const NEVER = ['pako', '@assemblyscript/loader', 'base64-js'];

const cases: Array<{ type: string; expected: string[]; absent: string[] }> = [
  { type: 'OTLP', expected: [GRPC_EXPORTER, '@grpc/grpc-js'], absent: [PROTO_EXPORTER, PROMETHEUS_EXPORTER] },
  { type: 'OTLP_HTTP', expected: [PROTO_EXPORTER], absent: [GRPC_EXPORTER, PROMETHEUS_EXPORTER, '@grpc/grpc-js'] },
  {
    type: 'PROMETHEUS',
    expected: [PROMETHEUS_EXPORTER],
    absent: [GRPC_EXPORTER, PROTO_EXPORTER, '@grpc/grpc-js', '@opentelemetry/otlp-transformer'],
  },
  { type: 'LOGGING', expected: [], absent: [...EXPORTERS, '@grpc/grpc-js', '@opentelemetry/otlp-transformer'] },
  { type: 'NONE', expected: [], absent: [...EXPORTERS, '@grpc/grpc-js', '@opentelemetry/otlp-transformer'] },
];

for (const { type, expected, absent } of cases) {
  test(`${type}: only its own exporter package is loaded`, async (t) => {
    const result = await probe(type);
    t.log(`${type} reader ${result.reader}; packages loaded: ${result.packages.join(', ')}`);
    if (type === 'NONE') t.is(result.reader, null);
    else t.truthy(result.reader);
    t.true(result.packages.includes('hdr-histogram-js'), 'the HDR histogram class is loaded');
    for (const pkg of expected) t.true(result.packages.includes(pkg), `${pkg} loaded`);
    for (const pkg of [...absent, ...NEVER]) t.false(result.packages.includes(pkg), `${pkg} not loaded`);
    t.false(result.hdrIndexLoaded, 'hdr-histogram-js index (pako, WebAssembly loader) not loaded');
  });
}
