/**
 * Defaults: the config.md tables, and the service name from the app's package.json.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { defaultConfig, findAppPackage } from '../../src/config';
import { FALLBACK_SERVICE_NAME } from '../../src/config/defaults';
import { fixture, resolve } from './helpers';
import { makeTempDir } from '../../fixtures/temp-dir';

test('defaultConfig follows the config.md tables', (t) => {
  const c = defaultConfig();
  t.true(c.enabled);
  t.deepEqual(c.propagationFormats, ['TRACECONTEXT', 'BAGGAGE']);
  t.deepEqual(c.resourceAttributes, {});
  t.deepEqual(c.resourceDetectors, ['env', 'host', 'os', 'process', 'container', 'k8s']);
  t.deepEqual(c.peerServiceMapping, {});
  t.like(c.reporting, {
    endpoint: 'http://localhost:4317',
    secure: false,
    token: '',
    certFile: '',
    traceReporterType: 'NONE',
    metricEndpoint: 'http://localhost:4317',
    metricReporterType: 'OTLP',
    enableGrpcLoadbalancing: false,
    logFile: '',
  });
  for (const sw of [c.dataCapture.httpHeaders, c.dataCapture.httpBody, c.dataCapture.rpcMetadata, c.dataCapture.rpcBody]) {
    t.deepEqual(sw, { request: true, response: true });
  }
  t.is(c.dataCapture.bodyMaxSizeBytes, 131072);
  t.is(c.dataCapture.bodyMaxProcessingSizeBytes, 1048576);
  t.deepEqual(c.dataCapture.allowedContentTypes, ['json', 'x-www-form-urlencoded', 'graphql']);
  t.deepEqual(c.telemetry, { startupSpanEnabled: false, metricsEnabled: true });
  t.deepEqual(c.metrics, {
    exportIntervalMs: 60000,
    exportTimeoutMs: 30000,
    maxPaths: 2000,
    minCalls: 1,
    quantiles: [0.5, 0.9, 0.95, 0.99, 1],
    prometheusHost: '0.0.0.0',
    prometheusPort: 9464,
    temporality: 'CUMULATIVE',
    runtimeEnabled: false,
  });
  t.deepEqual(c.tracing, {
    sampler: 'parentbased_always_on',
    samplerArg: undefined,
    batch: { scheduleDelayMillis: 5000, maxQueueSize: 2048, maxExportBatchSize: 512, exportTimeoutMillis: 30000 },
    attributeValueLengthLimit: Infinity,
    attributeCountLimit: 128,
  });
  t.deepEqual(c.redaction.headerNames, [
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'x-auth-token',
    'x-csrf-token',
  ]);
  t.deepEqual(c.redaction.bodyKeys, [
    'pass',
    'secret',
    'token',
    'api[-_]?key',
    'authorization',
    'credential',
    'card[-_]?number',
    'cvv',
    'ssn',
  ]);
  t.false(c.redaction.applyToFilters);
  t.deepEqual(c.instrumentations, [
    'http',
    'undici',
    'express',
    'koa',
    'fastify',
    'grpc',
    'ioredis',
    'redis',
    'mongodb',
    'pg',
    'mysql2',
    'amqplib',
    'kafkajs',
  ]);
  t.is(c.slowSpanThresholdMs, 100);
  t.is(c.logLevel, 'warn');
  t.false(c.strict);
});

test('defaultConfig returns a fresh mutable object each time', (t) => {
  const a = defaultConfig();
  a.redaction.headerNames.push('x-mine');
  a.metrics.maxPaths = 1;
  const b = defaultConfig();
  t.false(b.redaction.headerNames.includes('x-mine'));
  t.is(b.metrics.maxPaths, 2000);
});

test('service name default: this repository package.json from the working directory', (t) => {
  // Under ava, require.main is the test worker inside node_modules, which is skipped.
  t.is(defaultConfig().serviceName, 'ck-agent');
  t.is(resolve().config.serviceName, 'ck-agent');
});

test('findAppPackage walks up from a nested directory to the nearest named package.json', (t) => {
  const found = findAppPackage([fixture('pkg-app/src/deep')]);
  t.deepEqual(found, { name: 'fixture-app', version: '1.2.3', file: fixture('pkg-app/package.json') });
});

test('findAppPackage skips malformed and nameless package.json files', (t) => {
  t.is(findAppPackage([fixture('pkg-app/broken/inner')])?.name, 'fixture-app');
  t.is(findAppPackage([fixture('pkg-app/nameless/inner')])?.name, 'fixture-app');
});

test('findAppPackage skips start directories inside node_modules (tools, not the app)', (t) => {
  const found = findAppPackage([path.resolve('node_modules/ava/lib/worker'), fixture('pkg-app/src')]);
  t.is(found?.name, 'fixture-app');
});

test('findAppPackage: nothing found -> undefined; missing directories never throw', (t) => {
  const empty = makeTempDir('ck-config-nopkg-');
  try {
    const found = findAppPackage([path.join(empty, 'missing', 'dir'), empty]);
    // Only a package.json above the temp dir (unusual) could be found.
    t.true(found === undefined || !found.file.startsWith(empty));
    t.is(findAppPackage([]), undefined);
    t.is(FALLBACK_SERVICE_NAME, 'unknown_service:node');
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

/** Runs a CommonJS file in a child process with tsx loaded by absolute path (cwd may be anywhere). */
function runNode(args: string[], cwd: string): string {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return execFileSync(process.execPath, ['--import', tsx, ...args], { cwd, encoding: 'utf8' });
}

const CONFIG_MODULE = JSON.stringify(path.resolve('src/config'));

test('service name: unknown_service:node when no package.json is found (child process in an empty dir)', (t) => {
  const empty = makeTempDir('ck-config-nopkg-');
  try {
    const out = runNode(['-e', `process.stdout.write(require(${CONFIG_MODULE}).defaultConfig().serviceName)`], empty);
    // Only a package.json above the temp dir (unusual on a build machine) could change this.
    const above = findAppPackage([empty]);
    t.is(out, above ? above.name : 'unknown_service:node');
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('service name: the main module directory is searched before the working directory', (t) => {
  const app = makeTempDir('ck-config-app-');
  const elsewhere = makeTempDir('ck-config-cwd-');
  try {
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'main-dir-app' }));
    fs.mkdirSync(path.join(app, 'lib'));
    fs.writeFileSync(path.join(app, 'lib', 'main.js'), `process.stdout.write(require(${CONFIG_MODULE}).defaultConfig().serviceName);\n`);
    fs.writeFileSync(path.join(elsewhere, 'package.json'), JSON.stringify({ name: 'cwd-app' }));
    t.is(runNode([path.join(app, 'lib', 'main.js')], elsewhere), 'main-dir-app');
    t.is(runNode(['-e', `process.stdout.write(require(${CONFIG_MODULE}).defaultConfig().serviceName)`], elsewhere), 'cwd-app');
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});
