/**
 * One-pass JSON redaction over the text (docs/data-capture.md, "Redaction"): the result is the
 * same string `JSON.stringify` of the redacted `JSON.parse` tree would give, without building the
 * tree. Values of matching keys are cut out of the text and replaced by "[REDACTED]".
 *
 * It answers only where the text itself shows what parse + stringify would produce; anything
 * else returns SCAN_UNDECIDED and the caller runs the parse + stringify path, so the behaviour is
 * identical by construction:
 * - invalid JSON, a root that is not an object/array, nesting deeper than MAX_DEPTH, more than
 *   maxNodes objects/arrays, a duplicate key in an object, a key with an escape;
 * - when a key matched and the output must be re-serialised: whitespace outside strings is
 *   dropped (as stringify does), but escapes other than \" \\ \b \f \n \r \t, lone surrogates,
 *   numbers whose text is not what `String(Number(text))` gives, and keys that look like array
 *   indexes (V8 orders those first) leave the decision to the slow path.
 * Without a match the text is returned unchanged, as the slow path does.
 */

/** Returned when only a real parse can tell (see file comment). */
export const SCAN_UNDECIDED = Symbol('scan-undecided');

const MAX_DEPTH = 512;
/** Objects with more keys than this leave duplicate detection to the slow path. */
const MAX_KEYS_CHECKED = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const VALUE = 0;
const KEY = 1;
const AFTER = 2;
const OBJECT = 1;
const ARRAY = 2;

/**
 * @param isRedactedKey decides a decoded key (length and pattern)
 * @param maxNodes the walk bound of the slow path (objects + arrays)
 */
