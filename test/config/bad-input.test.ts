/**
 * Bad configuration never crashes: every invalid value warns once, naming the source, the key,
 * the value and what was expected, and the key keeps the value of the next-lower source.
 */
import test from 'ava';
import { ConfigError, defaultConfig, resolveConfig } from '../../src/config';
import { fixture, resolve, warningWith } from './helpers';

const defaults = defaultConfig();

test('fail-safe: an unrecognised CK_ENABLED value disables the agent, with one warning', (t) => {
  const { config, warnings } = resolve({}, { CK_ENABLED: 'maybe' });
  t.false(config.enabled);
  const w = warningWith(warnings, 'env CK_ENABLED', 'enabled', '"maybe"');
  t.regex(w, /expected true or false \(or yes \/ no, on \/ off, 1 \/ 0\)\); ck-agent is disabled$/);
  t.is(warnings.length, 1);
});

test('fail-safe: a higher source that sets enabled validly still wins over an unrecognised lower one', (t) => {
  const { config, warnings } = resolve({ enabled: true }, { CK_ENABLED: 'maybe' });
  t.true(config.enabled);
  warningWith(warnings, 'env CK_ENABLED', '"maybe"', 'ck-agent is disabled');
});

for (const [text, expected] of [
  ['yes', true],
  ['no', false],
  ['ON', true],
  ['off', false],
  [' Yes ', true],
  ['0', false],
  ['TRUE', true],
] as const) {
  test(`booleans: ${JSON.stringify(text)} -> ${expected} (CK_ENABLED, a data-capture switch), no warning`, (t) => {
    const { config, warnings } = resolve({}, { CK_ENABLED: text, CK_DATA_CAPTURE_HTTP_BODY_REQUEST: text });
    t.is(config.enabled, expected);
    t.is(config.dataCapture.httpBody.request, expected);
    t.deepEqual(warnings, []);
  });
}

test('fail-safe lists: instrumentations and propagation_formats drop only their invalid entries', (t) => {
  const { config, warnings } = resolve({ propagationFormats: ['b3', 'jaeger', 'baggage'] }, { CK_INSTRUMENTATIONS: 'http, kafka,pg,nope' });
  t.deepEqual(config.instrumentations, ['http', 'pg']);
  t.deepEqual(config.propagationFormats, ['B3', 'BAGGAGE']);
  t.regex(
    warningWith(warnings, 'env CK_INSTRUMENTATIONS', 'instrumentations'),
    /invalid entries from env CK_INSTRUMENTATIONS for instrumentations: "kafka", "nope" \(expected a list of http, .*\); dropped, keeping http,pg$/
  );
  t.regex(
    warningWith(warnings, 'init option propagationFormats', 'propagation_formats'),
    /invalid entry .*: "jaeger" .*; dropped, keeping B3,BAGGAGE$/
  );
  t.is(warnings.length, 2);
});

test('fail-safe lists: a list with no valid entry at all falls back to the next-lower source', (t) => {
  const { config, warnings } = resolve({}, { HT_INSTRUMENTATIONS: 'http,express', CK_INSTRUMENTATIONS: 'kafka' });
  t.deepEqual(config.instrumentations, ['http', 'express']);
  warningWith(warnings, 'env CK_INSTRUMENTATIONS', '"kafka"', 'using the value from env HT_INSTRUMENTATIONS');
});

test('strict mode: the error lists the problems without a fallback (nothing falls back in strict mode)', (t) => {
  const error = t.throws(() => resolveConfig({ strict: true }, { CK_METRICS_MAX_PATHS: '-1', CK_INSTRUMENTATIONS: 'http,kafka' }), {
    instanceOf: ConfigError,
  });
  t.regex(error.message, /strict mode/);
  t.regex(error.message, /CK_METRICS_MAX_PATHS for metrics.max_paths: "-1" \(expected an integer > 0\)$/m);
  t.regex(error.message, /"kafka"/);
  t.notRegex(error.message, /using the value from|keeping/);
});

