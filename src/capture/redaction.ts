/**
 * Redaction of captured data (docs/http-express.md, "Redaction"). Built once from
 * `config.redaction`; every method is safe to call on the hot path and never throws.
 *
 * - Header / gRPC metadata names are matched exactly, case-insensitively (a Set lookup).
 * - Body keys are regular-expression sources, OR-ed into one case-insensitive, unanchored regex
 *   (`pass` matches `password`, `api[-_]?key` matches `X-Api-Key`). An invalid source is skipped
 *   with one warning.
 * - JSON bodies: values of matching keys are replaced by "[REDACTED]" at any depth (objects and
 *   arrays under a matching key too). The text is returned unchanged when nothing matched;
 *   otherwise it is re-serialised compactly.
 * - form-urlencoded bodies: values of matching keys.
 * - Anything else, and JSON that does not parse (e.g. cut at the processing limit): text with
 *   `"key": value`, `key=value` (to the next delimiter) and `key: value` (to the end of the
 *   line) shapes redacted.
 * Work is bounded: JSON walks stop at MAX_JSON_NODES (then the text fallback runs instead), text
 * patterns are linear (no nested quantifiers) and keys longer than MAX_KEY_LENGTH are ignored.
 * An empty list turns that part off.
 */
import type { RedactionConfig } from '../config/types';
import { logger } from '../logger';
import { type KeyFinder, SCAN_UNDECIDED, scanRedactJson } from './json-redact';

export const REDACTED = '[REDACTED]';
const REDACTED_JSON = JSON.stringify(REDACTED);

const MAX_JSON_NODES = 100_000;
const MAX_KEY_LENGTH = 256;
const MAX_KEY_DECISIONS = 1024;

export type HeaderRecord = Record<string, string | string[] | number | undefined>;

