/**
 * The one table of every config field. File loading (snake_case), env loading (`HT_*`/`CK_*`
 * names derived from the snake_case path), init-option validation (camelCase) and the generated
 * config reference all read this table, so a field is declared exactly once.
 */
import { INSTRUMENTATION_NAMES } from '../instrumentations/registry';
import { RESOURCE_DETECTOR_NAMES } from './types';

/** How a field's value is parsed and validated (see coerce.ts). */
export type FieldType =
  /** Any string without control characters; `nonEmpty` rejects "". */
  | { kind: 'string'; nonEmpty?: boolean }
  /** A file path (may be empty = not set). */
  | { kind: 'path' }
  /** An absolute http:// or https:// URL. */
  | { kind: 'url' }
  /** true/false, yes/no, on/off, 1/0 (any case). */
  | { kind: 'bool' }
  /**
   * An integer in [min, max] (max defaults to 2^31-1, the largest delay setTimeout honours).
   * `unlimited` also accepts Infinity (or the text `infinity`): "no limit".
   */
  | { kind: 'int'; min: number; max?: number; unlimited?: boolean }
  /** A finite number in [min, max]. */
  | { kind: 'number'; min: number; max: number }
  /**
   * One of `values`, matched case-insensitively and stored in the case of `values`.
   * `aliases` map other spellings (upper-cased) to a value; `unset` spellings mean "not set"
   * (Hypertrace's UNSPECIFIED enum members).
   */
  | { kind: 'enum'; values: readonly string[]; aliases?: Readonly<Record<string, string>>; unset?: readonly string[] }
  /**
   * A list of enum values (array, or comma-separated string; `none` = empty list). With
   * `allowAll`, the entry `all` stands for every value. With `dropInvalid` (config.md "Bad
   * configuration"), unknown entries are dropped with a warning and the valid ones kept.
   */
  | { kind: 'enumList'; values: readonly string[]; aliases?: Readonly<Record<string, string>>; allowAll?: boolean; dropInvalid?: boolean }
  /** A list of strings (array, or comma-separated string; `none` = empty list). */
  | { kind: 'list'; lowerCase?: boolean; patterns?: boolean }
  /** A string map (object, or `k1=v1,k2=v2` with percent-decoding). Merged across sources. */
  | { kind: 'map'; lowerCaseKeys?: boolean }
  /** A non-empty list of numbers in (0, 1], stored sorted and de-duplicated. */
  | { kind: 'quantiles' };

export interface FieldSpec {
  /** snake_case dotted path, as in config.md, the config file and the env var names. */
  readonly key: string;
  /** camelCase dotted path, as in init options and the resolved CKConfig. */
  readonly camel: string;
  readonly snakePath: readonly string[];
  readonly camelPath: readonly string[];
  /** Upper snake path: `HT_` / `CK_` + this is the env var name. */
  readonly envSuffix: string;
  readonly type: FieldType;
  readonly description: string;
  /** Values never shown in warnings (tokens, headers). */
  readonly secret: boolean;
  /** Text for the generated reference when the default is not a plain value. */
  readonly defaultDoc?: string;
}

interface FieldDecl {
  type: FieldType;
  description: string;
  secret?: boolean;
  defaultDoc?: string;
}

const bool = (description: string, defaultDoc?: string): FieldDecl => ({ type: { kind: 'bool' }, description, defaultDoc });
const int = (min: number, description: string, max?: number, defaultDoc?: string): FieldDecl => ({
  type: { kind: 'int', min, max },
  description,
  defaultDoc,
});

const DIRECTION_SWITCHES: Record<string, string> = {
  http_headers: 'HTTP headers',
  http_body: 'HTTP bodies',
  rpc_metadata: 'gRPC metadata',
  rpc_body: 'gRPC messages',
};

function directionFields(): Record<string, FieldDecl> {
  const out: Record<string, FieldDecl> = {};
  for (const [name, what] of Object.entries(DIRECTION_SWITCHES)) {
    out[`data_capture.${name}.request`] = bool(`Capture ${what} on the request side.`);
    out[`data_capture.${name}.response`] = bool(`Capture ${what} on the response side.`);
  }
  return out;
}

const METRIC_REPORTER_TYPES = ['OTLP', 'OTLP_HTTP', 'PROMETHEUS', 'LOGGING', 'NONE'] as const;