test('wrong type: init option of the wrong type falls back to the env value', (t) => {
  const { config, warnings } = resolve(
    { dataCapture: { httpBody: { request: 'sometimes' } }, metrics: { quantiles: 'p99' } },
    { CK_DATA_CAPTURE_HTTP_BODY_REQUEST: 'false' }
  );
  t.false(config.dataCapture.httpBody.request);
  t.deepEqual(config.metrics.quantiles, defaults.metrics.quantiles);
  const w = warningWith(warnings, 'init option dataCapture.httpBody.request', 'data_capture.http_body.request');
  t.regex(w, /"sometimes".*expected true or false.*using the value from env CK_DATA_CAPTURE_HTTP_BODY_REQUEST$/);
  warningWith(warnings, 'init option metrics.quantiles', 'metrics.quantiles', '"p99"', 'numbers in (0, 1]');
  t.is(warnings.length, 2);
});

test('wrong type: a section that is not an object is reported once and ignored', (t) => {
  const { config, warnings } = resolve({ reporting: 5, serviceName: 'ok' });
  t.is(config.serviceName, 'ok');
  t.is(config.reporting.endpoint, defaults.reporting.endpoint);
  warningWith(warnings, 'init option reporting', 'expected a section');
  t.is(warnings.length, 1);
});

test('unknown enum values warn and fall back', (t) => {
  const { config, warnings } = resolve(
    { logLevel: 'loud' },
    {
      CK_REPORTING_TRACE_REPORTER_TYPE: 'KAFKA',
      HT_REPORTING_TRACE_REPORTER_TYPE: 'ZIPKIN',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      CK_METRICS_TEMPORALITY: 'sometimes',
      CK_INSTRUMENTATIONS: 'kafka',
    }
  );
  t.is(config.reporting.traceReporterType, 'ZIPKIN');
  t.is(config.logLevel, 'warn');
  t.is(config.tracing.sampler, 'parentbased_always_on');
  t.is(config.metrics.temporality, 'CUMULATIVE');
  t.deepEqual(config.instrumentations, defaults.instrumentations);
  t.regex(
    warningWith(warnings, 'env CK_REPORTING_TRACE_REPORTER_TYPE', 'reporting.trace_reporter_type', '"KAFKA"'),
    /expected one of NONE, OTLP, OTLP_HTTP, ZIPKIN, LOGGING\); using the value from env HT_REPORTING_TRACE_REPORTER_TYPE$/
  );
  warningWith(warnings, 'init option logLevel', 'log_level', '"loud"', 'one of error, warn, info, debug');
  warningWith(warnings, 'env OTEL_TRACES_SAMPLER', 'tracing.sampler', '"jaeger_remote"');
  warningWith(warnings, 'env CK_METRICS_TEMPORALITY', 'metrics.temporality', 'CUMULATIVE, DELTA, LOWMEMORY');
  warningWith(warnings, 'env CK_INSTRUMENTATIONS', 'instrumentations', '"kafka" is not one');
  t.is(warnings.length, 5);
});

test('negative and zero sizes warn and fall back', (t) => {
  const { config, warnings } = resolve(
    { dataCapture: { bodyMaxProcessingSizeBytes: 0 } },
    { CK_DATA_CAPTURE_BODY_MAX_SIZE_BYTES: '-1', OTEL_BSP_MAX_QUEUE_SIZE: '-10', CK_METRICS_MAX_PATHS: '0' }
  );
  t.is(config.dataCapture.bodyMaxSizeBytes, 131072);
  t.is(config.dataCapture.bodyMaxProcessingSizeBytes, 1048576);
  t.is(config.tracing.batch.maxQueueSize, 2048);
  t.is(config.metrics.maxPaths, 2000);
  warningWith(warnings, 'env CK_DATA_CAPTURE_BODY_MAX_SIZE_BYTES', 'data_capture.body_max_size_bytes', '"-1"', 'an integer > 0');
  warningWith(warnings, 'init option dataCapture.bodyMaxProcessingSizeBytes', 'data_capture.body_max_processing_size_bytes', ': 0 ');
  warningWith(warnings, 'env OTEL_BSP_MAX_QUEUE_SIZE', 'tracing.batch.max_queue_size', '"-10"');
  warningWith(warnings, 'env CK_METRICS_MAX_PATHS', 'metrics.max_paths', '"0"');
  t.is(warnings.length, 4);
});

