/**
 * Environment sources: the OpenTelemetry variable mapping, the HT_/CK_ naming rule and its value
 * syntax (booleans, lists, maps), and the derived rules (protocol, endpoints, token header).
 */
import test from 'ava';
import { defaultConfig } from '../../src/config';
import { fixture, resolve, warningWith } from './helpers';

const defaults = defaultConfig();

for (const [vars, enabled] of [
  [{ OTEL_SDK_DISABLED: 'true' }, false],
  [{ OTEL_SDK_DISABLED: 'TRUE' }, false],
  [{ OTEL_SDK_DISABLED: 'false' }, true],
  [{ CK_ENABLED: 'false' }, false],
  [{ CK_ENABLED: '0' }, false],
  [{ HT_ENABLED: 'FaLsE' }, false],
  [{ OTEL_SDK_DISABLED: 'true', CK_ENABLED: 'true' }, true],
  [{ CK_ENABLED: '1', OTEL_SDK_DISABLED: 'false' }, true],
] as const) {
  test(`enabled: ${JSON.stringify(vars)} -> ${enabled}`, (t) => {
    const { config, warnings } = resolve({}, vars);
    t.is(config.enabled, enabled);
    t.deepEqual(warnings, []);
  });
}

test('enabled: init option enabled:false wins over env', (t) => {
  t.false(resolve({ enabled: false }, { CK_ENABLED: 'true' }).config.enabled);
});

test('OTEL_SERVICE_NAME and service.name in OTEL_RESOURCE_ATTRIBUTES', (t) => {
  const fromAttributes = resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-svc,team=core' }).config;
  t.is(fromAttributes.serviceName, 'attr-svc');
  t.deepEqual(fromAttributes.resourceAttributes, { team: 'core' });
  const both = resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-svc', OTEL_SERVICE_NAME: 'named-svc' }).config;
  t.is(both.serviceName, 'named-svc');
  t.deepEqual(both.resourceAttributes, {});
});

test('OTEL_RESOURCE_ATTRIBUTES: trimmed and percent-decoded; malformed warns and is dropped whole', (t) => {
  const ok = resolve({}, { OTEL_RESOURCE_ATTRIBUTES: ' k8s.pod.name = pod%201 , note=a%2Cb%3Dc ,, ' });
  t.deepEqual(ok.config.resourceAttributes, { 'k8s.pod.name': 'pod 1', note: 'a,b=c' });
  t.deepEqual(ok.warnings, []);
  const bad = resolve({}, { OTEL_RESOURCE_ATTRIBUTES: 'good=1,broken' });
  t.deepEqual(bad.config.resourceAttributes, {});
  warningWith(bad.warnings, 'env OTEL_RESOURCE_ATTRIBUTES', 'resource_attributes', '"good=1,broken"');
});

test('OTEL_PROPAGATORS maps to propagation formats; none is the empty list', (t) => {
  t.deepEqual(resolve({}, { OTEL_PROPAGATORS: 'tracecontext, baggage,b3 ,B3MULTI' }).config.propagationFormats, [
    'TRACECONTEXT',
    'BAGGAGE',
    'B3',
    'B3MULTI',
  ]);
  t.deepEqual(resolve({}, { OTEL_PROPAGATORS: 'none' }).config.propagationFormats, []);
  t.deepEqual(resolve({}, { OTEL_PROPAGATORS: 'b3', CK_PROPAGATION_FORMATS: 'tracecontext' }).config.propagationFormats, ['TRACECONTEXT']);
});

