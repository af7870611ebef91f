/**
 * The precedence matrix: the same keys set in every combination of file, OTEL_*, HT_*, CK_* and
 * init options; the highest source present always wins. Then the fallback matrix: an invalid
 * value at any level falls back to the highest valid source below it, with one warning.
 */
import test from 'ava';
import type { CKConfig } from '../../src/config/types';
import { fixture, resolve, warningWith } from './helpers';

type Level = 'file' | 'otel' | 'ht' | 'ck' | 'init';
const LEVELS: readonly Level[] = ['file', 'otel', 'ht', 'ck', 'init'];

/** One key per row: its value at each level and where to read it in the resolved config. */
interface Row {
  key: string;
  read: (c: CKConfig) => unknown;
  byDefault: unknown;
  values: Record<Level, unknown>;
  env: { otel: string; suffix: string };
  init: (v: unknown) => Record<string, unknown>;
  /** An invalid value per level (file: from precedence-invalid.yaml). */
  invalid: Record<Exclude<Level, 'file'>, unknown>;
  invalidShown: Record<Level, string>;
}

const ROWS: Row[] = [
  {
    key: 'service_name',
    read: (c) => c.serviceName,
    byDefault: 'ck-agent', // this repository's package.json, found from the working directory
    values: { file: 'svc-file', otel: 'svc-otel', ht: 'svc-ht', ck: 'svc-ck', init: 'svc-init' },
    env: { otel: 'OTEL_SERVICE_NAME', suffix: 'SERVICE_NAME' },
    init: (v) => ({ serviceName: v }),
    invalid: { otel: 'bad\u0007name', ht: 'x'.repeat(20000), ck: 'tab\there', init: 42n },
    invalidShown: { file: '["not","a","string"]', otel: '"bad\\x07name"', ht: '(20000 chars)', ck: '"tab\\there"', init: '42n' },
  },
  {
    key: 'metrics.export_interval_ms',
    read: (c) => c.metrics.exportIntervalMs,
    byDefault: 60000,
    values: { file: 2000, otel: 3000, ht: 4000, ck: 5000, init: 6000 },
    env: { otel: 'OTEL_METRIC_EXPORT_INTERVAL', suffix: 'METRICS_EXPORT_INTERVAL_MS' },
    init: (v) => ({ metrics: { exportIntervalMs: v } }),
    invalid: { otel: '-3', ht: '1e3', ck: 'soon', init: 12.5 },
    invalidShown: { file: '"soon"', otel: '"-3"', ht: '"1e3"', ck: '"soon"', init: '12.5' },
  },
  {
    key: 'tracing.batch.max_queue_size',
    read: (c) => c.tracing.batch.maxQueueSize,
    byDefault: 2048,
    values: { file: 2001, otel: 3001, ht: 4001, ck: 5001, init: 6001 },
    env: { otel: 'OTEL_BSP_MAX_QUEUE_SIZE', suffix: 'TRACING_BATCH_MAX_QUEUE_SIZE' },
    init: (v) => ({ tracing: { batch: { maxQueueSize: v } } }),
    invalid: { otel: '0', ht: 'many', ck: '99999999999', init: '7 spans' },
    invalidShown: { file: '-5', otel: '"0"', ht: '"many"', ck: '"99999999999"', init: '"7 spans"' },
  },
];

function merge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(source)) {
    const existing = target[k];
    if (existing && typeof existing === 'object' && v && typeof v === 'object') {
      merge(existing as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
  return target;
}

/** Env and options with each row's key set at `valid` levels (and invalid at `bad`, if given). */
function sources(valid: readonly Level[], bad?: Level): { env: Record<string, string>; options: Record<string, unknown> } {
  const env: Record<string, string> = {};
  const options: Record<string, unknown> = {};
  if (bad === 'file') env.CK_CONFIG_FILE = fixture('precedence-invalid.yaml');
  else if (valid.includes('file')) env.CK_CONFIG_FILE = fixture('precedence.yaml');
  for (const row of ROWS) {
    const at = (level: Level): unknown =>
      level === bad ? row.invalid[level as Exclude<Level, 'file'>] : valid.includes(level) ? row.values[level] : undefined;
    const otel = at('otel');
    const ht = at('ht');
    const ck = at('ck');
    const init = at('init');
    if (otel !== undefined) env[row.env.otel] = String(otel);
    if (ht !== undefined) env[`HT_${row.env.suffix}`] = String(ht);
    if (ck !== undefined) env[`CK_${row.env.suffix}`] = String(ck);
    if (init !== undefined) merge(options, row.init(init));
  }
  return { env, options };
}

function subsets<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let mask = 0; mask < 1 << items.length; mask++) out.push(items.filter((_, i) => mask & (1 << i)));
  return out;
}

