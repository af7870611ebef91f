/**
 * The schema table drives every source: each field, set to a valid non-default value, reaches
 * the resolved config through the file, HT_*, CK_* and init options alike; the generated
 * reference lists every field and the committed docs match the generator.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { CONFIG_REFERENCE_PATH, renderConfigReference } from '../../scripts/gen-config-doc';
import { configFields, defaultConfig } from '../../src/config';
import { FIELDS, type FieldSpec } from '../../src/config/schema';
import type { CKConfig } from '../../src/config/types';
import { resolve } from './helpers';
import { makeTempDir } from '../../fixtures/temp-dir';

/** A valid value of the field's type that differs from its default. */
function sampleValue(field: FieldSpec): unknown {
  const type = field.type;
  switch (type.kind) {
    case 'string':
      return `sample-${field.envSuffix.toLowerCase()}`;
    case 'path':
      return `/tmp/${field.envSuffix.toLowerCase()}`;
    case 'url':
      return `https://${field.envSuffix.toLowerCase().replace(/_/g, '-')}.example:1234/path`;
    case 'bool':
      return !valueAt(defaultConfig(), field);
    case 'int':
      return Math.min(type.min + 7, type.max ?? Infinity);
    case 'number':
      return (type.min + type.max) / 4;
    case 'enum':
      return type.values.find((v) => v !== valueAt(defaultConfig(), field));
    case 'enumList':
      return [type.values[1], type.values[0]];
    case 'list':
      return ['alpha', 'beta'];
    case 'map':
      return { 'sample.key': 'v1', other: 'v 2' };
    case 'quantiles':
      return [0.25, 0.75];
  }
}

function envText(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join(',');
  }
  return String(value);
}

function valueAt(config: unknown, field: FieldSpec): unknown {
  let node = config;
  for (const segment of field.camelPath) node = (node as Record<string, unknown>)[segment];
  return node;
}

function setAt(root: Record<string, unknown>, pathSegments: readonly string[], value: unknown): void {
  let node = root;
  for (const segment of pathSegments.slice(0, -1)) node = (node[segment] ??= {}) as Record<string, unknown>;
  node[pathSegments[pathSegments.length - 1]] = value;
}

function checkAll(t: import('ava').ExecutionContext, config: CKConfig, how: string): void {
  for (const field of FIELDS) {
    const expected = sampleValue(field);
    const actual = valueAt(config, field);
    if (field.type.kind === 'map') t.like(actual, expected as object, `${field.key} via ${how}`);
    else t.deepEqual(actual, expected, `${field.key} via ${how}`);
  }
}

test('every field round-trips through init options (camelCase)', (t) => {
  const options: Record<string, unknown> = {};
  for (const field of FIELDS) setAt(options, field.camelPath, sampleValue(field));
  const { config, warnings } = resolve(options);
  t.deepEqual(warnings, []);
  checkAll(t, config, 'init options');
});

for (const prefix of ['HT_', 'CK_'] as const) {
  test(`every field round-trips through ${prefix}* variables`, (t) => {
    const env: Record<string, string> = {};
    for (const field of FIELDS) env[prefix + field.envSuffix] = envText(sampleValue(field));
    const { config, warnings } = resolve({}, env);
    t.deepEqual(warnings, []);
    checkAll(t, config, `${prefix}*`);
  });
}

for (const ext of ['yaml', 'json'] as const) {
  test(`every field round-trips through a ${ext} config file (snake_case)`, (t) => {
    const tree: Record<string, unknown> = {};
    for (const field of FIELDS) setAt(tree, field.snakePath, sampleValue(field));
    const dir = makeTempDir('ck-config-file-');
    const file = path.join(dir, `agent-config.${ext}`);
    try {
      fs.writeFileSync(file, ext === 'yaml' ? stringify(tree) : JSON.stringify(tree, null, 2));
      const { config, warnings } = resolve({}, { CK_CONFIG_FILE: file });
      t.deepEqual(warnings, []);
      checkAll(t, config, `${ext} file`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('schema: keys, camel paths and env names are unique and derived by one rule', (t) => {
  const keys = new Set(FIELDS.map((f) => f.key));
  const camels = new Set(FIELDS.map((f) => f.camel));
  const envs = new Set(FIELDS.map((f) => f.envSuffix));
  t.is(keys.size, FIELDS.length);
  t.is(camels.size, FIELDS.length);
  t.is(envs.size, FIELDS.length);
  for (const f of FIELDS) {
    t.is(f.envSuffix, f.key.replace(/\./g, '_').toUpperCase());
    t.is(
      f.camel,
      f.key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
    );
  }
});

test('schema: every leaf of the default config is a field, and every field has a default slot', (t) => {
  const leaves: string[] = [];
  const walk = (node: unknown, prefix: string): void => {
    if (node && typeof node === 'object' && !Array.isArray(node) && !FIELDS.some((f) => f.camel === prefix)) {
      for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else leaves.push(prefix);
  };
  const defaults = defaultConfig();
  walk(defaults, '');
  t.deepEqual(leaves.sort(), FIELDS.map((f) => f.camel).sort());
  // samplerArg's default is undefined, so it is only a key: check it exists.
  t.true('samplerArg' in defaults.tracing);
});

test('configFields: one row per field with key, camel, type, default and env names', (t) => {
  const rows = configFields();
  t.is(rows.length, FIELDS.length);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  t.like(byKey.get('metrics.max_paths'), {
    camel: 'metrics.maxPaths',
    type: 'an integer > 0',
    default: '2000',
    env: 'HT_METRICS_MAX_PATHS, CK_METRICS_MAX_PATHS',
  });
  t.like(byKey.get('tracing.batch.max_queue_size'), {
    env: 'OTEL_BSP_MAX_QUEUE_SIZE, HT_TRACING_BATCH_MAX_QUEUE_SIZE, CK_TRACING_BATCH_MAX_QUEUE_SIZE',
    default: '2048',
  });
  t.is(byKey.get('metrics.quantiles')?.default, '0.5,0.9,0.95,0.99,1');
  t.regex(byKey.get('service_name')!.default, /unknown_service:node/);
  for (const row of rows) {
    t.true(row.description.length > 0, row.key);
    t.true(row.env.includes(`CK_${row.key.replace(/\./g, '_').toUpperCase()}`), row.key);
  }
});

test('docs/config-reference.md is up to date (run: npx tsx scripts/gen-config-doc.ts)', (t) => {
  t.is(fs.readFileSync(CONFIG_REFERENCE_PATH, 'utf8'), renderConfigReference());
});