/** Every field, in documentation order. Keys are the snake_case paths of config.md. */
const DECLARATIONS: Record<string, FieldDecl> = {
  service_name: {
    type: { kind: 'string', nonEmpty: true },
    description: 'Service name (resource attribute service.name).',
    defaultDoc: "`OTEL_SERVICE_NAME`, else the app's package.json name, else `unknown_service:node`",
  },
  enabled: bool(
    '`false` makes every instrumentation a no-op: nothing is patched (also `OTEL_SDK_DISABLED=true`). An unrecognised value disables the agent (with a warning).'
  ),
  worker_threads_enabled: bool(
    "Zero-code start also in the app's own worker_threads (each worker then runs its own agent). Never in Node's module-loader hooks thread. See docs/lifecycle.md."
  ),
  propagation_formats: {
    type: { kind: 'enumList', values: ['TRACECONTEXT', 'B3', 'B3MULTI', 'BAGGAGE'], aliases: { B3_MULTI: 'B3MULTI' }, dropInvalid: true },
    description: 'Context propagation formats; `ck-route` is always added.',
  },
  resource_attributes: {
    type: { kind: 'map' },
    description: 'Resource attributes merged over the detected resource (maps merge across sources).',
  },
  resource_detectors: {
    type: { kind: 'enumList', values: RESOURCE_DETECTOR_NAMES, aliases: { KUBERNETES: 'k8s' }, allowAll: true },
    description:
      'Resource detectors that run at startup (`none` = no detection; `env` = `OTEL_RESOURCE_ATTRIBUTES`). See docs/resource.md.',
  },
  'reporting.endpoint': {
    type: { kind: 'url' },
    description:
      'Trace export endpoint. When not set anywhere it follows the reporter type: OTLP `http://localhost:4317`, OTLP_HTTP `http://localhost:4318/v1/traces`, ZIPKIN `http://localhost:9411/api/v2/spans`.',
  },
  'reporting.secure': bool('TLS to the collector.'),
  'reporting.token': {
    type: { kind: 'string' },
    description: 'Sent as `authorization: Bearer <token>` (trace and metric export) when non-empty.',
    secret: true,
  },
  'reporting.cert_file': { type: { kind: 'path' }, description: 'CA certificate file used when `secure`.' },
  'reporting.trace_reporter_type': {
    type: {
      kind: 'enum',
      values: ['NONE', 'OTLP', 'OTLP_HTTP', 'ZIPKIN', 'LOGGING'],
      aliases: Object.fromEntries(['NONE', 'OTLP', 'OTLP_HTTP', 'ZIPKIN', 'LOGGING'].map((v) => [`TRACE_REPORTER_TYPE_${v}`, v])),
      unset: ['UNSPECIFIED', 'TRACE_REPORTER_TYPE_UNSPECIFIED'],
    },
    description: 'Span export. `NONE` (CK mode) exports graph path metrics only.',
  },
  'reporting.metric_endpoint': {
    type: { kind: 'url' },
    description:
      'Metric export endpoint. When not set anywhere: OTLP `http://localhost:4317`, OTLP_HTTP `http://localhost:4318/v1/metrics`.',
  },
  'reporting.metric_reporter_type': {
    type: {
      kind: 'enum',
      values: METRIC_REPORTER_TYPES,
      aliases: Object.fromEntries(METRIC_REPORTER_TYPES.map((v) => [`METRIC_REPORTER_TYPE_${v}`, v])),
      unset: ['UNSPECIFIED', 'METRIC_REPORTER_TYPE_UNSPECIFIED'],
    },
    description: 'Graph path metric export (`METRIC_REPORTER_TYPE_*` Hypertrace spellings accepted).',
  },
  'reporting.enable_grpc_loadbalancing': bool('Round-robin over the DNS addresses of a gRPC collector.'),
  'reporting.log_file': {
    type: { kind: 'path' },
    description: 'Where LOGGING reporters write JSON lines; empty = stdout.',
  },
  'reporting.trace_headers': {
    type: { kind: 'map', lowerCaseKeys: true },
    description: 'Extra trace export headers (also `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TRACES_HEADERS`).',
    secret: true,
  },
  'reporting.metric_headers': {
    type: { kind: 'map', lowerCaseKeys: true },
    description: 'Extra metric export headers (also `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_METRICS_HEADERS`).',
    secret: true,
  },
  ...directionFields(),
  'data_capture.body_max_size_bytes': int(1, 'Bytes of a body reported in an attribute; the rest is cut.'),
  'data_capture.body_max_processing_size_bytes': int(1, 'Bytes of a body ever held in memory (also the decompression bound).'),
  'data_capture.allowed_content_types': {
    type: { kind: 'list', lowerCase: true },
    description: 'Content-type substrings (case-insensitive) whose bodies are captured; a list replaces the default.',
  },
  'telemetry.startup_span_enabled': bool('Export a span when the agent starts.'),
  'telemetry.metrics_enabled': bool('Graph path metrics on/off.'),
  'metrics.export_interval_ms': int(1, 'Metric export interval.'),
  'metrics.export_timeout_ms': int(1, 'Metric export timeout (at most the interval; larger values are clamped).'),
  'metrics.max_paths': int(1, 'Cardinality cap: series beyond it fold into one overflow series.'),
  'metrics.min_calls': int(0, 'A series with fewer calls in an interval is not exported for that interval.'),
  'metrics.quantiles': { type: { kind: 'quantiles' }, description: 'Quantiles of ck.path.latency, each in (0, 1].' },
  'metrics.prometheus_host': { type: { kind: 'string', nonEmpty: true }, description: 'Prometheus endpoint host.' },
  'metrics.prometheus_port': int(0, 'Prometheus endpoint port (0 = ephemeral).', 65535),
  'metrics.runtime_enabled': bool(
    'Node.js runtime metrics (event-loop delay, heap, GC, CPU, memory) on the CK meter provider; needs a metric reporter. See docs/runtime-metrics.md.'
  ),
  'metrics.temporality': {
    type: { kind: 'enum', values: ['CUMULATIVE', 'DELTA', 'LOWMEMORY'] },
    description: 'Metric temporality preference.',
  },
  'tracing.sampler': {
    type: {
      kind: 'enum',
      values: ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'],
    },
    description: 'Sampler for span export only; graph path metrics see every span.',
  },
  'tracing.sampler_arg': {
    type: { kind: 'number', min: 0, max: 1 },
    description: 'Sampling ratio for the `*traceidratio` samplers.',
    defaultDoc: 'unset (ratio 1)',
  },
  'tracing.batch.schedule_delay_millis': int(0, 'Delay between two span export batches.'),
  'tracing.batch.max_queue_size': int(1, 'Spans queued for export at most; more are dropped.'),
  'tracing.batch.max_export_batch_size': int(1, 'Spans per export batch (at most the queue size; larger values are clamped).'),
  'tracing.batch.export_timeout_millis': int(1, 'Span export timeout.'),
  'tracing.attribute_value_length_limit': {
    type: { kind: 'int', min: 0, unlimited: true },
    description: 'Longest string attribute value kept on a span (`infinity` = no limit).',
    defaultDoc: 'no limit',
  },
  'tracing.attribute_count_limit': int(0, 'Attributes per span at most.'),
  'redaction.header_names': {
    type: { kind: 'list', lowerCase: true },
    description: 'Header / gRPC metadata names whose values are replaced by `[REDACTED]`; empty list = off.',
  },
  'redaction.body_keys': {
    type: { kind: 'list', patterns: true },
    description: 'Case-insensitive regular expressions matched against body keys; empty list = off.',
  },
  'redaction.apply_to_filters': bool('Filters see redacted data only when true.'),
  peer_service_mapping: {
    type: { kind: 'map', lowerCaseKeys: true },
    description:
      '`host[:port]` of a called peer -> `peer.service` attribute of its client series (HTTP, gRPC, database, cache); a `peer.service` span attribute wins.',
  },
  instrumentations: {
    type: { kind: 'enumList', values: INSTRUMENTATION_NAMES, dropInvalid: true },
    description:
      'CK instrumentations the zero-code start enables, each only when the app itself can load its library (docs/first-run.md); unknown entries are dropped with a warning.',
  },
  slow_span_threshold_ms: int(0, 'Spans at or above this duration get `ck.slow=true`.'),
  shutdown_timeout_ms: int(
    0,
    'Zero-code start: on SIGTERM/SIGINT (when the app has no handler of its own) metrics and spans are flushed for at most this long, then the process ends as it would have without the agent. See docs/first-run.md.'
  ),
  log_startup: bool('One line on stderr at startup: version, service, instrumentations, exporters and endpoints. See docs/first-run.md.'),
  log_level: {
    type: { kind: 'enum', values: ['error', 'warn', 'info', 'debug'], aliases: { WARNING: 'warn' } },
    description: 'Agent log level (also `OTEL_LOG_LEVEL`).',
  },
  strict: bool('Throw a ConfigError on bad config instead of warning and falling back (for tests and CI).'),
};

