/**
 * resolveConfig as a whole: strict mode, the frozen result, inputs left untouched, and a
 * resolved config accepted back as init options.
 */
import test from 'ava';
import { ConfigError, resolveConfig } from '../../src/config';
import type { CKOptions } from '../../src/config/types';
import { captureWarnings, fixture, resolve } from './helpers';

function strictFailure(options: unknown, env: Record<string, string> = {}): { error: ConfigError; warnings: string[] } {
  const { result, warnings } = captureWarnings(() => {
    try {
      resolveConfig(options as CKOptions, env);
      return undefined;
    } catch (err) {
      return err;
    }
  });
  if (!(result instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(result)}`);
  return { error: result, warnings };
}

test('strict (init option): a bad value throws ConfigError listing every problem; nothing is logged', (t) => {
  const { error, warnings } = strictFailure(
    { strict: true, metrics: { maxPaths: -1 } },
    { CK_ENABLED: 'perhaps', CK_METRICS_MAXPATHS: '1' }
  );
  t.deepEqual(warnings, []);
  t.true(error instanceof Error);
  t.is(error.name, 'ConfigError');
  t.is(error.issues.length, 3);
  t.deepEqual(error.issues.map((i) => i.key).sort(), ['CK_METRICS_MAXPATHS', 'enabled', 'metrics.max_paths']);
  t.regex(error.message, /init option metrics\.maxPaths/);
  t.regex(error.message, /env CK_ENABLED/);
});

test('strict (CK_STRICT env): a malformed file throws', (t) => {
  const { error } = strictFailure({}, { CK_STRICT: 'true', CK_CONFIG_FILE: fixture('malformed.yaml') });
  t.regex(error.message, /malformed YAML/);
});

test('strict (in the file itself) applies to the whole resolution', (t) => {
  const { error } = strictFailure({}, { CK_CONFIG_FILE: fixture('strict.yaml') });
  t.is(error.issues[0].key, 'metrics.max_paths');
});

test('strict: batch > queue and unknown keys throw too', (t) => {
  t.truthy(strictFailure({ strict: true, tracing: { batch: { maxQueueSize: 10, maxExportBatchSize: 20 } } }).error);
  t.truthy(strictFailure({ strict: true, nope: 1 }).error);
});

test('strict: a clean config does not throw', (t) => {
  const config = resolveConfig({ strict: true, serviceName: 'clean' }, { CK_METRICS_MAX_PATHS: '10' });
  t.is(config.serviceName, 'clean');
  t.true(config.strict);
});

test('strict: init strict:false wins over CK_STRICT=true (warnings instead)', (t) => {
  const { config, warnings } = resolve({ strict: false }, { CK_STRICT: 'true', CK_METRICS_MAX_PATHS: 'x' });
  t.false(config.strict);
  t.is(warnings.length, 1);
});

test('non-strict: an invalid CK_STRICT itself warns and falls back to false', (t) => {
  const { config, warnings } = resolve({}, { CK_STRICT: 'very', CK_METRICS_MAX_PATHS: 'x' });
  t.false(config.strict);
  t.is(warnings.length, 2);
});

test('the result is deep-frozen, arrays and maps included', (t) => {
  const { config } = resolve({ resourceAttributes: { a: '1' } }, { CK_REPORTING_TOKEN: 't' });
  const frozen: unknown[] = [
    config,
    config.reporting,
    config.reporting.traceHeaders,
    config.dataCapture.httpBody,
    config.dataCapture.allowedContentTypes,
    config.metrics.quantiles,
    config.tracing.batch,
    config.redaction.headerNames,
    config.instrumentations,
    config.resourceAttributes,
    config.propagationFormats,
  ];
  for (const value of frozen) t.true(Object.isFrozen(value));
  t.throws(
    () => {
      (config.metrics as { maxPaths: number }).maxPaths = 1;
    },
    { instanceOf: TypeError }
  );
  t.throws(
    () => {
      config.redaction.headerNames.push('x');
    },
    { instanceOf: TypeError }
  );
});

test('inputs are never frozen or modified', (t) => {
  const attributes = { team: 'a' };
  const contentTypes = ['json'];
  const options = { resourceAttributes: attributes, dataCapture: { allowedContentTypes: contentTypes } };
  const env = { CK_RESOURCE_ATTRIBUTES: 'x=1', CK_REPORTING_TOKEN: 'tok' };
  const { config } = resolve(options, env);
  t.false(Object.isFrozen(options));
  t.false(Object.isFrozen(attributes));
  t.false(Object.isFrozen(contentTypes));
  t.deepEqual(attributes, { team: 'a' });
  t.deepEqual(env, { CK_RESOURCE_ATTRIBUTES: 'x=1', CK_REPORTING_TOKEN: 'tok' });
  t.not(config.dataCapture.allowedContentTypes, contentTypes);
});

test('a resolved config is accepted back as init options, unchanged and without warnings', (t) => {
  const first = resolve({}, { CK_CONFIG_FILE: fixture('hypertrace-agent-config.yaml'), OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
  t.deepEqual(first.warnings, []);
  const second = resolve(first.config, {});
  t.deepEqual(second.warnings, []);
  t.deepEqual(second.config, first.config);
});

test('resolveConfig() with no arguments reads process.env and never throws', (t) => {
  t.notThrows(() => resolveConfig());
});

test('a non-object env is treated as empty', (t) => {
  const { result: config, warnings } = captureWarnings(() => resolveConfig({}, null as unknown as NodeJS.ProcessEnv));
  t.deepEqual(warnings, []);
  t.is(config.metrics.maxPaths, 2000);
});

test('a log sink that throws does not make resolution throw', (t) => {
  const { logger } = require('../../src/logger') as typeof import('../../src/logger');
  logger.setSink(() => {
    throw new Error('sink down');
  });
  try {
    t.is(resolveConfig({}, { CK_METRICS_MAX_PATHS: 'x' }).metrics.maxPaths, 2000);
  } finally {
    logger.setSink(() => undefined);
  }
});