test('numbers out of range: port, ratio, 32-bit bound', (t) => {
  const { config, warnings } = resolve(
    {},
    { CK_METRICS_PROMETHEUS_PORT: '70000', OTEL_TRACES_SAMPLER_ARG: '1.5', CK_SLOW_SPAN_THRESHOLD_MS: '3000000000' }
  );
  t.is(config.metrics.prometheusPort, 9464);
  t.is(config.tracing.samplerArg, undefined);
  t.is(config.slowSpanThresholdMs, 100);
  warningWith(warnings, 'env CK_METRICS_PROMETHEUS_PORT', 'an integer from 0 to 65535');
  warningWith(warnings, 'env OTEL_TRACES_SAMPLER_ARG', 'tracing.sampler_arg', 'a number from 0 to 1');
  warningWith(warnings, 'env CK_SLOW_SPAN_THRESHOLD_MS', 'up to 2147483647');
});

test('batch > queue: warns naming both keys and clamps the batch to the queue', (t) => {
  const { config, warnings } = resolve({}, { OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1000' });
  t.is(config.tracing.batch.maxQueueSize, 100);
  t.is(config.tracing.batch.maxExportBatchSize, 100);
  const w = warningWith(warnings, 'env OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'tracing.batch.max_export_batch_size 1000');
  t.regex(w, /tracing\.batch\.max_queue_size 100 \(from env OTEL_BSP_MAX_QUEUE_SIZE\).*using 100$/);
  t.is(warnings.length, 1);
});

test('batch > queue: a default batch size above a small queue is clamped silently', (t) => {
  const { config, warnings } = resolve({ tracing: { batch: { maxQueueSize: 64 } } });
  t.is(config.tracing.batch.maxExportBatchSize, 64);
  t.deepEqual(warnings, []);
});

test('metric export timeout above the interval is clamped (warned only when set explicitly)', (t) => {
  const quiet = resolve({}, { OTEL_METRIC_EXPORT_INTERVAL: '1000' });
  t.is(quiet.config.metrics.exportTimeoutMs, 1000);
  t.deepEqual(quiet.warnings, []);
  const loud = resolve({ metrics: { exportTimeoutMs: 5000 } }, { OTEL_METRIC_EXPORT_INTERVAL: '1000' });
  t.is(loud.config.metrics.exportTimeoutMs, 1000);
  warningWith(loud.warnings, 'init option metrics.exportTimeoutMs', 'metrics.export_timeout_ms 5000', 'interval');
});

test('unreadable file: missing path warns naming the file and the env var; file ignored', (t) => {
  const missing = fixture('does-not-exist.yaml');
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: missing, CK_SERVICE_NAME: 'still-works' });
  t.is(config.serviceName, 'still-works');
  const w = warningWith(warnings, `file ${missing}`, 'CK_CONFIG_FILE');
  t.regex(w, /ENOENT.*the file is ignored$/);
  t.is(warnings.length, 1);
});

test('unreadable file: a directory is not a config file', (t) => {
  const { warnings } = resolve({}, { HT_CONFIG_FILE: fixture('pkg-app') });
  t.regex(warningWith(warnings, `file ${fixture('pkg-app')}`, 'HT_CONFIG_FILE'), /not a regular file/);
});

for (const [name, kind] of [
  ['malformed.yaml', 'malformed YAML'],
  ['malformed.json', 'malformed JSON'],
  ['duplicate-keys.yaml', 'malformed YAML'],
] as const) {
  test(`malformed file: ${name} warns once and is ignored as a whole`, (t) => {
    const { config, warnings } = resolve({}, { CK_CONFIG_FILE: fixture(name) });
    t.is(config.serviceName, defaults.serviceName);
    t.is(config.reporting.secure, false);
    t.is(config.metrics.maxPaths, 2000);
    t.is(warnings.length, 1);
    t.regex(warnings[0], new RegExp(`^file ${fixture(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${kind}.*the file is ignored$`));
  });
}

test('malformed file: a top-level list is refused', (t) => {
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: fixture('top-level-list.yaml') });
  t.is(config.serviceName, defaults.serviceName);
  warningWith(warnings, 'top-level-list.yaml', 'mapping of keys at the top level');
});

