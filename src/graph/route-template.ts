/**
 * Low-cardinality HTTP route templates for paths without a framework route
 * (`/orders/42/items?x=1` → `/orders/{id}/items`).
 *
 * Rules, applied per non-empty path segment (empty segments from `//` or a trailing `/` are
 * dropped):
 * - all ASCII digits                                            → `{id}`
 * - a UUID (8-4-4-4-12 hex, either case)                        → `{id}`
 * - 16 or more hex digits (either case), e.g. Mongo ObjectIds   → `{id}`
 * - base64/base64url-like: 20 or more chars, all from
 *   `A-Z a-z 0-9 - _ + = . ~`, with at least one letter AND one digit → `{id}`
 *   (covers tokens, JWT-ish strings, cuid/nanoid ids; a long word without digits, such as a
 *   camelCase action name, is kept. A random token with no digit at all slips through; the
 *   metrics cardinality cap is the backstop for those.)
 * - longer than 64 chars (whatever it is)                        → `{id}`
 * At most 8 segments are kept; more become a trailing `/...`. The query string and fragment are
 * dropped; an absolute URL (`http://host/p`) keeps its path only. Empty → `/`.
 *
 * Bounded work: the input is cut at 2048 chars first; everything is single-pass char scanning
 * (no regular expressions, so no backtracking risk).
 */

const MAX_INPUT = 2048;
const MAX_SEGMENTS = 8;
const MAX_SEGMENT_LENGTH = 64;
const MIN_HEX_ID = 16;
const MIN_TOKEN_ID = 20;
const ID = '{id}';

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isUuid(path: string, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = path.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!isHex(c)) return false;
  }
  return true;
}

/** Whether path[start, end) is an identifier that must become `{id}`. */
function isIdSegment(path: string, start: number, end: number): boolean {
  const length = end - start;
  if (length > MAX_SEGMENT_LENGTH) return true;
  let digits = 0;
  let letters = 0;
  let hex = 0;
  let tokenChars = 0;
  for (let i = start; i < end; i++) {
    const c = path.charCodeAt(i);
    if (isDigit(c)) {
      digits++;
      hex++;
      tokenChars++;
    } else if (isLetter(c)) {
      letters++;
      tokenChars++;
      if (isHex(c)) hex++;
    } else if (c === 0x2d || c === 0x5f || c === 0x2b || c === 0x3d || c === 0x2e || c === 0x7e) {
      tokenChars++; // - _ + = . ~
    }
  }
  if (digits === length) return true;
  if (hex === length && length >= MIN_HEX_ID) return true;
  if (length === 36 && isUuid(path, start, end)) return true;
  return length >= MIN_TOKEN_ID && tokenChars === length && digits > 0 && letters > 0;
}

/** Index where the path part of an absolute URL starts (after `scheme://host`), else 0. */
function pathStart(s: string): number {
  // Only a scheme-looking prefix counts: letters, digits, + - . then "://" within the first 16 chars.
  const limit = Math.min(s.length, 16);
  for (let i = 0; i < limit; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a /* : */) {
      if (i === 0 || s.charCodeAt(i + 1) !== 0x2f || s.charCodeAt(i + 2) !== 0x2f) return 0;
      const slash = s.indexOf('/', i + 3);
      return slash < 0 ? s.length : slash;
    }
    if (!(isLetter(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) return 0;
  }
  return 0;
}

export function routeTemplate(path: string): string {
  if (typeof path !== 'string' || path.length === 0) return '/';
  const input = path.length > MAX_INPUT ? path.slice(0, MAX_INPUT) : path;
  let end = input.length;
  for (let i = 0; i < end; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) {
      end = i;
      break;
    }
  }
  let out = '';
  let segments = 0;
  let segStart = pathStart(input);
  for (let i = segStart; i <= end; i++) {
    if (i < end && input.charCodeAt(i) !== 0x2f /* / */) continue;
    if (i > segStart) {
      if (segments === MAX_SEGMENTS) {
        out += '/...';
        return out;
      }
      out += '/' + (isIdSegment(input, segStart, i) ? ID : input.slice(segStart, i));
      segments++;
    }
    segStart = i + 1;
  }
  return out === '' ? '/' : out;
}

/** Characters that separate the parts of a queue, exchange, routing key or topic name. */
function isDestinationSeparator(c: number): boolean {
  return c === 0x2e /* . */ || c === 0x2f /* / */ || c === 0x3a; /* : */
}

/**
 * Low-cardinality messaging destination (docs/messaging.md): the name is split at `.`, `/` and
 * `:`, and each part that routeTemplate would call an id becomes `{id}`
 * (`orders.42.created` → `orders.{id}.created`, a server-named queue `amq.gen-JzTY20BRgKO-HjmUJj0wLg`
 * → `amq.{id}`). At most 8 parts are kept (then `.…` marks the rest). Separators are kept as they
 * were; empty parts are kept (`a..b` stays). Input cut at 2048 chars, single pass.
 */
export function destinationTemplate(name: string): string {
  if (typeof name !== 'string' || name.length === 0) return '';
  const input = name.length > MAX_INPUT ? name.slice(0, MAX_INPUT) : name;
  let out = '';
  let parts = 0;
  let start = 0;
  for (let i = 0; i <= input.length; i++) {
    if (i < input.length && !isDestinationSeparator(input.charCodeAt(i))) continue;
    if (parts === MAX_SEGMENTS) return out + '…';
    out += i > start && isIdSegment(input, start, i) ? ID : input.slice(start, i);
    if (i < input.length) out += input[i];
    parts++;
    start = i + 1;
  }
  return out;
}