test('OTEL_TRACES_SAMPLER / _ARG', (t) => {
  const { config, warnings } = resolve({}, { OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
  t.deepEqual(warnings, []);
  t.is(config.tracing.sampler, 'parentbased_traceidratio');
  t.is(config.tracing.samplerArg, 0.25);
  t.is(defaults.tracing.samplerArg, undefined);
});

test('OTLP endpoints: generic sets both signals, per-signal wins', (t) => {
  const generic = resolve({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }).config.reporting;
  t.is(generic.endpoint, 'http://collector:4317');
  t.is(generic.metricEndpoint, 'http://collector:4317');
  const specific = resolve(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://metrics.example:4317',
    }
  ).config.reporting;
  t.is(specific.endpoint, 'https://traces.example/v1/traces');
  t.is(specific.metricEndpoint, 'https://metrics.example:4317');
});

test('OTLP headers: generic + per-signal merged, percent-decoded, names lower-cased', (t) => {
  const { config, warnings } = resolve(
    {},
    {
      OTEL_EXPORTER_OTLP_HEADERS: 'X-Tenant=acme,X-Note=a%20b',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces-only',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-extra=1',
    }
  );
  t.deepEqual(warnings, []);
  t.deepEqual(config.reporting.traceHeaders, { 'x-tenant': 'traces-only', 'x-note': 'a b' });
  t.deepEqual(config.reporting.metricHeaders, { 'x-tenant': 'acme', 'x-note': 'a b', 'x-extra': '1' });
});

test('OTLP protocol: http/protobuf turns OTLP into OTLP_HTTP (per signal), leaves other reporter types', (t) => {
  const metricsOnly = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).config.reporting;
  t.is(metricsOnly.metricReporterType, 'OTLP_HTTP');
  t.is(metricsOnly.traceReporterType, 'NONE', 'NONE is not an OTLP type: untouched');
  t.is(metricsOnly.metricEndpoint, 'http://localhost:4318/v1/metrics');

  const both = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', CK_REPORTING_TRACE_REPORTER_TYPE: 'OTLP' }).config.reporting;
  t.is(both.traceReporterType, 'OTLP_HTTP');
  t.is(both.endpoint, 'http://localhost:4318/v1/traces');

  const perSignal = resolve(
    {},
    {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      CK_REPORTING_TRACE_REPORTER_TYPE: 'otlp',
    }
  ).config.reporting;
  t.is(perSignal.traceReporterType, 'OTLP_HTTP');
  t.is(perSignal.metricReporterType, 'OTLP');
  t.is(perSignal.metricEndpoint, 'http://localhost:4317');

  const untouched = resolve(
    {},
    {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      CK_REPORTING_TRACE_REPORTER_TYPE: 'ZIPKIN',
      CK_REPORTING_METRIC_REPORTER_TYPE: 'PROMETHEUS',
    }
  ).config.reporting;
  t.is(untouched.traceReporterType, 'ZIPKIN');
  t.is(untouched.endpoint, 'http://localhost:9411/api/v2/spans');
  t.is(untouched.metricReporterType, 'PROMETHEUS');
});

