/**
 * Graph path keys: a stable 64-bit hash of (parent key, service name, entry element).
 *
 * The algorithm is part of the wire contract (keys travel in `ck-route` and appear in metrics of
 * every service on a path), so it must give the same 16 hex chars in any process, on any machine,
 * in any ck-agent version, and in any other language. Full description: docs/graph-path-key.md.
 *
 * ALGORITHM (normative)
 *
 * 1. Canonical element string, `canonicalElement(e)`:
 *      esc(e.type) + '|' + esc(e.name)
 *      then for each attribute key k of e.attributes whose value is not undefined/null, keys sorted
 *      ascending by UTF-16 code unit (plain JS `Array.prototype.sort()`; identical to byte order for
 *      ASCII keys):  '|' + esc(k) + '=' + esc(String(value))
 *    where esc() puts a backslash before every '\', '|' and '=' (so the encoding is injective:
 *    no two different elements share a canonical string). `role` is not part of it (the type
 *    decides the role). Example: {type:'DATABASE', name:'SELECT orders',
 *    attributes:{'db.system.name':'postgresql','db.namespace':'shop'}} →
 *    `DATABASE|SELECT orders|db.namespace=shop|db.system.name=postgresql`.
 * 2. Input bytes: the UTF-8 encoding of
 *      parentKey + '\x1f' + serviceName + '\x1f' + canonical
 *    (a lone UTF-16 surrogate encodes as U+FFFD, EF BF BD, like TextEncoder / Buffer.from).
 * 3. Hash: FNV-1a 64-bit: h = 0xcbf29ce484222325; for each byte b: h = (h XOR b) * 0x100000001b3
 *    mod 2^64.
 * 4. Output: h as 16 lower-case hex digits, zero-padded, most significant first.
 *
 * Implemented with two unsigned 32-bit halves in plain numbers instead of BigInt: this runs on
 * every request, and BigInt arithmetic allocates. Every intermediate value stays below 2^53, so
 * double arithmetic is exact.
 */
import type { GraphElement } from './types';

const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
/** The FNV 64-bit prime is 2^40 + 0x1b3; multiplying splits into `h * 0x1b3 + (h << 40)`. */
const FNV_PRIME_LOW = 0x1b3;
const TWO_POW_32 = 4294967296;
const FIELD_SEPARATOR = 0x1f;

// Running hash state. Module-level so hashing allocates nothing; JS is single-threaded and no
// function below yields while a hash is in progress.
let hashHi = 0;
let hashLo = 0;

function mixByte(byte: number): void {
  const lo = (hashLo ^ byte) >>> 0;
  const loProduct = lo * FNV_PRIME_LOW; // < 2^41, exact
  const newLo = loProduct >>> 0;
  const carry = (loProduct - newLo) / TWO_POW_32;
  // High half: hi * 0x1b3 + carry + the low half's contribution of (h << 40), i.e. lo << 8.
  hashHi = (hashHi * FNV_PRIME_LOW + carry + ((lo << 8) >>> 0)) >>> 0;
  hashLo = newLo;
}

/** Feeds the UTF-8 bytes of `s` into the running hash without materialising a buffer. */
function mixString(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      mixByte(c);
    } else if (c < 0x800) {
      mixByte(0xc0 | (c >> 6));
      mixByte(0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        mixByte(0xf0 | (cp >> 18));
        mixByte(0x80 | ((cp >> 12) & 0x3f));
        mixByte(0x80 | ((cp >> 6) & 0x3f));
        mixByte(0x80 | (cp & 0x3f));
        i++;
      } else {
        // Lone surrogate: U+FFFD, as every standard UTF-8 encoder writes it.
        mixByte(0xef);
        mixByte(0xbf);
        mixByte(0xbd);
      }
    } else {
      mixByte(0xe0 | (c >> 12));
      mixByte(0x80 | ((c >> 6) & 0x3f));
      mixByte(0x80 | (c & 0x3f));
    }
  }
}

function hex8(n: number): string {
  const s = n.toString(16);
  return s.length === 8 ? s : '00000000'.slice(s.length) + s;
}

/** FNV-1a 64 of the UTF-8 bytes of a string, as 16 lower-case hex chars. Exposed for tests and tools. */
export function fnv1a64Hex(s: string): string {
  hashHi = FNV_OFFSET_HI;
  hashLo = FNV_OFFSET_LO;
  mixString(s);
  return hex8(hashHi) + hex8(hashLo);
}

/**
 * The path key from an already computed canonical element string (lets PathState reuse its
 * cached canonical). Same result as `pathKey(parentKey, serviceName, element)`.
 */
export function pathKeyFromCanonical(parentKey: string, serviceName: string, canonical: string): string {
  hashHi = FNV_OFFSET_HI;
  hashLo = FNV_OFFSET_LO;
  mixString(parentKey);
  mixByte(FIELD_SEPARATOR);
  mixString(serviceName);
  mixByte(FIELD_SEPARATOR);
  mixString(canonical);
  return hex8(hashHi) + hex8(hashLo);
}

/** The new path key of a request that entered `serviceName` through `element` from `parentKey`. */
export function pathKey(parentKey: string, serviceName: string, element: GraphElement): string {
  return pathKeyFromCanonical(parentKey, serviceName, canonicalElement(element));
}

/** True when `s` could contain a char that esc() must escape (a fast scan; most names have none). */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */ || c === 0x7c /* | */ || c === 0x3d /* = */) return true;
  }
  return false;
}

function esc(s: string): string {
  if (!needsEscape(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' || ch === '|' || ch === '=') out += '\\';
    out += ch;
  }
  return out;
}

/**
 * Canonical strings of frozen elements (the element builders return frozen, cached objects),
 * so the per-request cost of a repeated element is one WeakMap lookup. Mutable elements are
 * never cached: they could change after the first call.
 */
const frozenCanonicals = new WeakMap<GraphElement, string>();

/** The canonical string of an element's identity (see the algorithm above). */
export function canonicalElement(element: GraphElement): string {
  const attributes = element.attributes;
  const cacheable = Object.isFrozen(element) && (attributes === undefined || Object.isFrozen(attributes));
  if (cacheable) {
    const cached = frozenCanonicals.get(element);
    if (cached !== undefined) return cached;
  }
  let out = esc(String(element.type)) + '|' + esc(String(element.name));
  if (attributes) {
    const keys = Object.keys(attributes);
    if (keys.length > 1) keys.sort();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = (attributes as Record<string, unknown>)[k];
      if (v === undefined || v === null) continue;
      out += '|' + esc(k) + '=' + esc(String(v));
    }
  }
  if (cacheable) frozenCanonicals.set(element, out);
  return out;
}
