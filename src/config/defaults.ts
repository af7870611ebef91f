/**
 * Default configuration (config.md tables) and the app's package.json lookup that supplies the
 * default service name. Nothing here throws: an unreadable or odd package.json is skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { INSTRUMENTATION_NAMES } from '../instrumentations/registry';
import { RESOURCE_DETECTOR_NAMES, type CKConfig } from './types';

export const FALLBACK_SERVICE_NAME = 'unknown_service:node';

/** Header / metadata names redacted by default (data-capture.md). */
export const DEFAULT_REDACTED_HEADER_NAMES: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-csrf-token',
];

/** Body key patterns redacted by default (data-capture.md), matched case-insensitively. */
export const DEFAULT_REDACTED_BODY_KEYS: readonly string[] = [
  'pass',
  'secret',
  'token',
  'api[-_]?key',
  'authorization',
  'credential',
  'card[-_]?number',
  'cvv',
  'ssn',
];

/** How many directories above a start directory are searched for package.json. */
const MAX_PACKAGE_SEARCH_DEPTH = 10;
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

export interface AppPackage {
  name: string;
  version?: string;
  /** Absolute path of the package.json found. */
  file: string;
}

/**
 * The nearest package.json with a usable `name`, searched upwards from each start directory in
 * turn (default: the main module's directory, then the working directory). Start directories
 * inside node_modules are skipped: there require.main is a tool (a test runner, a CLI), not the
 * app. Malformed or unreadable package.json files are skipped.
 */
export function findAppPackage(startDirs: readonly string[] = defaultStartDirs()): AppPackage | undefined {
  for (const start of startDirs) {
    if (!start || start.split(path.sep).includes('node_modules')) continue;
    let dir = path.resolve(start);
    for (let depth = 0; depth <= MAX_PACKAGE_SEARCH_DEPTH; depth++) {
      const found = readPackage(path.join(dir, 'package.json'));
      if (found) return found;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function defaultStartDirs(): string[] {
  const dirs: string[] = [];
  try {
    const mainFile = require.main?.filename;
    if (mainFile) dirs.push(path.dirname(mainFile));
  } catch {
    // no main module (REPL, --require preload): the working directory decides
  }
  try {
    dirs.push(process.cwd());
  } catch {
    // the working directory was deleted
  }
  return dirs;
}

function readPackage(file: string): AppPackage | undefined {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat || !stat.isFile() || stat.size > MAX_PACKAGE_JSON_BYTES) return undefined;
    const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof json !== 'object' || json === null) return undefined;
    const { name, version } = json as { name?: unknown; version?: unknown };
    if (typeof name !== 'string' || name.trim() === '' || name.length > 214) return undefined;
    return { name: name.trim(), version: typeof version === 'string' ? version : undefined, file };
  } catch {
    return undefined;
  }
}

/** The default service name: the app's package.json name, else `unknown_service:node`. */
export function defaultServiceName(): string {
  return findAppPackage()?.name ?? FALLBACK_SERVICE_NAME;
}

/** A fresh, mutable default configuration (OTEL_SERVICE_NAME is applied by the env layer). */
export function defaultConfig(): CKConfig {
  return {
    serviceName: defaultServiceName(),
    enabled: true,
    workerThreadsEnabled: false,
    propagationFormats: ['TRACECONTEXT', 'BAGGAGE'],
    resourceAttributes: {},
    resourceDetectors: [...RESOURCE_DETECTOR_NAMES],
    peerServiceMapping: {},
    reporting: {
      endpoint: 'http://localhost:4317',
      secure: false,
      token: '',
      certFile: '',
      traceReporterType: 'NONE',
      metricEndpoint: 'http://localhost:4317',
      metricReporterType: 'OTLP',
      enableGrpcLoadbalancing: false,
      logFile: '',
      traceHeaders: {},
      metricHeaders: {},
    },
    dataCapture: {
      httpHeaders: { request: true, response: true },
      httpBody: { request: true, response: true },
      rpcMetadata: { request: true, response: true },
      rpcBody: { request: true, response: true },
      bodyMaxSizeBytes: 131072,
      bodyMaxProcessingSizeBytes: 1048576,
      allowedContentTypes: ['json', 'x-www-form-urlencoded', 'graphql'],
    },
    telemetry: { startupSpanEnabled: false, metricsEnabled: true },
    metrics: {
      exportIntervalMs: 60000,
      exportTimeoutMs: 30000,
      maxPaths: 2000,
      minCalls: 1,
      quantiles: [0.5, 0.9, 0.95, 0.99, 1],
      prometheusHost: '0.0.0.0',
      prometheusPort: 9464,
      temporality: 'CUMULATIVE',
      runtimeEnabled: false,
    },
    tracing: {
      sampler: 'parentbased_always_on',
      samplerArg: undefined,
      batch: { scheduleDelayMillis: 5000, maxQueueSize: 2048, maxExportBatchSize: 512, exportTimeoutMillis: 30000 },
      attributeValueLengthLimit: Infinity,
      attributeCountLimit: 128,
    },
    redaction: {
      headerNames: [...DEFAULT_REDACTED_HEADER_NAMES],
      bodyKeys: [...DEFAULT_REDACTED_BODY_KEYS],
      applyToFilters: false,
    },
    instrumentations: [...INSTRUMENTATION_NAMES],
    slowSpanThresholdMs: 100,
    shutdownTimeoutMs: 5000,
    logStartup: true,
    logLevel: 'warn',
    strict: false,
  };
}
