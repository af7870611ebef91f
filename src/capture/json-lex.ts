/**
 * JSON lexing for the redaction scan (src/capture/json-redact.ts): whitespace, strings, numbers,
 * and whether stringify would print a token exactly as written. Strings are skipped natively
 * (`indexOf` of the closing quote) unless an escape or a character that needs care is in them.
 */

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// eslint-disable-next-line no-control-regex -- raw control characters are what this looks for
const RARE_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const NONE = Number.MAX_SAFE_INTEGER;

// Per text (scans do not nest). careful: a control character other than \t \n \r, or a lone
// surrogate, is somewhere in the text: strings are scanned character by character. Otherwise the
// next backslash, \n, \r and \t are tracked (found natively, each searched again only once
// passed): a string without one of them before its closing quote is valid and canonical.
let careful = false;
let nextBackslash = -1;
let nextLf = -1;
let nextCr = -1;
let nextTab = -1;
/** The nearest of the four at or after the last string start; -1: to search, NONE: none. */
let nextSpecial = -1;

/** Starts lexing a new text (resets the per-text state of stringEnd). */
export function beginText(text: string): void {
  careful = !(text as unknown as { isWellFormed(): boolean }).isWellFormed() || RARE_CONTROL.test(text);
  nextBackslash = nextLf = nextCr = nextTab = nextSpecial = -1;
}

function found(at: number): number {
  return at < 0 ? NONE : at;
}

/**
 * End of a string body (after its opening quote at i - 1), same answers as scanString: the
 * closing quote found natively unless a special character (see beginText) comes before it.
 */
export function stringEnd(text: string, i: number): number {
  if (careful) return scanString(text, i);
  const q = text.indexOf('"', i);
  if (q < 0) return -1;
  if (nextSpecial < i) {
    if (nextBackslash < i) nextBackslash = found(text.indexOf('\\', i));
    if (nextLf < i) nextLf = found(text.indexOf('\n', i));
    if (nextCr < i) nextCr = found(text.indexOf('\r', i));
    if (nextTab < i) nextTab = found(text.indexOf('\t', i));
    nextSpecial = Math.min(nextBackslash, nextLf, nextCr, nextTab);
  }
  if (nextSpecial > q) return q + 1;
  return scanString(text, i);
}

export function skipWs(text: string, i: number): number {
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i); // in bounds only, see scanRedactJson
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
  }
  return i;
}

/**
 * Scans a string body starting after its opening quote. Returns the index after the closing
 * quote; -1 when invalid (or unterminated); -(end + 2) when valid but not canonical (an escape
 * other than \" \\ \b \f \n \r \t, or a lone surrogate).
 */
export function scanString(text: string, i: number): number {
  const n = text.length;
  let canonical = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return canonical ? i + 1 : -(i + 1) - 2;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        for (let h = i + 2; h < i + 6; h++) if (!isHex(text.charCodeAt(h))) return -1;
        canonical = false;
        i += 6;
        continue;
      }
      if (e === 0x2f /* / */) canonical = false;
      else if (e !== QUOTE && e !== BACKSLASH && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
      i += 2;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = text.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        i += 2;
        continue;
      }
      canonical = false;
    }
    i++;
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * Set by scanNumber: the number is surely printed as written (`String(Number(text)) === text`)
 * without asking: an integer of at most 15 digits other than -0, or a decimal without exponent,
 * trailing zero or more than 15 significant digits, and below 1 only down to 0.000001 (smaller
 * ones print in exponent form). At most 15 significant digits round-trip exactly, and no shorter
 * decimal names the same double, so the shortest form stringify prints is the text itself.
 */
export let numberPlain = true;

/** JSON number grammar from i; index after it or -1. Sets numberPlain. */
export function scanNumber(text: string, i: number): number {
  const negative = text.charCodeAt(i) === 0x2d;
  if (negative) i++;
  let c = text.charCodeAt(i);
  let digits: number;
  const zero = c === 0x30;
  if (zero) {
    c = text.charCodeAt(++i);
    digits = 0;
  } else if (c >= 0x31 && c <= 0x39) {
    const from = i;
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
    digits = i - from;
  } else return -1;
  let plain = zero ? !negative : digits <= 15;
  if (c === 0x2e /* . */) {
    c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    const from = i;
    let leadingZeros = -1;
    do {
      if (leadingZeros < 0 && c !== 0x30) leadingZeros = i - from;
      c = text.charCodeAt(++i);
    } while (c >= 0x30 && c <= 0x39);
    const fraction = i - from;
    // The last digit is not a zero (then leadingZeros >= 0, the value is not zero).
    plain = text.charCodeAt(i - 1) !== 0x30 && (zero ? leadingZeros <= 5 && fraction - leadingZeros <= 15 : digits + fraction <= 15);
  }
  if (c === 0x65 || c === 0x45) {
    plain = false;
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  numberPlain = plain;
  return i;
}

/** True when stringify would print the number token text[start..end) exactly as written. */
export function canonicalNumber(text: string, start: number, end: number): boolean {
  const token = text.slice(start, end);
  return String(Number(token)) === token;
}