function label(levels: readonly Level[]): string {
  return levels.length ? levels.join('+') : 'defaults only';
}

for (const present of subsets(LEVELS)) {
  test(`precedence: ${label(present)} -> highest wins`, (t) => {
    const { env, options } = sources(present);
    const { config, warnings } = resolve(options, env);
    t.deepEqual(warnings, []);
    const highest = present[present.length - 1];
    for (const row of ROWS) {
      t.is(row.read(config), highest ? row.values[highest] : row.byDefault, `${row.key} from ${highest ?? 'defaults'}`);
    }
  });
}

const SOURCE_LABEL: Record<Level, (row: Row) => string> = {
  file: () => `file ${fixture('precedence-invalid.yaml')}`,
  otel: (row) => `env ${row.env.otel}`,
  ht: (row) => `env HT_${row.env.suffix}`,
  ck: (row) => `env CK_${row.env.suffix}`,
  init: (row) => `init option ${row.init(0) && camelPath(row.init(0))}`,
};

function camelPath(obj: Record<string, unknown>): string {
  const [k, v] = Object.entries(obj)[0];
  return v && typeof v === 'object' ? `${k}.${camelPath(v as Record<string, unknown>)}` : k;
}

for (const [badIndex, bad] of LEVELS.entries()) {
  for (const lower of subsets(LEVELS.slice(0, badIndex))) {
    test(`fallback: invalid ${bad} over ${label(lower)} -> next-lower source`, (t) => {
      const { env, options } = sources(lower, bad);
      const { config, warnings } = resolve(options, env);
      const fallback = lower[lower.length - 1];
      t.is(warnings.length, ROWS.length, warnings.join('\n'));
      for (const row of ROWS) {
        t.is(row.read(config), fallback ? row.values[fallback] : row.byDefault, row.key);
        const warning = warningWith(warnings, SOURCE_LABEL[bad](row), ` ${row.key}:`);
        t.true(warning.includes(row.invalidShown[bad]), warning);
        t.true(warning.includes('expected'), warning);
        const fallbackLabel = fallback
          ? fallback === 'file'
            ? `file ${fixture('precedence.yaml')}`
            : SOURCE_LABEL[fallback](row)
          : 'defaults';
        t.true(warning.endsWith(`using the value from ${fallbackLabel}`), warning);
      }
    });
  }
}

test('precedence: JSON file at the file level behaves like YAML', (t) => {
  const { config, warnings } = resolve({}, { CK_CONFIG_FILE: fixture('precedence.json'), HT_METRICS_EXPORT_INTERVAL_MS: '4000' });
  t.deepEqual(warnings, []);
  t.is(config.serviceName, 'svc-file');
  t.is(config.tracing.batch.maxQueueSize, 2001);
  t.is(config.metrics.exportIntervalMs, 4000);
});

test('precedence: maps merge across sources, the higher source winning per key', (t) => {
  const { config, warnings } = resolve(
    { resourceAttributes: { team: 'init', owner: 'me' } },
    {
      CK_CONFIG_FILE: fixture('hypertrace-agent-config.yaml'),
      OTEL_RESOURCE_ATTRIBUTES: 'team=otel,region=eu',
      CK_RESOURCE_ATTRIBUTES: 'region=ck',
    }
  );
  t.deepEqual(warnings, []);
  t.deepEqual(config.resourceAttributes, {
    'deployment.environment': 'staging',
    team: 'init',
    region: 'ck',
    owner: 'me',
  });
});

test('precedence: lists are replaced, not merged', (t) => {
  const { config } = resolve(
    { dataCapture: { allowedContentTypes: ['xml'] } },
    { CK_CONFIG_FILE: fixture('hypertrace-agent-config.yaml') }
  );
  t.deepEqual(config.dataCapture.allowedContentTypes, ['xml']);
});
