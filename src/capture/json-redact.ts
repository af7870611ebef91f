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
 *
 * Keys are decided without cutting them out of the text when a `finder` is given: the patterns'
 * regex run natively over the text from the key on (see keyMatches); only a key a match starts
 * in is looked at further. Tokens are skipped natively where possible (src/capture/json-lex.ts).
 */
import { QUOTE, beginText, canonicalNumber, numberPlain, scanNumber, skipWs, stringEnd } from './json-lex';

/** Returned when only a real parse can tell (see file comment). */
export const SCAN_UNDECIDED = Symbol('scan-undecided');

/**
 * Native key search: `re` is the body-key patterns as one global regex that has no anchors,
 * lookaround or word boundaries, so a match inside a key's text is a match of the key itself,
 * and a key that matches has a match starting inside its text (found from the key's start).
 */
export interface KeyFinder {
  re: RegExp;
  /** Longer keys never match (isRedactedKey's bound). */
  maxKeyLength: number;
}

const MAX_DEPTH = 512;
/** Objects with more keys than this leave duplicate detection to the slow path. */
const MAX_KEYS_CHECKED = 64;
const NONE = Number.MAX_SAFE_INTEGER;

const VALUE = 0;
const KEY = 1;
const AFTER = 2;

/** An open object on the stack (which holds each open container's closing character). */
const OBJECT = 0x7d; /* } */

// Per scan, reused and never shrunk (scans do not nest; a key decision never starts a scan):
// the open containers' closing characters; [start, end) of the keys of the open objects as
// pairs, with each open object's first; [start, end) of numbers to check if the output is
// rebuilt (see numberPlain). Each is used up to its counter in the scan.
const stack: number[] = [];
/**
 * What the output leaves out of the text, in text order, as pairs: whitespace outside strings
 * [start, end) (stringify is compact), and redacted values [-start - 1, end).
 */
const cuts: number[] = [];
const keyPos: number[] = [];
const keyBase: number[] = [];
const pendingNumbers: number[] = [];
let finder: RegExp | undefined;
let maxKeyLength = 0;
/** The next finder match at or after the last key searched from: [candStart, candEnd). */
let candStart = -1;
let candEnd = -1;

/** Entries the reused arrays keep between scans: a huge body's cut list is not held on to. */
const KEEP_ENTRIES = 4096;

/**
 * @param isRedactedKey decides a decoded key (length and pattern)
 * @param maxNodes the walk bound of the slow path (objects + arrays)
 * @param keyFinder decides most keys in place (see KeyFinder); without it each key is cut out
 *   and given to isRedactedKey
 */
export function scanRedactJson(
  text: string,
  isRedactedKey: (key: string) => boolean,
  redacted: string,
  maxNodes: number,
  keyFinder?: KeyFinder
): string | typeof SCAN_UNDECIDED {
  const result = scan(text, isRedactedKey, redacted, maxNodes, keyFinder);
  if (cuts.length > KEEP_ENTRIES) cuts.length = 0;
  if (pendingNumbers.length > KEEP_ENTRIES) pendingNumbers.length = 0;
  if (keyPos.length > KEEP_ENTRIES) keyPos.length = 0;
  return result;
}

