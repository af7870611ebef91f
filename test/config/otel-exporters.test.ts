/**
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER mapped to the reporter types, in the precedence
 * order (OTEL below HT_*, CK_*, init options); OTEL_EXPERIMENTAL_RESOURCE_DETECTORS and
 * resource_detectors; peer_service_mapping; metrics.runtime_enabled.
 */
import test from 'ava';
import { resolveConfig } from '../../src/config';
import { resolve, warningWith } from './helpers';

for (const [vars, expected] of [
  [{ OTEL_TRACES_EXPORTER: 'otlp' }, 'OTLP'],
  [{ OTEL_TRACES_EXPORTER: 'OTLP' }, 'OTLP'],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }, 'OTLP_HTTP'],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, 'OTLP_HTTP'],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'OTLP'],
  [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'ZIPKIN'],
  [{ OTEL_TRACES_EXPORTER: 'console' }, 'LOGGING'],
  [{ OTEL_TRACES_EXPORTER: 'none' }, 'NONE'],
  [{ OTEL_TRACES_EXPORTER: 'otlp', HT_REPORTING_TRACE_REPORTER_TYPE: 'ZIPKIN' }, 'ZIPKIN'],
  [{ OTEL_TRACES_EXPORTER: 'zipkin', CK_REPORTING_TRACE_REPORTER_TYPE: 'LOGGING' }, 'LOGGING'],
] as const) {
  test(`traces exporter: ${JSON.stringify(vars)} -> ${expected}`, (t) => {
    const { config, warnings } = resolve({}, vars);
    t.is(config.reporting.traceReporterType, expected);
    t.deepEqual(warnings, []);
  });
}

