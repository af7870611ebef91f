/**
 * Reads the nested-object sources (config file in snake_case, init options in camelCase) into
 * flat raw entries by walking the schema's sections. Only known sections are descended into, so
 * circular objects and deep junk cost nothing; getters and proxies that throw become warnings.
 */
import { sourceProblem, unknownKey, type ConfigIssue } from './issues';
import { CAMEL_GROUPS, FIELD_BY_CAMEL, FIELD_BY_KEY, FOREIGN_HYPERTRACE_KEYS, SNAKE_GROUPS, snakeToCamel, type FieldSpec } from './schema';

/** One value for one field from one source, before validation. */
export interface RawEntry {
  readonly field: FieldSpec;
  readonly raw: unknown;
  /** e.g. `env CK_METRICS_MAX_PATHS`, `file /x/agent.yaml`, `init option metrics.maxPaths`. */
  readonly source: string;
}

export type Naming = 'snake' | 'camel';

interface TreeContext {
  naming: Naming;
  /** Source label for a value at a dotted path (in the source's naming). */
  label: (path: string) => string;
  /** Label of the whole source, for unknown keys. */
  sourceName: string;
  entries: RawEntry[];
  issues: ConfigIssue[];
}

/** An object literal (or null-prototype object): not an array, Date, Map, class instance. Never throws. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false;
  }
}

/**
 * Collects the entries of `root` (already known to be an object). Unknown keys produce one
 * issue each; a section that is not an object produces one issue and is skipped.
 */
export function collectTree(
  root: Record<string, unknown>,
  naming: Naming,
  sourceName: string,
  label: (path: string) => string,
  issues: ConfigIssue[]
): RawEntry[] {
  const ctx: TreeContext = { naming, label, sourceName, entries: [], issues };
  walk(ctx, root, '');
  return ctx.entries;
}

function walk(ctx: TreeContext, node: Record<string, unknown>, prefix: string): void {
  let keys: string[];
  try {
    keys = Object.keys(node);
  } catch (err) {
    ctx.issues.push(sourceProblem(ctx.label(prefix || '(root)'), prefix, `cannot list keys (${errorText(err)}); ignored`));
    return;
  }
  const fields = ctx.naming === 'snake' ? FIELD_BY_KEY : FIELD_BY_CAMEL;
  const groups = ctx.naming === 'snake' ? SNAKE_GROUPS : CAMEL_GROUPS;
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key;
    let value: unknown;
    try {
      value = node[key];
    } catch (err) {
      ctx.issues.push(sourceProblem(ctx.label(path), displayKey(ctx, path), `cannot be read (${errorText(err)}); ignored`));
      continue;
    }
    const field = fields.get(path);
    if (field) {
      if (value !== undefined) ctx.entries.push({ field, raw: value, source: ctx.label(path) });
      continue;
    }
    if (groups.has(path)) {
      if (value === undefined || (value === null && ctx.naming === 'snake')) continue; // an empty YAML section
      if (isPlainObject(value)) walk(ctx, value, path);
      else {
        ctx.issues.push(sourceProblem(ctx.label(path), displayKey(ctx, path), `expected a section (an object) for ${path}; ignored`));
      }
      continue;
    }
    if (ctx.naming === 'snake' && FOREIGN_HYPERTRACE_KEYS.has(path)) continue;
    ctx.issues.push(unknownKey(ctx.sourceName, path, suggest(ctx.naming, path)));
  }
}

function displayKey(ctx: TreeContext, path: string): string {
  if (ctx.naming === 'snake') return path;
  return path
    .split('.')
    .map((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
    .join('.');
}

/** A known key in the right naming when the user wrote the other naming (`maxPaths` in a file). */
function suggest(naming: Naming, path: string): string | undefined {
  if (naming === 'snake') {
    const asCamel = path.split('.').map(snakeToCamel).join('.');
    const byCamel = FIELD_BY_CAMEL.get(asCamel);
    if (byCamel) return byCamel.key;
    const snake = path
      .split('.')
      .map((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
      .join('.');
    return FIELD_BY_KEY.get(snake)?.key;
  }
  const asCamel = path.split('.').map(snakeToCamel).join('.');
  return FIELD_BY_CAMEL.get(asCamel)?.camel;
}

export function errorText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'unprintable error';
  }
}