test('bad-values.yaml: each invalid value warns with its key and falls back to the default', (t) => {
  const file = fixture('bad-values.yaml');
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: file });
  const keys = [
    'resource_attributes',
    'reporting.endpoint',
    'reporting.trace_reporter_type',
    'reporting.secure',
    'data_capture.body_max_size_bytes',
    'data_capture.body_max_processing_size_bytes',
    'data_capture.http_body.request',
    'metrics.max_paths',
    'metrics.quantiles',
    'metrics.prometheus_port',
    'redaction.body_keys',
    'log_level',
  ];
  for (const key of keys) warningWith(warnings, `from file ${file} for ${key}:`, 'using the value from defaults');
  // the two fail-safe keys: enabled turns off, the list keeps its valid entry
  warningWith(warnings, `from file ${file} for enabled:`, 'ck-agent is disabled');
  warningWith(warnings, `from file ${file} for propagation_formats:`, '"JAEGER"', 'dropped, keeping TRACECONTEXT');
  t.is(warnings.length, keys.length + 2, warnings.join('\n'));
  const fresh = { ...defaultConfig(), enabled: false, propagationFormats: ['TRACECONTEXT'] };
  t.deepEqual(JSON.parse(JSON.stringify(config)), JSON.parse(JSON.stringify(fresh)));
});

test('unknown keys: file keys warn (with a hint for camelCase / typos); known ones still apply', (t) => {
  const file = fixture('unknown-keys.yaml');
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: file });
  t.is(config.serviceName, 'with-unknowns');
  t.is(config.reporting.endpoint, 'http://collector.example:4317');
  t.regex(warningWith(warnings, `unknown config key from file ${file}: serviceName`), /did you mean service_name\?/);
  warningWith(warnings, `unknown config key from file ${file}: reporting.endpont`);
  warningWith(warnings, `file ${file}`, 'expected a section (an object) for metrics');
  warningWith(warnings, `unknown config key from file ${file}: nonsense`);
  t.is(warnings.length, 4);
});

test('unknown keys: CK_/HT_ vars that look like config paths warn; unrelated ones do not', (t) => {
  const { warnings } = resolve(
    {},
    {
      CK_METRICS_MAXPATHS: '3',
      HT_DATA_CAPTURE_HTTP_BODY_REQEST: 'true',
      CK_CONFIG_FILE: '',
      HT_CONFIG_FILE: '',
      CK_BUILD_ID: '42',
      HT_SOMETHING_ELSE: 'x',
      CKX_METRICS_MAX_PATHS: '1',
      HT_REPORTING_OPA_ENDPOINT: 'http://opa:8181',
      HT_REPORTING_ADDRESS: 'api.example',
    }
  );
  t.regex(warningWith(warnings, 'unknown config key from env: CK_METRICS_MAXPATHS'), /did you mean CK_METRICS_MAX_PATHS\?/);
  warningWith(warnings, 'unknown config key from env: HT_DATA_CAPTURE_HTTP_BODY_REQEST');
  t.is(warnings.length, 2, warnings.join('\n'));
});

test('unknown keys: init options warn, with a hint for snake_case', (t) => {
  const { config, warnings } = resolve({ service_name: 'snake', metrics: { maxPath: 3, maxPaths: 7 }, colour: 'red' });
  t.is(config.metrics.maxPaths, 7);
  t.regex(warningWith(warnings, 'unknown config key from init options: service_name'), /did you mean serviceName\?/);
  warningWith(warnings, 'unknown config key from init options: metrics.maxPath ');
  warningWith(warnings, 'unknown config key from init options: colour');
  t.is(warnings.length, 3);
});

for (const [title, junk] of [
  ['null', null],
  ['a number', 42],
  ['an array', [{ serviceName: 'x' }]],
  ['a string', 'serviceName=x'],
  ['a function', () => ({ serviceName: 'x' })],
  ['a boolean', true],
] as const) {
  test(`junk init options: ${title} warns and is ignored`, (t) => {
    const { config, warnings } = resolve(junk, { CK_SERVICE_NAME: 'from-env' });
    t.is(config.serviceName, 'from-env');
    t.is(warnings.length, 1);
    t.regex(warnings[0], /^init options: expected an object, got .*; ignored$/);
  });
}