for (const [vars, expected] of [
  [{ OTEL_METRICS_EXPORTER: 'otlp' }, 'OTLP'],
  [{ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' }, 'OTLP_HTTP'],
  [{ OTEL_METRICS_EXPORTER: 'prometheus' }, 'PROMETHEUS'],
  [{ OTEL_METRICS_EXPORTER: 'console' }, 'LOGGING'],
  [{ OTEL_METRICS_EXPORTER: 'none' }, 'NONE'],
  [{ OTEL_METRICS_EXPORTER: 'prometheus', CK_REPORTING_METRIC_REPORTER_TYPE: 'OTLP' }, 'OTLP'],
] as const) {
  test(`metrics exporter: ${JSON.stringify(vars)} -> ${expected}`, (t) => {
    const { config, warnings } = resolve({}, vars);
    t.is(config.reporting.metricReporterType, expected);
    t.deepEqual(warnings, []);
  });
}

test('exporter variables: the endpoint default follows the mapped reporter type', (t) => {
  t.is(resolve({}, { OTEL_TRACES_EXPORTER: 'zipkin' }).config.reporting.endpoint, 'http://localhost:9411/api/v2/spans');
  t.is(
    resolve({}, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).config.reporting.endpoint,
    'http://localhost:4318/v1/traces'
  );
  t.is(
    resolve({}, { OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).config.reporting.metricEndpoint,
    'http://localhost:4318/v1/metrics'
  );
});

test('init options win over the exporter variables', (t) => {
  const { config } = resolve(
    { reporting: { traceReporterType: 'NONE', metricReporterType: 'LOGGING' } },
    { OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'prometheus' }
  );
  t.is(config.reporting.traceReporterType, 'NONE');
  t.is(config.reporting.metricReporterType, 'LOGGING');
});

test('unknown exporter values: one warning each, the lower source stays', (t) => {
  const { config, warnings } = resolve({}, { OTEL_TRACES_EXPORTER: 'jaeger', OTEL_METRICS_EXPORTER: 'statsd' });
  t.is(config.reporting.traceReporterType, 'NONE');
  t.is(config.reporting.metricReporterType, 'OTLP');
  t.is(warnings.length, 2);
  warningWith(
    warnings,
    'env OTEL_TRACES_EXPORTER',
    'reporting.trace_reporter_type',
    '"jaeger"',
    'otlp, zipkin, console or none',
    'defaults'
  );
  warningWith(warnings, 'env OTEL_METRICS_EXPORTER', 'reporting.metric_reporter_type', '"statsd"', 'otlp, prometheus, console or none');
});

test('an exporter list: the first usable entry wins, the rest is reported', (t) => {
  const { config, warnings } = resolve({}, { OTEL_TRACES_EXPORTER: 'jaeger, console,otlp' });
  t.is(config.reporting.traceReporterType, 'LOGGING');
  t.is(warnings.length, 1);
  warningWith(warnings, 'env OTEL_TRACES_EXPORTER', 'using "console"', '"jaeger"', '"otlp"');
});

test('strict mode throws on an unknown exporter value', (t) => {
  t.throws(() => resolveConfig({ strict: true }, { OTEL_METRICS_EXPORTER: 'bogus' }), { message: /OTEL_METRICS_EXPORTER/ });
});

test('resource detectors: default all; OTEL_EXPERIMENTAL_RESOURCE_DETECTORS; none; all; CK wins', (t) => {
  const all = ['env', 'host', 'os', 'process', 'container', 'k8s'];
  t.deepEqual(resolve({}, {}).config.resourceDetectors, all);
  t.deepEqual(resolve({}, { OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'container, K8S,host' }).config.resourceDetectors, [
    'container',
    'k8s',
    'host',
  ]);
  t.deepEqual(resolve({}, { OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'none' }).config.resourceDetectors, []);
  t.deepEqual(resolve({}, { OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'all' }).config.resourceDetectors, all);
  t.deepEqual(resolve({}, { OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'otel,kubernetes,serviceinstance' }).config.resourceDetectors, [
    'env',
    'k8s',
  ]);
  t.deepEqual(resolve({}, { OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'none', CK_RESOURCE_DETECTORS: 'os' }).config.resourceDetectors, ['os']);
  t.deepEqual(resolve({ resourceDetectors: ['all'] as never }, { CK_RESOURCE_DETECTORS: 'none' }).config.resourceDetectors, all);
});

test('resource detectors: unsupported entries are warned about and dropped', (t) => {
  const { config, warnings } = resolve({}, { OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'aws,container' });
  t.deepEqual(config.resourceDetectors, ['container']);
  warningWith(warnings, 'env OTEL_EXPERIMENTAL_RESOURCE_DETECTORS', 'unsupported resource detector "aws"');
  const bad = resolve({}, { CK_RESOURCE_DETECTORS: 'container,gcp' });
  t.is(bad.config.resourceDetectors.length, 6, 'an invalid CK_ list falls back to the default');
  warningWith(bad.warnings, 'env CK_RESOURCE_DETECTORS', '"gcp"');
});

test('without the env detector, OTEL_RESOURCE_ATTRIBUTES is not applied; other sources are', (t) => {
  const env = {
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=p,service.name=from-attrs',
    CK_RESOURCE_ATTRIBUTES: 'team=core',
  };
  const withEnv = resolve({}, env).config;
  t.deepEqual(withEnv.resourceAttributes, { 'k8s.pod.name': 'p', team: 'core' });
  const without = resolve(
    { resourceAttributes: { tier: 'gold' } },
    { ...env, OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: 'host,container' }
  ).config;
  t.deepEqual(without.resourceAttributes, { team: 'core', tier: 'gold' });
  t.is(without.serviceName, 'from-attrs', 'the service name is identity, not detection: it still applies');
});

test('peer_service_mapping: map syntax, lower-cased hosts, merged across sources', (t) => {
  const { config, warnings } = resolve(
    { peerServiceMapping: { 'Billing.internal:8443': 'billing' } },
    { CK_PEER_SERVICE_MAPPING: 'db.local:5432=orders-db,Cache.Local=sessions' }
  );
  t.deepEqual(config.peerServiceMapping, { 'db.local:5432': 'orders-db', 'cache.local': 'sessions', 'billing.internal:8443': 'billing' });
  t.deepEqual(warnings, []);
  const bad = resolve({}, { CK_PEER_SERVICE_MAPPING: 'no-equals-sign' });
  t.deepEqual(bad.config.peerServiceMapping, {});
  warningWith(bad.warnings, 'env CK_PEER_SERVICE_MAPPING', 'peer_service_mapping');
});

test('metrics.runtime_enabled: env and init option', (t) => {
  t.false(resolve({}, {}).config.metrics.runtimeEnabled);
  t.true(resolve({}, { CK_METRICS_RUNTIME_ENABLED: 'true' }).config.metrics.runtimeEnabled);
  t.false(resolve({ metrics: { runtimeEnabled: false } }, { HT_METRICS_RUNTIME_ENABLED: '1' }).config.metrics.runtimeEnabled);
});

test('a sampler init option is not config: no warning, not in the resolved config', (t) => {
  const sampler = { shouldSample: () => ({ decision: 1 }), toString: () => 'custom' };
  const { config, warnings } = resolve({ sampler, serviceName: 's' }, {});
  t.deepEqual(warnings, []);
  t.false('sampler' in config);
  t.is(config.serviceName, 's');
});
