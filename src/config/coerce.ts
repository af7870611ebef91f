/**
 * Turns a raw value from any source (env string, YAML/JSON value, init option) into the typed
 * value of a field, or says why it cannot. Strings are accepted for every type, so env vars,
 * quoted YAML scalars and init options all go through the same rules.
 */
import { BOOL_EXPECTED, describeType, MAX_INT, type FieldType } from './schema';
import { isPlainObject } from './tree';

export type Coercion =
  /** `dropped`: invalid entries left out of a fail-safe list (`enumList` with `dropInvalid`). */
  | { readonly ok: true; readonly value: unknown; readonly dropped?: readonly string[] }
  /** The source mentions the field but means "not set" (null, Hypertrace UNSPECIFIED). */
  | { readonly ok: true; readonly unset: true }
  | { readonly ok: false; readonly expected: string };

/** Longest raw string considered at all (a whole env var, list or map included). */
export const MAX_STRING_LENGTH = 16384;
/** Most entries in one list or map. */
export const MAX_ENTRIES = 1000;

const UNSET: Coercion = Object.freeze({ ok: true, unset: true } as const);
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Stands for "every value" inside an `allowAll` enum list while it is parsed. */
const ALL_ENTRY = '\u0000all';

const ok = (value: unknown): Coercion => ({ ok: true, value });
const bad = (expected: string): Coercion => ({ ok: false, expected });

/**
 * A raw value a source-specific parser already found invalid (e.g. an unknown OTEL_LOG_LEVEL),
 * carrying what was expected so the warning can say it.
 */
export class InvalidRaw {
  constructor(
    readonly raw: unknown,
    readonly expected: string
  ) {}
}

export function coerce(type: FieldType, raw: unknown): Coercion {
  if (raw === undefined || raw === null) return UNSET;
  if (raw instanceof InvalidRaw) return bad(raw.expected);
  if (typeof raw === 'string' && raw.length > MAX_STRING_LENGTH) {
    return bad(`${describeType(type)} of at most ${MAX_STRING_LENGTH} characters`);
  }
  switch (type.kind) {
    case 'string':
      return coerceString(raw, type.nonEmpty === true, describeType(type));
    case 'path':
      return coerceString(raw, false, describeType(type));
    case 'url':
      return coerceUrl(raw);
    case 'bool':
      return coerceBool(raw);
    case 'int':
      if (type.unlimited && (raw === Infinity || (typeof raw === 'string' && raw.trim().toLowerCase() === 'infinity'))) {
        return ok(Infinity);
      }
      return coerceInt(raw, type.min, type.max ?? MAX_INT, describeType(type));
    case 'number':
      return coerceNumber(raw, type.min, type.max, describeType(type));
    case 'enum': {
      const result = enumValue(raw, type.values, type.aliases, type.unset);
      if (result === null) return UNSET;
      return result === undefined ? bad(describeType(type)) : ok(result);
    }
    case 'enumList': {
      const result = coerceList(
        raw,
        describeType(type),
        (entry) =>
          type.allowAll && entry.toLowerCase() === 'all' ? ALL_ENTRY : (enumValue(entry, type.values, type.aliases) ?? undefined),
        type.dropInvalid === true
      );
      if (!type.allowAll || !result.ok || !('value' in result)) return result;
      const values = result.value as string[];
      return values.includes(ALL_ENTRY) ? ok([...type.values]) : result;
    }
    case 'list':
      return coerceList(raw, describeType(type), (entry) => {
        const value = type.lowerCase ? entry.toLowerCase() : entry;
        if (type.patterns) {
          try {
            new RegExp(value, 'i');
          } catch {
            return undefined;
          }
        }
        return value;
      });
    case 'map':
      return coerceMap(raw, type.lowerCaseKeys === true);
    case 'quantiles':
      return coerceQuantiles(raw, describeType(type));
  }
}

function textOf(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

function coerceString(raw: unknown, nonEmpty: boolean, expected: string): Coercion {
  const text = textOf(raw);
  if (text === undefined || CONTROL_CHARS.test(text) || (nonEmpty && text === '')) {
    return bad(`${expected} without control characters`);
  }
  return ok(text);
}

function coerceUrl(raw: unknown): Coercion {
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  if (text === undefined || text === '' || CONTROL_CHARS.test(text)) return bad('an http(s) URL');
  try {
    const url = new URL(text);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return ok(text);
  } catch {
    // falls through to the warning
  }
  return bad('an http(s) URL such as http://localhost:4317');
}

/** true/false, yes/no, on/off, 1/0 in any case; undefined when it is none of these. */
export function parseBool(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (raw === 1 || raw === 0) return raw === 1;
  if (typeof raw !== 'string') return undefined;
  switch (raw.trim().toLowerCase()) {
    case 'true':
    case 'yes':
    case 'on':
    case '1':
      return true;
    case 'false':
    case 'no':
    case 'off':
    case '0':
      return false;
    default:
      return undefined;
  }
}

function coerceBool(raw: unknown): Coercion {
  const value = parseBool(raw);
  return value === undefined ? bad(BOOL_EXPECTED) : ok(value);
}

const INT_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function coerceInt(raw: unknown, min: number, max: number, expected: string): Coercion {
  let value: number | undefined;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && INT_TEXT.test(raw.trim())) value = Number(raw.trim());
  if (value === undefined || !Number.isInteger(value)) return bad(expected);
  if (value < min) return bad(expected);
  if (value > max) return bad(`${expected}${max === MAX_INT ? ` up to ${MAX_INT}` : ''}`);
  return ok(value);
}