function scan(
  text: string,
  isRedactedKey: (key: string) => boolean,
  redacted: string,
  maxNodes: number,
  keyFinder: KeyFinder | undefined
): string | typeof SCAN_UNDECIDED {
  beginText(text);
  finder = keyFinder?.re;
  maxKeyLength = keyFinder ? keyFinder.maxKeyLength : 0;
  candStart = -1;
  let depth = 0;
  let keys = 0;
  let objects = 0;
  let numbers = 0;
  let ncuts = 0;
  const n = text.length;
  let i = skipWs(text, 0);
  if (i !== 0) {
    cuts[ncuts++] = 0;
    cuts[ncuts++] = i;
  }
  const first = text.charCodeAt(i);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return SCAN_UNDECIDED;

  let changed = false;
  /** The text is not what stringify would print (whitespace aside): only matters when changed. */
  let nonCanonical = false;
  let nodes = 0;
  let state = VALUE;
  for (;;) {
    // Never read past the end: one out-of-bounds charCodeAt makes V8 recompile this loop with
    // slower reads (the end is reached on every text).
    let c = i < n ? text.charCodeAt(i) : -1;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      cuts[ncuts++] = i;
      i = skipWs(text, i);
      cuts[ncuts++] = i;
      c = text.charCodeAt(i);
    }
    if (state === VALUE) {
      if (c === QUOTE) {
        const end = stringEnd(text, i + 1);
        if (end === -1) return SCAN_UNDECIDED;
        if (end < 0) {
          nonCanonical = true;
          i = -end - 2;
        } else i = end;
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (++nodes > maxNodes || depth >= MAX_DEPTH) return SCAN_UNDECIDED;
        const close = c + 2; // } and ] follow { and [ two code points on
        const inner = skipWs(text, i + 1);
        if (inner !== i + 1) {
          cuts[ncuts++] = i + 1;
          cuts[ncuts++] = inner;
        }
        i = inner;
        if (text.charCodeAt(i) === close) {
          i++;
        } else {
          stack[depth++] = close;
          if (close === OBJECT) {
            keyBase[objects++] = keys;
            state = KEY;
          }
          continue;
        }
      } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
        const end = scanNumber(text, i);
        if (end < 0) return SCAN_UNDECIDED;
        if (!numberPlain) {
          pendingNumbers[numbers++] = i;
          pendingNumbers[numbers++] = end;
        }
        i = end;
      } else if (c === 0x74 /* t */ && text.startsWith('true', i)) i += 4;
      else if (c === 0x66 /* f */ && text.startsWith('false', i)) i += 5;
      else if (c === 0x6e /* n */ && text.startsWith('null', i)) i += 4;
      else return SCAN_UNDECIDED;
      state = AFTER;
    } else if (state === KEY) {
      if (c !== QUOTE) return SCAN_UNDECIDED;
      const s = i + 1;
      const end = stringEnd(text, s);
      if (end < 0) return SCAN_UNDECIDED; // invalid, or an escape / lone surrogate in a key: needs decoding
      const e = end - 1;
      const k0 = text.charCodeAt(s);
      if (k0 >= 0x30 && k0 <= 0x39) nonCanonical = true; // maybe an array index: V8 orders those first
      // Duplicate keys: the slow path keeps the last value at the first key's place.
      const base = keyBase[objects - 1];
      if (keys - base >= 2 * MAX_KEYS_CHECKED) return SCAN_UNDECIDED;
      for (let k = base; k < keys; k += 2) {
        if (keyPos[k + 1] - keyPos[k] === e - s && sameText(text, keyPos[k], s, e)) return SCAN_UNDECIDED;
      }
      keyPos[keys++] = s;
      keyPos[keys++] = e;
      i = skipWs(text, end);
      if (i !== end) {
        cuts[ncuts++] = end;
        cuts[ncuts++] = i;
      }
      if (text.charCodeAt(i) !== 0x3a /* : */) return SCAN_UNDECIDED;
      const v = skipWs(text, i + 1);
      if (v !== i + 1) {
        cuts[ncuts++] = i + 1;
        cuts[ncuts++] = v;
      }
      i = v;
      if (finder === undefined ? isRedactedKey(text.slice(s, e)) : keyMatches(text, s, e, isRedactedKey)) {
        const vEnd = skipValue(text, i, maxNodes - nodes, MAX_DEPTH - depth);
        if (vEnd < 0) return SCAN_UNDECIDED;
        cuts[ncuts++] = -i - 1;
        cuts[ncuts++] = vEnd;
        i = vEnd;
        changed = true;
        state = AFTER;
      } else state = VALUE;
    } else {
      if (depth === 0) {
        if (i !== n) return SCAN_UNDECIDED;
        if (!changed) return text;
        if (nonCanonical) return SCAN_UNDECIDED;
        for (let k = 0; k < numbers; k += 2) {
          if (!canonicalNumber(text, pendingNumbers[k], pendingNumbers[k + 1])) return SCAN_UNDECIDED;
        }
        let out = '';
        let from = 0;
        for (let k = 0; k < ncuts; k += 2) {
          const start = cuts[k];
          out += start >= 0 ? text.slice(from, start) : text.slice(from, -start - 1) + redacted;
          from = cuts[k + 1];
        }
        return out + text.slice(from);
      }
      const top = stack[depth - 1];
      if (c === 0x2c /* , */) {
        i++;
        state = top === OBJECT ? KEY : VALUE;
      } else if (c === top) {
        if (top === OBJECT) keys = keyBase[--objects];
        depth--;
        i++;
      } else return SCAN_UNDECIDED;
    }
  }
}