test('junk init options: getters that throw are reported and skipped', (t) => {
  const options = {
    serviceName: 'getter-app',
    get enabled(): boolean {
      throw new Error('boom');
    },
    metrics: {
      get maxPaths(): number {
        throw new Error('kaboom');
      },
    },
  };
  const { config, warnings } = resolve(options);
  t.is(config.serviceName, 'getter-app');
  t.true(config.enabled);
  t.is(config.metrics.maxPaths, 2000);
  warningWith(warnings, 'init option enabled', 'boom');
  warningWith(warnings, 'init option metrics.maxPaths', 'kaboom');
  t.is(warnings.length, 2);
});

test('junk init options: circular objects, proxies and null-prototype objects', (t) => {
  const circular: Record<string, unknown> = { serviceName: 'circular' };
  circular.self = circular;
  circular.reporting = { back: circular };
  const a = resolve(circular);
  t.is(a.config.serviceName, 'circular');
  warningWith(a.warnings, 'unknown config key from init options: self');
  warningWith(a.warnings, 'unknown config key from init options: reporting.back');

  const hostile = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('no keys for you');
      },
    }
  );
  const b = resolve({ metrics: hostile });
  warningWith(b.warnings, 'init option metrics', 'no keys for you');

  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { serviceName: 'bare' });
  t.is(resolve(bare).config.serviceName, 'bare');

  const circularMap: Record<string, unknown> = { a: '1' };
  circularMap.loop = circularMap;
  const c = resolve({ resourceAttributes: circularMap });
  t.deepEqual(c.config.resourceAttributes, {});
  warningWith(c.warnings, 'init option resourceAttributes', 'resource_attributes', 'a map of strings');
});

test('huge strings: rejected, and the warning shows at most 100 chars of them', (t) => {
  const huge = 'a'.repeat(1_000_000);
  const { config, warnings } = resolve(
    { reporting: { endpoint: `http://${huge}` } },
    { CK_SERVICE_NAME: huge, CK_REDACTION_HEADER_NAMES: `${huge},x`, OTEL_RESOURCE_ATTRIBUTES: `k=${huge}` }
  );
  t.is(config.serviceName, defaults.serviceName);
  t.is(config.reporting.endpoint, 'http://localhost:4317');
  t.deepEqual(config.redaction.headerNames, defaults.redaction.headerNames);
  t.deepEqual(config.resourceAttributes, {});
  t.is(warnings.length, 4);
  for (const w of warnings) {
    t.true(w.length < 400, `warning of ${w.length} chars`);
    t.regex(w, /\(1000\d{3} chars\)/);
  }
  warningWith(warnings, 'env CK_SERVICE_NAME', 'service_name');
  warningWith(warnings, 'init option reporting.endpoint', 'reporting.endpoint');
});

test('control characters are escaped in warnings (no forged log lines)', (t) => {
  const { warnings } = resolve({}, { CK_LOG_LEVEL: 'warn\n[ck-agent] error: forged\u001b[31m' });
  t.is(warnings.length, 1);
  // eslint-disable-next-line no-control-regex -- the escape character is what must not appear
  t.false(/[\n\u001b]/.test(warnings[0]));
  t.true(warnings[0].includes('\\n[ck-agent] error: forged\\x1b[31m'));
});

