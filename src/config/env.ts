/**
 * Environment sources. Standard OpenTelemetry variables come from an explicit mapping table
 * (their names do not follow our paths); `HT_*` and `CK_*` variables follow the one naming rule
 * prefix + upper snake path (`data_capture.http_body.request` → `CK_DATA_CAPTURE_HTTP_BODY_REQUEST`).
 * Empty variables count as not set, as the OpenTelemetry spec says.
 */
import { InvalidRaw, parseBool, parseMapString } from './coerce';
import { CONFIG_FILE_ENV_VARS } from './file';
import { sourceProblem, unknownKey, type ConfigIssue } from './issues';
import { ENV_GROUP_PREFIXES, FIELD_BY_ENV_SUFFIX, FIELD_BY_KEY, type FieldSpec } from './schema';
import type { RawEntry } from './tree';

export type Env = Readonly<Record<string, string | undefined>>;

/** Returned by an OTEL value parser when the variable contributes nothing to this field. */
const SKIP = Symbol('skip');

type Report = (issue: ConfigIssue) => void;

interface OtelVar {
  readonly name: string;
  /** snake_case keys of the fields this variable sets. */
  readonly keys: readonly string[];
  /** Turns the variable's text into the field's raw value (default: the text itself). */
  readonly parse?: (text: string, report: Report, source: string, field: FieldSpec) => unknown;
}

/**
 * The OpenTelemetry variables we honour, in application order: within this layer a later
 * variable wins over an earlier one for the same field (signal-specific over generic), and map
 * fields merge (signal-specific headers over generic headers, key by key).
 */
export const OTEL_RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';