export function scanRedactJson(
  text: string,
  isRedactedKey: (key: string) => boolean,
  redacted: string,
  maxNodes: number
): string | typeof SCAN_UNDECIDED {
  const n = text.length;
  // Raw control characters (in strings they make the JSON invalid) and surrogates (lone ones are
  // printed escaped) need the character-by-character string scan; most texts have neither.
  careful = CAREFUL.test(text);
  nextBackslash = -2;
  // Whitespace outside strings: dropped from the output when it changes (stringify is compact).
  let hasWs = false;
  let i = skipWs(text, 0);
  if (i !== 0) hasWs = true;
  const first = text.charCodeAt(i);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return SCAN_UNDECIDED;

  // Output once a key matched: text[from..] still to copy; redacted values spliced in.
  let out = '';
  let from = 0;
  let changed = false;
  /** The text is not what stringify would print (whitespace aside): only matters when changed. */
  let nonCanonical = false;
  // Open containers; keys of open objects (for duplicate detection) with each object's start.
  const stack: number[] = [];
  const keys: string[] = [];
  const keyStart: number[] = [];
  const pendingNumbers: number[] = [];
  let nodes = 0;
  let state = VALUE;
  for (;;) {
    const w = skipWs(text, i);
    if (w !== i) {
      hasWs = true;
      i = w;
    }
    if (state === VALUE) {
      const c = text.charCodeAt(i);
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (++nodes > maxNodes || stack.length >= MAX_DEPTH) return SCAN_UNDECIDED;
        const isObject = c === 0x7b;
        const inner = skipWs(text, i + 1);
        if (inner !== i + 1) hasWs = true;
        i = inner;
        if (text.charCodeAt(i) === (isObject ? 0x7d /* } */ : 0x5d) /* ] */) {
          i++;
          state = AFTER;
        } else if (isObject) {
          stack.push(OBJECT);
          keyStart.push(keys.length);
          state = KEY;
        } else {
          stack.push(ARRAY);
        }
        continue;
      }
      if (c === QUOTE) {
        const end = stringEnd(text, i + 1);
        if (end === -1) return SCAN_UNDECIDED;
        if (end < 0) {
          nonCanonical = true;
          i = -end - 2;
        } else i = end;
      } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
        const end = scanNumber(text, i);
        if (end < 0) return SCAN_UNDECIDED;
        // Plain integers print as written; others are checked only if the output is rebuilt.
        if (!numberIsPlain || end - i > 15 || (c === 0x2d && text.charCodeAt(i + 1) === 0x30)) pendingNumbers.push(i, end);
        i = end;
      } else if (c === 0x74 /* t */ && text.startsWith('true', i)) i += 4;
      else if (c === 0x66 /* f */ && text.startsWith('false', i)) i += 5;
      else if (c === 0x6e /* n */ && text.startsWith('null', i)) i += 4;
      else return SCAN_UNDECIDED;
      state = AFTER;
    } else if (state === KEY) {
      if (text.charCodeAt(i) !== QUOTE) return SCAN_UNDECIDED;
      const end = stringEnd(text, i + 1);
      if (end < 0) return SCAN_UNDECIDED; // invalid, or an escape / lone surrogate in a key: needs decoding
      const key = text.slice(i + 1, end - 1);
      const k0 = key.charCodeAt(0);
      if (k0 >= 0x30 && k0 <= 0x39) nonCanonical = true; // maybe an array index: V8 orders those first
      // Duplicate keys: the slow path keeps the last value at the first key's place.
      const base = keyStart[keyStart.length - 1];
      if (keys.length - base >= MAX_KEYS_CHECKED) return SCAN_UNDECIDED;
      for (let k = base; k < keys.length; k++) if (keys[k] === key) return SCAN_UNDECIDED;
      keys.push(key);
      i = skipWs(text, end);
      if (i !== end) hasWs = true;
      if (text.charCodeAt(i) !== 0x3a /* : */) return SCAN_UNDECIDED;
      const v = skipWs(text, i + 1);
      if (v !== i + 1) hasWs = true;
      i = v;
      if (isRedactedKey(key)) {
        const vEnd = skipValue(text, i, maxNodes - nodes, MAX_DEPTH - stack.length);
        if (vEnd < 0) return SCAN_UNDECIDED;
        out += text.slice(from, i) + redacted;
        from = vEnd;
        i = vEnd;
        changed = true;
        state = AFTER;
      } else state = VALUE;
    } else {
      if (stack.length === 0) {
        if (i !== n) return SCAN_UNDECIDED;
        if (!changed) return text;
        if (nonCanonical) return SCAN_UNDECIDED;
        for (let k = 0; k < pendingNumbers.length; k += 2) {
          if (!canonicalNumber(text, pendingNumbers[k], pendingNumbers[k + 1])) return SCAN_UNDECIDED;
        }
        out += text.slice(from);
        return hasWs ? stripWs(out) : out;
      }
      const d = text.charCodeAt(i);
      const top = stack[stack.length - 1];
      if (d === 0x2c /* , */) {
        i++;
        state = top === OBJECT ? KEY : VALUE;
      } else if (d === (top === OBJECT ? 0x7d : 0x5d)) {
        if (top === OBJECT) keys.length = keyStart.pop() as number;
        stack.pop();
        i++;
      } else return SCAN_UNDECIDED;
    }
  }
}

// eslint-disable-next-line no-control-regex -- raw control characters are what this looks for
const CAREFUL = /[\u0000-\u001f\ud800-\udfff]/;
/** Per scan (scans do not nest): see scanRedactJson. */
let careful = false;
/** Index of the next backslash at or after the last string start; -1: none; -2: not searched. */
let nextBackslash = -2;

/**
 * End of a string body (after its opening quote at i - 1), same answers as scanString: the
 * closing quote found natively (indexOf) unless an escape or a careful character is in it.
 */
function stringEnd(text: string, i: number): number {
  if (careful) return scanString(text, i);
  const q = text.indexOf('"', i);
  if (q < 0) return -1;
  if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf('\\', i);
  if (nextBackslash === -1 || nextBackslash > q) return q + 1;
  return scanString(text, i);
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
  return i;
}

/**
 * Scans a string body starting after its opening quote. Returns the index after the closing
 * quote; -1 when invalid (or unterminated); -(end + 2) when valid but not canonical (an escape
 * other than \" \\ \b \f \n \r \t, or a lone surrogate).
 */
