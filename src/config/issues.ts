/**
 * Config problems: collected while resolving, then logged as one warning each, or thrown
 * together as a ConfigError in strict mode. Values from users are shown shortened and with
 * control characters escaped, so a hostile env var cannot forge log lines.
 */

export interface ConfigIssue {
  /** Where the value came from: `env CK_METRICS_MAX_PATHS`, `file /x/agent.yaml`, `init option metrics.maxPaths`. */
  readonly source: string;
  /** The snake_case config key concerned ('' for a whole source, e.g. an unreadable file). */
  readonly key: string;
  /** The complete one-line warning. */
  readonly message: string;
  /**
   * The problem alone, without what the agent does about it ("using the value from ..."): what
   * strict mode reports, since strict mode falls back to nothing.
   */
  readonly problem?: string;
}

/** Thrown by resolveConfig in strict mode; `issues` lists every problem found. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid ck-agent configuration (strict mode):\n${issues.map((i) => `  - ${i.problem ?? i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Longest piece of user input quoted in a warning. */
export const MAX_SHOWN = 100;

/** Escapes control characters, so user input cannot break or forge log lines. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Escapes control characters and cuts to MAX_SHOWN characters. */
export function sanitize(text: string): string {
  const escaped = escapeControl(text.length > MAX_SHOWN ? text.slice(0, MAX_SHOWN) : text);
  return text.length > MAX_SHOWN ? `${escaped}... (${text.length} chars)` : escaped;
}

/** A raw config value as shown in a warning; never throws (circular objects, throwing getters). */
export function showValue(raw: unknown, secret = false): string {
  if (secret) {
    const length = typeof raw === 'string' ? `${raw.length} chars` : typeof raw;
    return `<hidden ${length}>`;
  }
  try {
    if (typeof raw === 'string') return `"${sanitize(raw)}"`;
    if (raw === undefined || typeof raw === 'number' || typeof raw === 'boolean' || raw === null) return String(raw);
    if (typeof raw === 'bigint') return `${raw}n`;
    if (typeof raw === 'function' || typeof raw === 'symbol') return `<${typeof raw}>`;
    const json = JSON.stringify(raw);
    return sanitize(json === undefined ? String(raw) : json);
  } catch {
    try {
      return sanitize(Object.prototype.toString.call(raw));
    } catch {
      return '<unprintable>';
    }
  }
}

/** What an invalid `enabled` value falls back to (it fails safe, see resolveConfig). */
export const DISABLED_FALLBACK = '\u0000disabled';

export function invalidValue(source: string, key: string, raw: unknown, expected: string, fallback: string, secret = false): ConfigIssue {
  const problem = `invalid config value from ${escapeControl(source)} for ${key}: ${showValue(raw, secret)} (expected ${expected})`;
  const action = fallback === DISABLED_FALLBACK ? 'ck-agent is disabled' : `using the value from ${fallback}`;
  return { source, key, problem, message: `${problem}; ${action}` };
}

/** A fail-safe list kept its valid entries and dropped the others. */
export function droppedEntries(
  source: string,
  key: string,
  dropped: readonly string[],
  expected: string,
  kept: readonly string[]
): ConfigIssue {
  const shown = dropped.map((d) => showValue(d)).join(', ');
  const problem = `invalid ${dropped.length === 1 ? 'entry' : 'entries'} from ${escapeControl(source)} for ${key}: ${shown} (expected ${expected})`;
  return { source, key, problem, message: `${problem}; dropped, keeping ${kept.join(',')}` };
}

export function unknownKey(source: string, key: string, suggestion?: string): ConfigIssue {
  const hint = suggestion ? `; did you mean ${suggestion}?` : '';
  return { source, key, message: `unknown config key from ${escapeControl(source)}: ${sanitize(key)} (ignored${hint})` };
}

export function sourceProblem(source: string, key: string, problem: string): ConfigIssue {
  return { source, key, message: `${escapeControl(source)}: ${escapeControl(problem)}` };
}