// `"key" : value` (JSON-ish, quotes optional around a bare key). Value: a string literal
// (possibly unterminated, as in a cut body) or a scalar run up to a delimiter.
const QUOTED_PAIR = /"((?:[^"\\\n]|\\.){1,256})"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]+)/g;
// `key=value` outside JSON: key is a run of word-ish chars, value runs to a delimiter.
const PLAIN_PAIR = /(^|[\s&;,?{(])([\w.\-[\]%+]{1,256})(\s*=\s*)([^&;,\s"}]*)/g;
// `key: value` (header-like lines): the value runs to the end of the line (`Basic xyz` whole).
const COLON_PAIR = /(^|[\s&;,?{(])([\w.\-[\]%+]{1,256})([ \t]*:[ \t]*)([^&;,\r\n"}]*)/g;

export class Redactor {
  private readonly headerNames: ReadonlySet<string>;
  private readonly bodyKey: RegExp | undefined;
  /**
   * True when no pattern is anchored, looks around or tests word boundaries: then a key matches
   * exactly when the pattern matches inside its text (escapes aside), so a search of the raw text
   * rules out most bodies and finds the keys to look at (keyFinder).
   */
  private readonly textScanDecides: boolean;
  /** The patterns as one global regex for the JSON scan when textScanDecides (json-redact.ts). */
  private readonly keyFinder: KeyFinder | undefined;
  /**
   * True when every pattern matches only ASCII letters, digits, `_` and `-` (the defaults do):
   * then of the JSON escapes only `\u` can spell part of a match (the others decode to quotes,
   * slashes, backslashes and control characters), so a JSON text with other escapes can still be
   * ruled out by its raw text.
   */
  private readonly wordKeys: boolean;

  constructor(config: Pick<RedactionConfig, 'headerNames' | 'bodyKeys'>) {
    this.headerNames = new Set((config.headerNames ?? []).filter((n) => typeof n === 'string').map((n) => n.toLowerCase()));
    const sources: string[] = [];
    for (const source of config.bodyKeys ?? []) {
      if (typeof source !== 'string' || source.length === 0) continue;
      try {
        new RegExp(source, 'i');
        sources.push(`(?:${source})`);
      } catch {
        logger.once('warn', `redaction-pattern:${source}`, `redaction.body_keys: invalid pattern ${JSON.stringify(source)} skipped`);
      }
    }
    this.bodyKey = sources.length > 0 ? new RegExp(sources.join('|'), 'i') : undefined;
    this.textScanDecides = sources.every((source) => !/[\^$]|\(\?[<=!]|\\[bB]/.test(source));
    this.keyFinder =
      this.textScanDecides && sources.length > 0 ? { re: new RegExp(sources.join('|'), 'gi'), maxKeyLength: MAX_KEY_LENGTH } : undefined;
    this.wordKeys = sources.every((source) => WORD_PATTERN.test(source));
  }

  /**
   * Fast path: true when no key in `text` can match. Only where the raw text shows keys as
   * the chosen path decodes them: escapes (`%70ass` / `+` in forms, `\u0070ass` in JSON, see
   * wordKeys) could hide a match; the text fallback looks at raw text only.
   */
  private cannotMatch(text: string, form: boolean): boolean {
    if (!this.textScanDecides) return false;
    // indexOf is a native memchr, a regex character class is not.
    if (form ? text.indexOf('%') >= 0 || text.indexOf('+') >= 0 : text.indexOf(this.wordKeys ? '\\u' : '\\') >= 0) return false;
    return !(this.bodyKey as RegExp).test(text);
  }

  get headersEnabled(): boolean {
    return this.headerNames.size > 0;
  }

  get bodyEnabled(): boolean {
    return this.bodyKey !== undefined;
  }

  isRedactedHeader(name: string): boolean {
    return this.headerNames.size > 0 && this.headerNames.has(name.toLowerCase());
  }

  /** The value to record for header `name`: REDACTED (same shape) when the name is listed. */
  headerValue<T extends string | string[]>(name: string, value: T): T | string | string[] {
    if (!this.isRedactedHeader(name)) return value;
    return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  }

  /** A copy of `record` with listed names redacted; numbers become strings, undefined is dropped. */
  redactHeaders(record: HeaderRecord): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const name of Object.keys(record)) {
      const value = record[name];
      if (value === undefined) continue;
      const v = typeof value === 'number' ? String(value) : value;
      out[name] = this.headerValue(name, v);
    }
    return out;
  }

  isRedactedKey(key: string): boolean {
    return this.bodyKey !== undefined && key.length <= MAX_KEY_LENGTH && this.bodyKey.test(key);
  }

  /** Decisions per JSON key text: bodies repeat the same few keys (bounded). */
  private readonly keyDecisions = new Map<string, boolean>();

  private readonly isKey = (key: string): boolean => {
    let redact = this.keyDecisions.get(key);
    if (redact === undefined) {
      redact = this.isRedactedKey(key);
      if (this.keyDecisions.size < MAX_KEY_DECISIONS) this.keyDecisions.set(key, redact);
    }
    return redact;
  };

  /** `text` with values of matching keys redacted, chosen by content type (see file comment). */
  body(text: string, contentType?: string): string {
    if (!this.bodyKey || typeof text !== 'string' || text.length === 0) return text;
    try {
      const ct = contentType ? contentType.toLowerCase() : '';
      const form = ct.includes('x-www-form-urlencoded');
      if (this.cannotMatch(text, form)) return text;
      if (form) return this.form(text);
      if (ct.includes('json') || looksLikeJson(text)) {
        const redacted = this.json(text);
        if (redacted !== undefined) return redacted;
      }
      return this.text(text);
    } catch (err) {
      // Never leak what could not be checked.
      logger.once('warn', 'redaction-failed', `body redaction failed, body replaced: ${String(err)}`);
      return REDACTED;
    }
  }

  /**
   * JSON redaction; undefined when `text` is not JSON or is too large to walk. A one-pass scan of
   * the text answers most bodies (src/capture/json-redact.ts, same result); parse + walk +
   * stringify decides the rest.
   */
  json(text: string): string | undefined {
    const scanned = scanRedactJson(text, this.isKey, REDACTED_JSON, MAX_JSON_NODES, this.keyFinder);
    if (scanned !== SCAN_UNDECIDED) return scanned;
    let root: unknown;
    try {
      root = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (root === null || typeof root !== 'object') return text;
    const changed = this.walk(root);
    if (changed === undefined) return undefined;
    if (!changed) return text;
    try {
      return JSON.stringify(root);
    } catch {
      return undefined; // e.g. nesting too deep to serialise: the text fallback runs
    }
  }

  /** Iterative walk (no recursion: deep nesting cannot overflow the stack). */
  private walk(root: object): boolean | undefined {
    const key = this.bodyKey as RegExp;
    const stack: object[] = [root];
    let nodes = 0;
    let changed = false;
    while (stack.length > 0) {
      const node = stack.pop() as Record<string, unknown> | unknown[];
      if (++nodes > MAX_JSON_NODES) return undefined;
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          const v = node[i];
          if (v !== null && typeof v === 'object') stack.push(v);
        }
        continue;
      }
      for (const k of Object.keys(node)) {
        const v = node[k];
        if (k.length <= MAX_KEY_LENGTH && key.test(k)) {
          node[k] = REDACTED;
          changed = true;
        } else if (v !== null && typeof v === 'object') {
          stack.push(v);
        }
      }
    }
    return changed;
  }

  form(text: string): string {
    const parts = text.split('&');
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const eq = part.indexOf('=');
      const rawKey = eq < 0 ? part : part.slice(0, eq);
      if (eq < 0 || rawKey.length > MAX_KEY_LENGTH * 3) continue;
      if (this.isRedactedKey(decodeFormComponent(rawKey))) {
        parts[i] = rawKey + '=' + REDACTED;
        changed = true;
      }
    }
    return changed ? parts.join('&') : text;
  }

  /** Text fallback: `"key": value` and `key=value` / `key: value` shapes. */
  text(text: string): string {
    const key = this.bodyKey as RegExp;
    let out = text.replace(QUOTED_PAIR, (match, k: string, sep: string) => {
      if (!key.test(k)) return match;
      return `"${k}"${sep}"${REDACTED}"`;
    });
    const plain = (match: string, lead: string, k: string, sep: string, value: string): string =>
      value.trim().length === 0 || !key.test(k) ? match : lead + k + sep + REDACTED;
    out = out.replace(PLAIN_PAIR, plain);
    return out.replace(COLON_PAIR, plain);
  }
}

/**
 * A pattern that can only match ASCII letters, digits, `_` and `-`: literals, classes of those
 * (ranges within a-z, A-Z, 0-9), groups, alternation and quantifiers (see wordKeys).
 */
const WORD_PATTERN = /^(?:[A-Za-z0-9_-]|\[-?(?:[A-Za-z0-9_]|[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9])*-?\]|\(\?:|[()|?*+]|\{\d+(?:,\d*)?\})*$/;

function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length && i < 64; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) return true;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return false;
}

function decodeFormComponent(s: string): string {
  const plusless = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plusless.includes('%')) return plusless;
  try {
    return decodeURIComponent(plusless);
  } catch {
    return plusless;
  }
}