function scanString(text: string, i: number): number {
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

/** Set by scanNumber: no fraction and no exponent. */
let numberIsPlain = true;

/** JSON number grammar; index after it or -1. */
function scanNumber(text: string, i: number): number {
  numberIsPlain = true;
  if (text.charCodeAt(i) === 0x2d) i++;
  let c = text.charCodeAt(i);
  if (c === 0x30) c = text.charCodeAt(++i);
  else if (c >= 0x31 && c <= 0x39) {
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  } else return -1;
  if (c === 0x2e /* . */) {
    numberIsPlain = false;
    c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    numberIsPlain = false;
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  return i;
}

/** True when stringify would print the number exactly as written. */
function canonicalNumber(text: string, start: number, end: number): boolean {
  const len = end - start;
  const c0 = text.charCodeAt(start);
  // Plain integers up to 15 digits are exact doubles printed as written (except -0).
  if (len <= 15) {
    let plain = true;
    for (let k = c0 === 0x2d ? start + 1 : start; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c < 0x30 || c > 0x39) {
        plain = false;
        break;
      }
    }
    if (plain) return !(c0 === 0x2d && text.charCodeAt(start + 1) === 0x30);
  }
  const token = text.slice(start, end);
  return String(Number(token)) === token;
}

/** Skips one JSON value (validating it) from i; index after it or -1 (invalid / over bounds). */
function skipValue(text: string, i: number, nodesLeft: number, depthLeft: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) {
    const end = scanString(text, i + 1);
    return end === -1 ? -1 : end < 0 ? -end - 2 : end;
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(text, i);
  if (c === 0x74) return text.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66) return text.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e) return text.startsWith('null', i) ? i + 4 : -1;
  if (c !== 0x7b && c !== 0x5b) return -1;
  // A container: walk it with a bracket stack (contents are dropped, only validity matters).
  // Duplicate keys inside do not matter: the whole value is replaced either way.
  const stack: number[] = [];
  let nodes = 0;
  let j = i;
  for (;;) {
    j = skipWs(text, j);
    const d = text.charCodeAt(j);
    if (d === 0x7b || d === 0x5b) {
      if (++nodes > nodesLeft || stack.length >= depthLeft) return -1;
      stack.push(d === 0x7b ? 0x7d : 0x5d);
      j = skipWs(text, j + 1);
      if (text.charCodeAt(j) === stack[stack.length - 1]) {
        stack.pop();
        j++;
      } else {
        if (d === 0x7b) {
          j = skipKey(text, j);
          if (j < 0) return -1;
        }
        continue;
      }
    } else {
      j = skipValue(text, j, 0, 0);
      if (j < 0) return -1;
    }
    for (;;) {
      if (stack.length === 0) return j;
      j = skipWs(text, j);
      const e = text.charCodeAt(j);
      const top = stack[stack.length - 1];
      if (e === 0x2c) {
        j++;
        if (top === 0x7d) {
          j = skipKey(text, skipWs(text, j));
          if (j < 0) return -1;
        }
        break;
      }
      if (e === top) {
        stack.pop();
        j++;
        continue;
      }
      return -1;
    }
  }
}

/** `"key" :` at i; index after the colon or -1. */
function skipKey(text: string, i: number): number {
  if (text.charCodeAt(i) !== QUOTE) return -1;
  let end = scanString(text, i + 1);
  if (end === -1) return -1;
  if (end < 0) end = -end - 2;
  end = skipWs(text, end);
  return text.charCodeAt(end) === 0x3a ? end + 1 : -1;
}

/** Drops whitespace outside strings (the text is valid JSON here). */
function stripWs(text: string): string {
  careful = CAREFUL.test(text);
  nextBackslash = -2;
  let out = '';
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i + 1);
      i = end < 0 ? -end - 2 : end;
      continue;
    }
    if (isWs(c)) {
      out += text.slice(from, i);
      i = skipWs(text, i);
      from = i;
      continue;
    }
    i++;
  }
  return out + text.slice(from);
}