export function snakeToCamel(segment: string): string {
  return segment.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function buildField(key: string, decl: FieldDecl): FieldSpec {
  const snakePath = key.split('.');
  const camelPath = snakePath.map(snakeToCamel);
  return Object.freeze({
    key,
    camel: camelPath.join('.'),
    snakePath: Object.freeze(snakePath),
    camelPath: Object.freeze(camelPath),
    envSuffix: snakePath.join('_').toUpperCase(),
    type: decl.type,
    description: decl.description,
    secret: decl.secret === true,
    defaultDoc: decl.defaultDoc,
  });
}

export const FIELDS: readonly FieldSpec[] = Object.freeze(Object.entries(DECLARATIONS).map(([key, decl]) => buildField(key, decl)));

export const FIELD_BY_KEY: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.key, f]));
export const FIELD_BY_CAMEL: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.camel, f]));
export const FIELD_BY_ENV_SUFFIX: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.envSuffix, f]));

/** Intermediate objects (sections) of the tree, in both namings: `reporting`, `data_capture.http_body`, ... */
function groupsOf(paths: (f: FieldSpec) => readonly string[]): ReadonlySet<string> {
  const groups = new Set<string>();
  for (const field of FIELDS) {
    const path = paths(field);
    for (let i = 1; i < path.length; i++) groups.add(path.slice(0, i).join('.'));
  }
  return groups;
}
export const SNAKE_GROUPS = groupsOf((f) => f.snakePath);
export const CAMEL_GROUPS = groupsOf((f) => f.camelPath);