test('OTLP protocol: grpc keeps OTLP and leaves an explicit OTLP_HTTP', (t) => {
  const r = resolve({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', CK_REPORTING_TRACE_REPORTER_TYPE: 'OTLP_HTTP' }).config.reporting;
  t.is(r.traceReporterType, 'OTLP_HTTP');
  t.is(r.metricReporterType, 'OTLP');
});

test('OTLP protocol: http/json warns and is treated as http/protobuf', (t) => {
  const { config, warnings } = resolve({}, { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' });
  t.is(config.reporting.metricReporterType, 'OTLP_HTTP');
  warningWith(warnings, 'env OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/json', 'http/protobuf');
});

test('OTLP generic endpoint with http/protobuf gets the signal paths appended', (t) => {
  const r = resolve(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      CK_REPORTING_TRACE_REPORTER_TYPE: 'OTLP',
    }
  ).config.reporting;
  t.is(r.endpoint, 'http://collector:4318/v1/traces');
  t.is(r.metricEndpoint, 'http://collector:4318/v1/metrics');
  const explicit = resolve({}, { CK_REPORTING_ENDPOINT: 'http://collector:4318', CK_REPORTING_TRACE_REPORTER_TYPE: 'OTLP_HTTP' }).config
    .reporting;
  t.is(explicit.endpoint, 'http://collector:4318', 'an explicit endpoint is used as given');
});

test('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', (t) => {
  for (const [text, value] of [
    ['cumulative', 'CUMULATIVE'],
    ['Delta', 'DELTA'],
    ['LOWMEMORY', 'LOWMEMORY'],
  ] as const) {
    t.is(resolve({}, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: text }).config.metrics.temporality, value);
  }
});

test('OTEL metric export interval and timeout', (t) => {
  const m = resolve({}, { OTEL_METRIC_EXPORT_INTERVAL: '10000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' }).config.metrics;
  t.is(m.exportIntervalMs, 10000);
  t.is(m.exportTimeoutMs, 5000);
});

test('OTEL_BSP_* set the batch settings', (t) => {
  const { config, warnings } = resolve(
    {},
    {
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1024',
      OTEL_BSP_EXPORT_TIMEOUT: '9000',
    }
  );
  t.deepEqual(warnings, []);
  t.deepEqual(config.tracing.batch, {
    scheduleDelayMillis: 100,
    maxQueueSize: 4096,
    maxExportBatchSize: 1024,
    exportTimeoutMillis: 9000,
  });
});

test('attribute limits: generic and span-specific variables (span-specific wins)', (t) => {
  const generic = resolve({}, { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256', OTEL_ATTRIBUTE_COUNT_LIMIT: '64' }).config.tracing;
  t.is(generic.attributeValueLengthLimit, 256);
  t.is(generic.attributeCountLimit, 64);
  const specific = resolve(
    {},
    {
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '512',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '32',
    }
  ).config.tracing;
  t.is(specific.attributeValueLengthLimit, 512);
  t.is(specific.attributeCountLimit, 32);
  t.is(defaults.tracing.attributeValueLengthLimit, Infinity);
  const unlimited = resolve({}, { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256', CK_TRACING_ATTRIBUTE_VALUE_LENGTH_LIMIT: 'Infinity' });
  t.is(unlimited.config.tracing.attributeValueLengthLimit, Infinity);
  t.deepEqual(unlimited.warnings, []);
  t.is(defaults.tracing.attributeCountLimit, 128);
});

for (const [otel, ours] of [
  ['none', 'error'],
  ['error', 'error'],
  ['WARN', 'warn'],
  ['info', 'info'],
  ['debug', 'debug'],
  ['verbose', 'debug'],
  ['ALL', 'debug'],
] as const) {
  test(`OTEL_LOG_LEVEL=${otel} -> ${ours}`, (t) => {
    t.is(resolve({}, { OTEL_LOG_LEVEL: otel }).config.logLevel, ours);
  });
}

test('CK_LOG_LEVEL wins over OTEL_LOG_LEVEL', (t) => {
  t.is(resolve({}, { OTEL_LOG_LEVEL: 'debug', CK_LOG_LEVEL: 'ERROR' }).config.logLevel, 'error');
});

test('HT_/CK_ naming: prefix + upper snake path for every kind of field', (t) => {
  const { config, warnings } = resolve(
    {},
    {
      CK_DATA_CAPTURE_HTTP_BODY_REQUEST: 'False',
      HT_DATA_CAPTURE_RPC_METADATA_RESPONSE: '0',
      CK_REPORTING_TRACE_REPORTER_TYPE: 'logging',
      HT_REPORTING_METRIC_REPORTER_TYPE: 'METRIC_REPORTER_TYPE_PROMETHEUS',
      CK_METRICS_MAX_PATHS: ' 50 ',
      CK_METRICS_QUANTILES: '0.99, 0.5,0.5',
      CK_SLOW_SPAN_THRESHOLD_MS: '250',
      CK_SERVICE_NAME: '  spaced  ',
      HT_DATA_CAPTURE_ALLOWED_CONTENT_TYPES: ' JSON, ,text/plain,,',
      CK_REDACTION_BODY_KEYS: 'none',
      CK_RESOURCE_ATTRIBUTES: 'a=1,b=x%3Dy',
      CK_REPORTING_SECURE: 'TRUE',
      CK_TRACING_BATCH_SCHEDULE_DELAY_MILLIS: '0',
      CK_INSTRUMENTATIONS: 'HTTP, pg',
    }
  );
  t.deepEqual(warnings, []);
  t.false(config.dataCapture.httpBody.request);
  t.true(config.dataCapture.httpBody.response);
  t.false(config.dataCapture.rpcMetadata.response);
  t.is(config.reporting.traceReporterType, 'LOGGING');
  t.is(config.reporting.metricReporterType, 'PROMETHEUS');
  t.is(config.metrics.maxPaths, 50);
  t.deepEqual(config.metrics.quantiles, [0.5, 0.99]);
  t.is(config.slowSpanThresholdMs, 250);
  t.is(config.serviceName, 'spaced');
  t.deepEqual(config.dataCapture.allowedContentTypes, ['json', 'text/plain']);
  t.deepEqual(config.redaction.bodyKeys, []);
  t.deepEqual(config.resourceAttributes, { a: '1', b: 'x=y' });
  t.true(config.reporting.secure);
  t.is(config.tracing.batch.scheduleDelayMillis, 0);
  t.deepEqual(config.instrumentations, ['http', 'pg']);
});

test('Hypertrace UNSPECIFIED reporter types mean "not set"', (t) => {
  const { config, warnings } = resolve(
    {},
    {
      HT_REPORTING_TRACE_REPORTER_TYPE: 'ZIPKIN',
      CK_REPORTING_TRACE_REPORTER_TYPE: 'UNSPECIFIED',
      CK_REPORTING_METRIC_REPORTER_TYPE: 'METRIC_REPORTER_TYPE_UNSPECIFIED',
    }
  );
  t.deepEqual(warnings, []);
  t.is(config.reporting.traceReporterType, 'ZIPKIN');
  t.is(config.reporting.metricReporterType, 'OTLP');
});

test('empty or blank variables count as not set', (t) => {
  const { config, warnings } = resolve(
    {},
    { CK_SERVICE_NAME: '', OTEL_SERVICE_NAME: '   ', CK_METRICS_MAX_PATHS: '', OTEL_PROPAGATORS: '' }
  );
  t.deepEqual(warnings, []);
  t.is(config.serviceName, defaults.serviceName);
  t.is(config.metrics.maxPaths, 2000);
  t.deepEqual(config.propagationFormats, ['TRACECONTEXT', 'BAGGAGE']);
});

test('token: adds authorization: Bearer to both export header maps', (t) => {
  const { config } = resolve({}, { CK_REPORTING_TOKEN: 'abc123', OTEL_EXPORTER_OTLP_HEADERS: 'x-a=1' });
  t.deepEqual(config.reporting.traceHeaders, { 'x-a': '1', authorization: 'Bearer abc123' });
  t.deepEqual(config.reporting.metricHeaders, { 'x-a': '1', authorization: 'Bearer abc123' });
});

test('token: an authorization header already set is kept', (t) => {
  const { config } = resolve({ reporting: { token: 'abc123' } }, { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Authorization=Basic%20xyz' });
  t.deepEqual(config.reporting.traceHeaders, { authorization: 'Basic xyz' });
  t.deepEqual(config.reporting.metricHeaders, { authorization: 'Bearer abc123' });
});

test('token: none set, no header', (t) => {
  const { config } = resolve();
  t.deepEqual(config.reporting.traceHeaders, {});
  t.deepEqual(config.reporting.metricHeaders, {});
});

test('the config file path is read from CK_CONFIG_FILE before HT_CONFIG_FILE', (t) => {
  const { config, warnings } = resolve(
    {},
    { CK_CONFIG_FILE: fixture('precedence.yaml'), HT_CONFIG_FILE: fixture('hypertrace-agent-config.yaml') }
  );
  t.deepEqual(warnings, []);
  t.is(config.serviceName, 'svc-file');
  t.is(resolve({}, { HT_CONFIG_FILE: fixture('hypertrace-agent-config.yaml') }).config.serviceName, 'orders-ht');
});
