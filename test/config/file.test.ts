/**
 * The config file: a Hypertrace agent-config.yaml works unchanged; JSON by extension; empty
 * files are fine; other agents' sections are ignored silently.
 */
import test from 'ava';
import { readConfigFile } from '../../src/config/file';
import { fixture, resolve } from './helpers';

test('a Hypertrace-shaped agent-config.yaml works unchanged, without a warning', (t) => {
  const { config, warnings } = resolve({}, { HT_CONFIG_FILE: fixture('hypertrace-agent-config.yaml') });
  t.deepEqual(warnings, [], 'javaagent, goagent and reporting.opa are ignored silently');
  t.is(config.serviceName, 'orders-ht');
  t.true(config.enabled);
  t.deepEqual(config.propagationFormats, ['B3', 'TRACECONTEXT']);
  t.deepEqual(config.reporting, {
    endpoint: 'http://collector.example:4317',
    secure: false,
    token: 'ht-token-123',
    certFile: '',
    traceReporterType: 'OTLP',
    metricEndpoint: 'http://collector.example:4317',
    metricReporterType: 'PROMETHEUS',
    enableGrpcLoadbalancing: true,
    logFile: '',
    traceHeaders: { authorization: 'Bearer ht-token-123' },
    metricHeaders: { authorization: 'Bearer ht-token-123' },
  });
  t.deepEqual(config.dataCapture, {
    httpHeaders: { request: true, response: false },
    httpBody: { request: false, response: true },
    rpcMetadata: { request: true, response: true },
    rpcBody: { request: false, response: false },
    bodyMaxSizeBytes: 65536,
    bodyMaxProcessingSizeBytes: 524288,
    allowedContentTypes: ['json', 'text/plain'],
  });
  t.deepEqual(config.resourceAttributes, { 'deployment.environment': 'staging', team: 'payments' });
  t.deepEqual(config.telemetry, { startupSpanEnabled: true, metricsEnabled: true });
});

test('HT_* variables override the Hypertrace file, CK_* override HT_*', (t) => {
  const { config, warnings } = resolve(
    {},
    {
      HT_CONFIG_FILE: fixture('hypertrace-agent-config.yaml'),
      HT_DATA_CAPTURE_HTTP_BODY_REQUEST: 'true',
      HT_SERVICE_NAME: 'ht-name',
      CK_SERVICE_NAME: 'ck-name',
    }
  );
  t.deepEqual(warnings, []);
  t.true(config.dataCapture.httpBody.request);
  t.is(config.serviceName, 'ck-name');
});

test('a JSON file with ck-agent additions', (t) => {
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: fixture('full.json') });
  t.deepEqual(warnings, []);
  t.is(config.serviceName, 'json-svc');
  t.is(config.reporting.traceReporterType, 'ZIPKIN');
  t.is(config.reporting.endpoint, 'http://localhost:9411/api/v2/spans');
  t.is(config.reporting.metricReporterType, 'LOGGING');
  t.is(config.reporting.logFile, '/tmp/ck.log');
  t.like(config.metrics, { maxPaths: 10, minCalls: 0, quantiles: [0.5, 0.99], prometheusPort: 0, temporality: 'DELTA' });
  t.like(config.tracing, { sampler: 'traceidratio', samplerArg: 0.25, attributeValueLengthLimit: 4096 });
  t.deepEqual(config.redaction, { headerNames: ['x-secret'], bodyKeys: [], applyToFilters: true });
  t.deepEqual(config.instrumentations, ['http', 'pg']);
  t.is(config.slowSpanThresholdMs, 250);
  t.is(config.logLevel, 'debug');
});

test('an empty (comments only) YAML file is valid and changes nothing', (t) => {
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: fixture('empty.yaml') });
  t.deepEqual(warnings, []);
  t.is(config.metrics.maxPaths, 2000);
});

test('a relative CK_CONFIG_FILE is resolved against the working directory', (t) => {
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: 'fixtures/config/precedence.yaml' });
  t.deepEqual(warnings, []);
  t.is(config.serviceName, 'svc-file');
});

test('readConfigFile never throws and says what is wrong', (t) => {
  const missing = readConfigFile(fixture('nope.json'));
  t.false(missing.ok);
  const malformed = readConfigFile(fixture('malformed.json'));
  t.false(malformed.ok);
  if (!malformed.ok) t.regex(malformed.problem, /^malformed JSON: /);
  const good = readConfigFile(fixture('precedence.json'));
  t.true(good.ok);
});
