/**
 * The machine-readable config reference, derived from the schema table: README and
 * docs/config-reference.md are generated from it (scripts/gen-config-doc.ts).
 */
import { defaultConfig } from './defaults';
import { otelVarsFor } from './env';
import { describeType, FIELDS, type FieldSpec } from './schema';

export interface ConfigFieldDoc {
  /** snake_case path (config file, HT_/CK_ env naming). */
  key: string;
  /** camelCase path (init options, resolved config). */
  camel: string;
  /** Human description of the accepted values. */
  type: string;
  /** Default, as text. */
  default: string;
  /** Env vars that set the field, lowest precedence first (OTEL_*, then HT_*, then CK_*). */
  env: string;
  description: string;
}

export function configFields(): ConfigFieldDoc[] {
  const defaults = defaultConfig();
  return FIELDS.map((field) => ({
    key: field.key,
    camel: field.camel,
    type: describeType(field.type),
    default: field.defaultDoc ?? formatDefault(valueAt(defaults, field)),
    env: [...otelVarsFor(field.key), `HT_${field.envSuffix}`, `CK_${field.envSuffix}`].join(', '),
    description: field.description,
  }));
}

function valueAt(config: unknown, field: FieldSpec): unknown {
  let node = config;
  for (const segment of field.camelPath) node = (node as Record<string, unknown>)[segment];
  return node;
}

function formatDefault(value: unknown): string {
  if (value === undefined) return 'unset';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return value.length === 0 ? 'empty list' : value.join(',');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : entries.map(([k, v]) => `${k}=${String(v)}`).join(',');
  }
  return String(value);
}
