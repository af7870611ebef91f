/**
 * resolveConfig: defaults < config file < OTEL_* < HT_* < CK_* < init options. Every value from
 * every source is validated on its own; an invalid one is reported (source, key, value, what was
 * expected) and the field keeps the value of the next-lower source. The result is deep-frozen.
 * Non-strict resolution never throws, whatever it is given.
 */
import { logger } from '../logger';
import { coerce, InvalidRaw } from './coerce';
import { defaultConfig } from './defaults';
import { DEFAULT_SOURCE, deriveConfig } from './derive';
import { OTEL_RESOURCE_ATTRIBUTES, otelEntries, prefixedEntries, type Env } from './env';
import { loadConfigFile } from './file';
import { ConfigError, DISABLED_FALLBACK, droppedEntries, invalidValue, sourceProblem, showValue, type ConfigIssue } from './issues';
import { describeType, type FieldSpec } from './schema';
import { collectTree, errorText, isPlainObject, type RawEntry } from './tree';
import type { CKConfig, CKOptions } from './types';

export { ConfigError, type ConfigIssue } from './issues';
export { defaultConfig, findAppPackage, type AppPackage } from './defaults';
export { configFields, type ConfigFieldDoc } from './reference';

export function resolveConfig(options: CKOptions = {}, env: NodeJS.ProcessEnv = process.env): CKConfig {
  // `sampler` is an object, not config: init() hands it to the tracer provider directly.
  if (isPlainObject(options) && 'sampler' in options) {
    const { sampler: _sampler, ...rest } = options;
    options = rest;
  }
  const issues: ConfigIssue[] = [];
  let config: CKConfig;
  try {
    // process.env is not a plain object (its prototype is special), so only the basic shape is checked.
    config = buildConfig(options, typeof env === 'object' && env !== null ? env : {}, issues);
  } catch (err) {
    // A bug here must not take the app down: report it and run on the defaults.
    issues.push(sourceProblem('ck-agent', '', `config resolution failed (${errorText(err)}); using the defaults`));
    config = defaultConfig(); // never throws: its only I/O (package.json) is guarded
  }
  if (config.strict && issues.length > 0) throw new ConfigError(issues);
  for (const issue of issues) {
    try {
      logger.warn(issue.message);
    } catch {
      // an app-provided log sink that throws must not turn a warning into a crash
    }
  }
  return deepFreeze(config);
}

function buildConfig(options: unknown, env: Env, issues: ConfigIssue[]): CKConfig {
  const entries: RawEntry[] = [
    ...loadConfigFile(env, issues).entries,
    ...otelEntries(env, issues),
    ...prefixedEntries(env, 'HT_', issues),
    ...prefixedEntries(env, 'CK_', issues),
    ...optionEntries(options, issues),
  ];
  const config = defaultConfig();
  const sources = mergeEntries(config, entries, issues);
  if (!config.resourceDetectors.includes('env')) withoutEnvResourceAttributes(config, entries);
  deriveConfig(config, sources, env, issues);
  return config;
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES` is what the OpenTelemetry `env` resource detector reads: with `env`
 * left out of `resource_detectors`, only the other sources' resource attributes stay (their
 * values were validated, and any problem reported, by mergeEntries already).
 */
function withoutEnvResourceAttributes(config: CKConfig, entries: readonly RawEntry[]): void {
  const kept: Record<string, string> = {};
  for (const entry of entries) {
    if (entry.field.key !== 'resource_attributes' || entry.source === `env ${OTEL_RESOURCE_ATTRIBUTES}`) continue;
    let result;
    try {
      result = coerce(entry.field.type, entry.raw);
    } catch {
      continue;
    }
    if (result.ok && 'value' in result) Object.assign(kept, result.value as Record<string, string>);
  }
  config.resourceAttributes = kept;
}

/** init() options (camelCase) as raw entries; anything but a plain object is reported and ignored. */
function optionEntries(options: unknown, issues: ConfigIssue[]): RawEntry[] {
  if (options === undefined) return [];
  if (!isPlainObject(options)) {
    issues.push(sourceProblem('init options', '', `expected an object, got ${showValue(options)}; ignored`));
    return [];
  }
  return collectTree(options, 'camel', 'init options', (path) => `init option ${path}`, issues);
}

/**
 * Applies entries (lowest source first) to `config` field by field. Returns which source set
 * each field (camelCase key). Maps merge key by key; every other type is replaced.
 */
function mergeEntries(config: CKConfig, entries: readonly RawEntry[], issues: ConfigIssue[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const entry of entries) {
    const { field, source } = entry;
    let result;
    try {
      result = coerce(field.type, entry.raw);
    } catch (err) {
      result = { ok: false as const, expected: `${describeType(field.type)} (reading it failed: ${errorText(err)})` };
    }
    if (!result.ok) {
      const shown = entry.raw instanceof InvalidRaw ? entry.raw.raw : entry.raw;
      if (field.key === 'enabled') {
        // Fails safe (config.md "Bad configuration"): someone meant to say something about
        // `enabled`, and "off" is the reading that cannot hurt the app.
        issues.push(invalidValue(source, field.key, shown, result.expected, DISABLED_FALLBACK, field.secret));
        config.enabled = false;
        sources.set(field.camel, source);
        continue;
      }
      const fallback = sources.get(field.camel) ?? DEFAULT_SOURCE;
      issues.push(invalidValue(source, field.key, shown, result.expected, fallback, field.secret));
      continue;
    }
    if ('unset' in result) continue;
    if (result.dropped) issues.push(droppedEntries(source, field.key, result.dropped, describeType(field.type), result.value as string[]));
    if (field.type.kind === 'map') {
      const current = getPath(config, field) as Record<string, string>;
      setPath(config, field, { ...current, ...(result.value as Record<string, string>) });
    } else {
      setPath(config, field, result.value);
    }
    sources.set(field.camel, source);
  }
  return sources;
}

function getPath(config: CKConfig, field: FieldSpec): unknown {
  let node: unknown = config;
  for (const segment of field.camelPath) node = (node as Record<string, unknown>)[segment];
  return node;
}

function setPath(config: CKConfig, field: FieldSpec, value: unknown): void {
  let node = config as unknown as Record<string, unknown>;
  const path = field.camelPath;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

/** Freezes an object and everything reachable from it (arrays included). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Every field of the schema, for docs and tooling. */
export { FIELDS as configSchema } from './schema';