test('secrets are never shown in warnings', (t) => {
  const { config, warnings } = resolve(
    { reporting: { token: 'super-secret\u0000token' } },
    { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer top-secret,broken', CK_REPORTING_TOKEN: 'env-token' }
  );
  t.is(config.reporting.token, 'env-token');
  // the generic headers variable feeds two keys (trace and metric headers): one warning each
  warningWith(warnings, 'env OTEL_EXPORTER_OTLP_HEADERS', 'reporting.trace_headers');
  warningWith(warnings, 'env OTEL_EXPORTER_OTLP_HEADERS', 'reporting.metric_headers');
  warningWith(warnings, 'init option reporting.token', 'reporting.token');
  t.is(warnings.length, 3);
  for (const w of warnings) {
    t.false(w.includes('secret'), w);
    t.true(w.includes('<hidden'), w);
  }
});

test('OTEL_PROPAGATORS: unknown entries warn and are dropped; nothing usable falls back', (t) => {
  const partly = resolve({}, { OTEL_PROPAGATORS: 'b3multi,jaeger,baggage' });
  t.deepEqual(partly.config.propagationFormats, ['B3MULTI', 'BAGGAGE']);
  warningWith(partly.warnings, 'env OTEL_PROPAGATORS', '"jaeger"', 'entry ignored');
  t.is(partly.warnings.length, 1);
  const none = resolve({}, { OTEL_PROPAGATORS: 'xray,ottrace' });
  t.deepEqual(none.config.propagationFormats, ['TRACECONTEXT', 'BAGGAGE']);
  t.is(none.warnings.length, 2);
});

test('OTLP protocol: an unknown value warns and changes nothing', (t) => {
  const { config, warnings } = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' });
  t.is(config.reporting.metricReporterType, 'OTLP');
  warningWith(warnings, 'env OTEL_EXPORTER_OTLP_PROTOCOL', '"carrier-pigeon"', 'grpc, http/protobuf or http/json');
});

test('OTEL_SDK_DISABLED and OTEL_LOG_LEVEL with junk values warn with what they accept', (t) => {
  const { config, warnings } = resolve({}, { OTEL_SDK_DISABLED: 'yes please', OTEL_LOG_LEVEL: 'chatty' });
  t.false(config.enabled, 'an unrecognised value for enabled fails safe, whatever variable carries it');
  t.is(config.logLevel, 'warn');
  warningWith(warnings, 'env OTEL_SDK_DISABLED', 'enabled', '"yes please"', 'expected true or false', 'ck-agent is disabled');
  warningWith(warnings, 'env OTEL_LOG_LEVEL', 'log_level', '"chatty"', 'none, error, warn, info, debug, verbose, all');
});

test('an invalid value is reported even when a higher source overrides it', (t) => {
  const { config, warnings } = resolve({ metrics: { maxPaths: 9 } }, { CK_METRICS_MAX_PATHS: 'lots' });
  t.is(config.metrics.maxPaths, 9);
  warningWith(warnings, 'env CK_METRICS_MAX_PATHS', '"lots"');
});

test('never throws in non-strict mode, whatever it is given (seeded fuzz)', (t) => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atoms: unknown[] = [
    null,
    undefined,
    0,
    -1,
    1.5,
    NaN,
    Infinity,
    '',
    ' ',
    'true',
    'none',
    'a,b',
    'k=v',
    '%zz',
    '\u0000',
    [],
    [1, 'x'],
    {},
    { a: { b: 1 } },
    () => 1,
    Symbol('s'),
    10n,
    new Date(0),
    /re/,
    new Map(),
    'x'.repeat(20000),
  ];
  const { FIELDS } = require('../../src/config/schema') as typeof import('../../src/config/schema');
  for (let round = 0; round < 300; round++) {
    const options: Record<string, unknown> = {};
    const env: Record<string, string> = {};
    for (let i = 0; i < 6; i++) {
      const field = FIELDS[rand(FIELDS.length)];
      let node: unknown = options;
      for (const seg of field.camelPath.slice(0, -1)) {
        if (!node || typeof node !== 'object') break;
        const parent = node as Record<string, unknown>;
        node = parent[seg] ??= rand(8) === 0 ? atoms[rand(atoms.length)] : {};
      }
      if (node && typeof node === 'object')
        (node as Record<string, unknown>)[field.camelPath[field.camelPath.length - 1]] = atoms[rand(atoms.length)];
      const atom = atoms[rand(atoms.length)];
      env[`${['CK_', 'HT_'][rand(2)]}${field.envSuffix}`] =
        typeof atom === 'string' ? atom : String(typeof atom === 'symbol' ? 'sym' : atom);
    }
    env.OTEL_EXPORTER_OTLP_PROTOCOL = ['grpc', 'http/json', 'x'][rand(3)];
    env.OTEL_PROPAGATORS = ['none', 'b3,zz', ''][rand(3)];
    delete env.CK_STRICT;
    delete env.HT_STRICT;
    delete options.strict;
    const { config } = resolve(options, env);
    t.true(Object.isFrozen(config));
    t.is(typeof config.serviceName, 'string');
  }
});