function sameText(text: string, a: number, b: number, bEnd: number): boolean {
  for (; b < bEnd; a++, b++) if (text.charCodeAt(a) !== text.charCodeAt(b)) return false;
  return true;
}

/**
 * Whether the key text[s..e) (no escapes in it) matches, from the finder's next match at or after
 * s: none starting in the key means no match; one that ends inside it is a match of the key
 * itself; one that runs past the closing quote is checked on the key alone.
 */
function keyMatches(text: string, s: number, e: number, isRedactedKey: (key: string) => boolean): boolean {
  if (e - s > maxKeyLength) return false;
  if (candStart < s) {
    const re = finder as RegExp;
    re.lastIndex = s;
    const m = re.exec(text);
    if (m === null) candStart = candEnd = NONE;
    else {
      candStart = m.index;
      candEnd = m.index + m[0].length;
    }
  }
  // A match starting at e is inside an empty key only (a pattern matching "" matches from s).
  if (candStart > e || (candStart === e && s < e)) return false;
  return candEnd <= e || isRedactedKey(text.slice(s, e));
}

/** Skips one JSON value (validating it) from i; index after it or -1 (invalid / over bounds). */
function skipValue(text: string, i: number, nodesLeft: number, depthLeft: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) {
    const end = stringEnd(text, i + 1);
    return end === -1 ? -1 : end < 0 ? -end - 2 : end;
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(text, i);
  if (c === 0x74) return text.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66) return text.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e) return text.startsWith('null', i) ? i + 4 : -1;
  if (c !== 0x7b && c !== 0x5b) return -1;
  // A container: walk it with a bracket stack (contents are dropped, only validity matters).
  // Duplicate keys inside do not matter: the whole value is replaced either way.
  const closers: number[] = [];
  let nodes = 0;
  let j = i;
  for (;;) {
    j = skipWs(text, j);
    const d = text.charCodeAt(j);
    if (d === 0x7b || d === 0x5b) {
      if (++nodes > nodesLeft || closers.length >= depthLeft) return -1;
      closers.push(d + 2);
      j = skipWs(text, j + 1);
      if (text.charCodeAt(j) === d + 2) {
        closers.pop();
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
      if (closers.length === 0) return j;
      j = skipWs(text, j);
      const e = text.charCodeAt(j);
      const top = closers[closers.length - 1];
      if (e === 0x2c) {
        j++;
        if (top === OBJECT) {
          j = skipKey(text, skipWs(text, j));
          if (j < 0) return -1;
        }
        break;
      }
      if (e === top) {
        closers.pop();
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
  let end = stringEnd(text, i + 1);
  if (end === -1) return -1;
  if (end < 0) end = -end - 2;
  end = skipWs(text, end);
  return text.charCodeAt(end) === 0x3a ? end + 1 : -1;
}