export const OTEL_VARS: readonly OtelVar[] = [
  { name: 'OTEL_SDK_DISABLED', keys: ['enabled'], parse: parseSdkDisabled },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', keys: ['resource_attributes'], parse: resourceAttributesWithoutServiceName },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', keys: ['service_name'], parse: serviceNameFromResourceAttributes },
  { name: 'OTEL_SERVICE_NAME', keys: ['service_name'] },
  { name: 'OTEL_PROPAGATORS', keys: ['propagation_formats'], parse: parsePropagators },
  { name: 'OTEL_TRACES_SAMPLER', keys: ['tracing.sampler'] },
  { name: 'OTEL_TRACES_SAMPLER_ARG', keys: ['tracing.sampler_arg'] },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', keys: ['reporting.endpoint', 'reporting.metric_endpoint'] },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', keys: ['reporting.endpoint'] },
  { name: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', keys: ['reporting.metric_endpoint'] },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', keys: ['reporting.trace_headers', 'reporting.metric_headers'] },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', keys: ['reporting.trace_headers'] },
  { name: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', keys: ['reporting.metric_headers'] },
  { name: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', keys: ['metrics.temporality'] },
  { name: 'OTEL_METRIC_EXPORT_INTERVAL', keys: ['metrics.export_interval_ms'] },
  { name: 'OTEL_METRIC_EXPORT_TIMEOUT', keys: ['metrics.export_timeout_ms'] },
  { name: 'OTEL_BSP_SCHEDULE_DELAY', keys: ['tracing.batch.schedule_delay_millis'] },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', keys: ['tracing.batch.max_queue_size'] },
  { name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', keys: ['tracing.batch.max_export_batch_size'] },
  { name: 'OTEL_BSP_EXPORT_TIMEOUT', keys: ['tracing.batch.export_timeout_millis'] },
  { name: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', keys: ['tracing.attribute_value_length_limit'] },
  { name: 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', keys: ['tracing.attribute_value_length_limit'] },
  { name: 'OTEL_ATTRIBUTE_COUNT_LIMIT', keys: ['tracing.attribute_count_limit'] },
  { name: 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', keys: ['tracing.attribute_count_limit'] },
  { name: 'OTEL_LOG_LEVEL', keys: ['log_level'], parse: parseOtelLogLevel },
  { name: 'OTEL_TRACES_EXPORTER', keys: ['reporting.trace_reporter_type'], parse: parseTracesExporter },
  { name: 'OTEL_METRICS_EXPORTER', keys: ['reporting.metric_reporter_type'], parse: parseMetricsExporter },
  { name: 'OTEL_EXPERIMENTAL_RESOURCE_DETECTORS', keys: ['resource_detectors'], parse: parseResourceDetectors },
];

/** OTLP protocol variables; applied after merging (see derive.ts). */
export const OTLP_PROTOCOL_VARS = {
  generic: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  traces: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  metrics: 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
} as const;

/** The OTEL variable names that feed a field, for the config reference. */
export function otelVarsFor(key: string): string[] {
  const names: string[] = [];
  for (const v of OTEL_VARS) if (v.keys.includes(key) && !names.includes(v.name)) names.push(v.name);
  if (key === 'reporting.trace_reporter_type') names.push(OTLP_PROTOCOL_VARS.generic, OTLP_PROTOCOL_VARS.traces);
  if (key === 'reporting.metric_reporter_type') names.push(OTLP_PROTOCOL_VARS.generic, OTLP_PROTOCOL_VARS.metrics);
  return names;
}

/** A variable's text, trimmed; undefined when unset or blank. */
export function envText(env: Env, name: string): string | undefined {
  let value: unknown;
  try {
    value = env[name];
  } catch {
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The standard OpenTelemetry variables, as raw entries. */
export function otelEntries(env: Env, issues: ConfigIssue[]): RawEntry[] {
  const entries: RawEntry[] = [];
  const report: Report = (issue) => issues.push(issue);
  for (const v of OTEL_VARS) {
    const text = envText(env, v.name);
    if (text === undefined) continue;
    const source = `env ${v.name}`;
    for (const key of v.keys) {
      const field = FIELD_BY_KEY.get(key);
      if (!field) continue;
      const raw = v.parse ? v.parse(text, report, source, field) : text;
      if (raw !== SKIP) entries.push({ field, raw, source });
    }
  }
  return entries;
}

/** `HT_*` or `CK_*` variables, as raw entries; unknown variables that look like config paths are reported. */
export function prefixedEntries(env: Env, prefix: 'HT_' | 'CK_', issues: ConfigIssue[]): RawEntry[] {
  const entries: RawEntry[] = [];
  let names: string[];
  try {
    names = Object.keys(env);
  } catch {
    return entries;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || (CONFIG_FILE_ENV_VARS as readonly string[]).includes(name)) continue;
    const suffix = name.slice(prefix.length);
    const field = FIELD_BY_ENV_SUFFIX.get(suffix);
    if (field) {
      const text = envText(env, name);
      if (text !== undefined) entries.push({ field, raw: text, source: `env ${name}` });
    } else if (looksLikeConfig(suffix)) {
      issues.push(unknownKey('env', name, suggestEnv(prefix, suffix)));
    }
  }
  return entries;
}

/** Hypertrace variables of other agents' sections, which ck-agent ignores silently. */
const FOREIGN_ENV_PREFIXES = ['REPORTING_OPA_', 'REPORTING_ADDRESS'];

function looksLikeConfig(suffix: string): boolean {
  if (FOREIGN_ENV_PREFIXES.some((p) => suffix.startsWith(p))) return false;
  return ENV_GROUP_PREFIXES.some((p) => suffix.startsWith(p));
}

/** A known name that differs only by underscores (`METRICS_MAXPATHS` → `METRICS_MAX_PATHS`). */
function suggestEnv(prefix: string, suffix: string): string | undefined {
  const squashed = suffix.replace(/_/g, '');
  for (const known of FIELD_BY_ENV_SUFFIX.keys()) {
    if (known.replace(/_/g, '') === squashed) return prefix + known;
  }
  return undefined;
}

// ---- OTEL value parsers ----------------------------------------------------------------------

/** OTEL_SDK_DISABLED=true → enabled=false; an invalid value passes through to be reported. */
function parseSdkDisabled(text: string): unknown {
  const disabled = parseBool(text);
  return disabled === undefined ? new InvalidRaw(text, 'true or false') : !disabled;
}

function resourceAttributesWithoutServiceName(text: string): unknown {
  const map = parseMapString(text);
  if (!map) return text; // reported as invalid by the field's own validation
  // service.name is the service_name field (OTEL_SERVICE_NAME wins over it, as the spec says).
  delete map['service.name'];
  return map;
}

function serviceNameFromResourceAttributes(text: string): unknown {
  const map = parseMapString(text);
  return map && map['service.name'] ? map['service.name'] : SKIP;
}

/** The entries of an OTEL_* comma list, trimmed and lower-cased, empty ones dropped. */
function listEntries(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

const PROPAGATORS: Record<string, string> = {
  tracecontext: 'TRACECONTEXT',
  baggage: 'BAGGAGE',
  b3: 'B3',
  b3multi: 'B3MULTI',
};

/**
 * OTEL_PROPAGATORS: known entries are kept, unknown ones (jaeger, xray, ...) warned about and
 * dropped, `none` means no propagator besides ck-route. Nothing usable → the field falls back.
 */
function parsePropagators(text: string, report: Report, source: string, field: FieldSpec): unknown {
  const out: string[] = [];
  let none = false;
  for (const entry of listEntries(text)) {
    if (entry === 'none') none = true;
    else if (PROPAGATORS[entry]) {
      if (!out.includes(PROPAGATORS[entry])) out.push(PROPAGATORS[entry]);
    } else {
      report(
        sourceProblem(
          source,
          field.key,
          `unsupported propagator ${JSON.stringify(entry.slice(0, 100))} for ${field.key} (expected tracecontext, baggage, b3, b3multi or none); entry ignored`
        )
      );
    }
  }
  if (none) return [];
  return out.length > 0 ? out : SKIP;
}

const OTEL_LOG_LEVELS: Record<string, string> = {
  none: 'error', // the agent always reports errors; "none" gets the quietest level there is
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'debug',
  all: 'debug',
};

function parseOtelLogLevel(text: string): unknown {
  return OTEL_LOG_LEVELS[text.toLowerCase()] ?? new InvalidRaw(text, `one of ${Object.keys(OTEL_LOG_LEVELS).join(', ')}`);
}

/**
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: the OpenTelemetry exporter names mapped to
 * reporter types. `otlp` means OTLP over gRPC unless OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)PROTOCOL
 * says http/protobuf (applied in derive.ts). The variable is a list in the OpenTelemetry spec;
 * ck-agent exports each signal to one place, so the first usable entry wins and the others are
 * reported. An unknown value is reported and the field keeps the lower source's value.
 */
const TRACES_EXPORTERS: Readonly<Record<string, string>> = {
  otlp: 'OTLP',
  zipkin: 'ZIPKIN',
  console: 'LOGGING',
  logging: 'LOGGING', // the deprecated spelling of console
  none: 'NONE',
};
const METRICS_EXPORTERS: Readonly<Record<string, string>> = {
  otlp: 'OTLP',
  prometheus: 'PROMETHEUS',
  console: 'LOGGING',
  logging: 'LOGGING',
  none: 'NONE',
};

function parseTracesExporter(text: string, report: Report, source: string, field: FieldSpec): unknown {
  return parseExporterList(text, TRACES_EXPORTERS, 'otlp, zipkin, console or none', report, source, field);
}

function parseMetricsExporter(text: string, report: Report, source: string, field: FieldSpec): unknown {
  return parseExporterList(text, METRICS_EXPORTERS, 'otlp, prometheus, console or none', report, source, field);
}

function parseExporterList(
  text: string,
  known: Readonly<Record<string, string>>,
  expected: string,
  report: Report,
  source: string,
  field: FieldSpec
): unknown {
  const entries = listEntries(text);
  const usable = entries.filter((e) => known[e] !== undefined);
  if (usable.length === 0) return new InvalidRaw(text, expected);
  const chosen = usable[0];
  const ignored = entries.filter((e) => e !== chosen);
  if (ignored.length > 0) {
    report(
      sourceProblem(
        source,
        field.key,
        `ck-agent exports this signal to one exporter; using ${JSON.stringify(chosen)}, ignoring ${ignored
          .map((e) => JSON.stringify(e.slice(0, 40)))
          .join(', ')} (expected ${expected})`
      )
    );
  }
  return known[chosen];
}

/** OpenTelemetry detector names ck-agent knows, with the other SDKs' spellings. */
const RESOURCE_DETECTORS: Readonly<Record<string, string>> = {
  env: 'env',
  otel: 'env', // the Python SDK's name for the OTEL_RESOURCE_ATTRIBUTES detector
  host: 'host',
  os: 'os',
  process: 'process',
  container: 'container',
  k8s: 'k8s',
  kubernetes: 'k8s',
};

/**
 * OTEL_EXPERIMENTAL_RESOURCE_DETECTORS: known detectors are kept, `all` means every one, `none`
 * turns detection off. Cloud detectors (aws, gcp, azure, ...) are not part of ck-agent: warned
 * about and dropped. `serviceinstance` is dropped silently: service.instance.id is always set.
 */
function parseResourceDetectors(text: string, report: Report, source: string, field: FieldSpec): unknown {
  const out: string[] = [];
  let none = false;
  for (const entry of listEntries(text)) {
    if (entry === 'none') none = true;
    else if (entry === 'all') return 'all';
    else if (RESOURCE_DETECTORS[entry]) {
      if (!out.includes(RESOURCE_DETECTORS[entry])) out.push(RESOURCE_DETECTORS[entry]);
    } else if (entry !== 'serviceinstance') {
      report(
        sourceProblem(
          source,
          field.key,
          `unsupported resource detector ${JSON.stringify(entry.slice(0, 100))} for ${field.key} (expected env, host, os, process, container, k8s, all or none); entry ignored`
        )
      );
    }
  }
  if (none) return [];
  return out.length > 0 ? out : SKIP;
}