function coerceNumber(raw: unknown, min: number, max: number, expected: string): Coercion {
  const value = toNumber(raw);
  if (value === undefined || value < min || value > max) return bad(expected);
  return ok(value);
}

function toNumber(raw: unknown): number | undefined {
  let value: number | undefined;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && NUMBER_TEXT.test(raw.trim())) value = Number(raw.trim());
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/**
 * The canonical spelling of an enum value: the value itself, undefined when unknown, null when
 * it is one of the "not set" spellings.
 */
function enumValue(
  raw: unknown,
  values: readonly string[],
  aliases?: Readonly<Record<string, string>>,
  unset?: readonly string[]
): string | undefined | null {
  if (typeof raw !== 'string') return undefined;
  const upper = raw.trim().toUpperCase();
  if (unset?.includes(upper)) return null;
  for (const value of values) if (value.toUpperCase() === upper) return value;
  return aliases?.[upper];
}

/** Array entries, or a comma-separated string (trimmed, empty entries dropped; `none` = empty). */
function listEntries(raw: unknown): unknown[] | undefined {
  if (typeof raw === 'string') {
    if (raw.trim().toLowerCase() === 'none') return [];
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  if (Array.isArray(raw)) return raw;
  return undefined;
}

/**
 * With `dropInvalid`, an entry `entryValue` refuses is left out (and reported in `dropped`)
 * instead of refusing the whole list; a list with no valid entry at all is still refused.
 */
function coerceList(raw: unknown, expected: string, entryValue: (entry: string) => string | undefined, dropInvalid = false): Coercion {
  let entries: unknown[] | undefined;
  try {
    entries = listEntries(raw);
  } catch {
    entries = undefined;
  }
  if (entries === undefined || entries.length > MAX_ENTRIES) return bad(`${expected} (at most ${MAX_ENTRIES})`);
  const out: string[] = [];
  const dropped: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const text = textOf(entries[i]);
    if (text === undefined || text === '' || CONTROL_CHARS.test(text) || text.length > MAX_STRING_LENGTH) {
      return bad(expected);
    }
    const value = entryValue(text);
    if (value === undefined) {
      if (!dropInvalid) return bad(`${expected}; ${JSON.stringify(text.slice(0, 60))} is not one`);
      dropped.push(text.slice(0, 60));
      continue;
    }
    if (!out.includes(value)) out.push(value);
  }
  if (dropped.length === 0) return ok(out);
  if (out.length === 0)
    return bad(`${expected}; ${dropped.map((d) => JSON.stringify(d)).join(', ')} ${dropped.length === 1 ? 'is' : 'are'} not one`);
  return { ok: true, value: out, dropped };
}

function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `k1=v1,k2=v2` (W3C baggage style: trimmed, percent-decoded); undefined when malformed. */
export function parseMapString(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = percentDecode(part.slice(0, eq).trim());
    if (key === '') return undefined;
    out[key] = percentDecode(part.slice(eq + 1).trim());
  }
  return out;
}

const MAP_EXPECTED = 'a map of strings (k1=v1,k2=v2)';

function coerceMap(raw: unknown, lowerCaseKeys: boolean): Coercion {
  let source: Record<string, unknown> | undefined;
  if (typeof raw === 'string') source = parseMapString(raw);
  else if (isPlainObject(raw)) source = raw;
  if (source === undefined) return bad(MAP_EXPECTED);
  const out: Record<string, string> = {};
  try {
    const keys = Object.keys(source);
    if (keys.length > MAX_ENTRIES) return bad(`${MAP_EXPECTED} with at most ${MAX_ENTRIES} entries`);
    for (const key of keys) {
      const value = source[key];
      const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      if (
        text === undefined ||
        key.trim() === '' ||
        CONTROL_CHARS.test(key) ||
        CONTROL_CHARS.test(text) ||
        key.length > MAX_STRING_LENGTH ||
        text.length > MAX_STRING_LENGTH
      ) {
        return bad(`${MAP_EXPECTED} without control characters`);
      }
      out[lowerCaseKeys ? key.trim().toLowerCase() : key.trim()] = text;
    }
  } catch {
    return bad(MAP_EXPECTED);
  }
  return ok(out);
}

function coerceQuantiles(raw: unknown, expected: string): Coercion {
  const entries = listEntries(raw);
  if (entries === undefined || entries.length === 0 || entries.length > 100) return bad(expected);
  const values: number[] = [];
  for (const entry of entries) {
    const value = toNumber(entry);
    if (value === undefined || value <= 0 || value > 1) return bad(expected);
    if (!values.includes(value)) values.push(value);
  }
  return ok(values.sort((a, b) => a - b));
}