/** Env suffixes of sections (`REPORTING_`, `DATA_CAPTURE_`, ...): a CK_/HT_ var starting with one is meant as config. */
export const ENV_GROUP_PREFIXES: readonly string[] = [...SNAKE_GROUPS].map((g) => g.replace(/\./g, '_').toUpperCase() + '_');

/**
 * Hypertrace agent-config sections other agents use (Java, Go, OPA). A Hypertrace file or
 * `HT_*` set brings them along; they mean nothing to ck-agent and are ignored without a warning.
 */
export const FOREIGN_HYPERTRACE_KEYS: ReadonlySet<string> = new Set(['javaagent', 'goagent', 'reporting.opa', 'reporting.address']);

/** Human text of a field type, for warnings and the reference. */
export function describeType(type: FieldType): string {
  switch (type.kind) {
    case 'string':
      return type.nonEmpty ? 'a non-empty string' : 'a string';
    case 'path':
      return 'a file path';
    case 'url':
      return 'an http(s) URL';
    case 'bool':
      return BOOL_EXPECTED;
    case 'int': {
      const max = type.max ?? MAX_INT;
      if (type.max !== undefined) return `an integer from ${type.min} to ${max}`;
      const text = type.min === 1 ? 'an integer > 0' : `an integer >= ${type.min}`;
      return type.unlimited ? `${text}, or infinity` : text;
    }
    case 'number':
      return `a number from ${type.min} to ${type.max}`;
    case 'enum':
      return `one of ${type.values.join(', ')}`;
    case 'enumList':
      return `a list of ${type.values.join(', ')}${type.allowAll ? ' (or all)' : ''}`;
    case 'list':
      return type.patterns ? 'a list of regular expressions' : 'a list of strings';
    case 'map':
      return 'a map of strings (k1=v1,k2=v2)';
    case 'quantiles':
      return 'a non-empty list of numbers in (0, 1]';
  }
}

export const BOOL_EXPECTED = 'true or false (or yes / no, on / off, 1 / 0)';

/** Largest integer accepted anywhere: also the longest delay a Node timer honours. */
export const MAX_INT = 2147483647;
