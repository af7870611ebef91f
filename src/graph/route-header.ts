/**
 * The `ck-route` header codec: `<version>-<pathKey>-<flags>`, e.g. `1-4f1c2a9be07d3318-00`.
 *
 * Valid means exactly: version `1`, a dash, 16 lower-case hex chars, a dash, 2 lower-case hex
 * chars — after trimming surrounding whitespace (String.prototype.trim). Everything else is
 * invalid and parses to `undefined`, never an exception.
 *
 * Case decision: upper-case hex is REJECTED, not normalised. ck-agent only ever writes lower
 * case, W3C `traceparent` (the model for this header) makes upper case invalid too, and keeping
 * the rule strict means `raw` is always byte-for-byte the canonical form, safe to record as
 * `ck.route.incoming` without rewriting.
 */

export const CK_ROUTE_HEADER = 'ck-route';

/** Only version understood and written. */
export const CK_ROUTE_VERSION = '1';

/** Values longer than this are rejected before any other work (junk / attack input). */
export const MAX_ROUTE_HEADER_LENGTH = 64;

/** `1-` + 16 + `-` + 2. */
const ROUTE_LENGTH = 21;

export interface ParsedRoute {
  /** The 16 lower-case hex chars of the sender's path key. */
  pathKey: string;
  /** Flag bits (0..255); bit 0 is force capture. */
  flags: number;
  /** The validated header value (trimmed), e.g. `1-4f1c2a9be07d3318-00`. */
  raw: string;
}

/** Value of a lower-case hex digit char code, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // a-f
  return -1;
}

/** True for exactly 16 lower-case hex chars (the shape of every path key). */
export function isValidPathKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (hexValue(key.charCodeAt(i)) < 0) return false;
  return true;
}

function parseRouteString(value: string): ParsedRoute | undefined {
  // Length first: huge input costs one comparison, nothing is copied.
  if (value.length > MAX_ROUTE_HEADER_LENGTH) return undefined;
  const s = value.length === ROUTE_LENGTH ? value : value.trim();
  if (s.length !== ROUTE_LENGTH) return undefined;
  if (s.charCodeAt(0) !== 0x31 /* 1 */ || s.charCodeAt(1) !== 0x2d || s.charCodeAt(18) !== 0x2d) return undefined;
  for (let i = 2; i < 18; i++) if (hexValue(s.charCodeAt(i)) < 0) return undefined;
  const f1 = hexValue(s.charCodeAt(19));
  const f2 = hexValue(s.charCodeAt(20));
  if (f1 < 0 || f2 < 0) return undefined;
  return { pathKey: s.slice(2, 18), flags: (f1 << 4) | f2, raw: s };
}

/**
 * Parses a `ck-route` value as a header getter returns it: a string, or an array holding exactly
 * one string. Missing and invalid both give `undefined`; never throws, whatever `value` is
 * (including proxies and objects with throwing getters).
 */
export function parseRoute(value: unknown): ParsedRoute | undefined {
  try {
    if (typeof value === 'string') return parseRouteString(value);
    if (Array.isArray(value)) {
      if (value.length !== 1) return undefined;
      const only: unknown = value[0];
      return typeof only === 'string' ? parseRouteString(only) : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** `flags & 0xff` as 2 lower-case hex chars, precomputed so formatting allocates only the result. */
const FLAG_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/**
 * Formats a `ck-route` value. Does not validate `pathKey` (callers hold keys produced by
 * `pathKey()` or `parseRoute()`; the propagator checks before writing to a carrier).
 */
export function formatRoute(pathKey: string, flags: number): string {
  return CK_ROUTE_VERSION + '-' + pathKey + '-' + FLAG_HEX[(flags | 0) & 0xff];
}
