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
 * Implemented with small-integer limbs instead of BigInt: this runs on every request, and BigInt
 * arithmetic allocates. test/graph/path-key.test.ts checks it against a BigInt reference.
 */
import type { GraphElement } from './types';

/** The FNV 64-bit prime is 2^40 + 0x1b3 (offset basis 0xcbf29ce484222325 is set as limbs below). */
const FNV_PRIME_LOW = 0x1b3;
const FIELD_SEPARATOR = 0x1f;

/**
 * FNV-1a 64 over the UTF-8 bytes of `a`, then (if `sections` > 1) byte 0x1f and `b`, then
 * (if `sections` > 2) 0x1f and `c`.
 *
 * The 64-bit state is four 16-bit limbs h0 (least significant) .. h3, so every intermediate is a
 * small integer (< 2^26) that V8 keeps unboxed. Multiplying by the prime 2^40 + 0x1b3:
 *   t0 = h0·0x1b3,  t1 = h1·0x1b3,  t2 = h2·0x1b3 + (h0 << 8),  t3 = h3·0x1b3 + (h1 << 8)
 * then carries propagate upward and the top carry is dropped (mod 2^64).
 */
function fnvHex(sections: number, a: string, b: string, c: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let section = 0; section < sections; section++) {
    const s = section === 0 ? a : section === 1 ? b : c;
    const n = s.length;
    // i = -1 feeds the separator byte before sections 2 and 3.
    for (let i = section === 0 ? 0 : -1; i < n; i++) {
      let byte = i < 0 ? FIELD_SEPARATOR : s.charCodeAt(i);
      if (byte >= 0x80) {
        // Multi-byte UTF-8 (rare in names): feed all bytes but the last here.
        let cp = byte;
        if (cp >= 0xd800 && cp <= 0xdfff) {
          const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
            i++;
          } else {
            cp = 0xfffd; // lone surrogate → U+FFFD, as every standard UTF-8 encoder writes it
          }
        }
        let pending = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
        byte = pending === 1 ? 0xc0 | (cp >> 6) : pending === 2 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18);
        while (pending > 0) {
          h0 ^= byte;
          const t0 = h0 * FNV_PRIME_LOW;
          const t1 = h1 * FNV_PRIME_LOW + (t0 >>> 16);
          const t2 = h2 * FNV_PRIME_LOW + (h0 << 8) + (t1 >>> 16);
          const t3 = h3 * FNV_PRIME_LOW + (h1 << 8) + (t2 >>> 16);
          h0 = t0 & 0xffff;
          h1 = t1 & 0xffff;
          h2 = t2 & 0xffff;
          h3 = t3 & 0xffff;
          pending--;
          byte = 0x80 | ((cp >> (6 * pending)) & 0x3f);
        }
      }
      h0 ^= byte;
      const t0 = h0 * FNV_PRIME_LOW;
      const t1 = h1 * FNV_PRIME_LOW + (t0 >>> 16);
      const t2 = h2 * FNV_PRIME_LOW + (h0 << 8) + (t1 >>> 16);
      const t3 = h3 * FNV_PRIME_LOW + (h1 << 8) + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
  }
  return hex16(h3, h2, h1, h0);
}

/** Char codes of '0'-'9', 'a'-'f'. */
const HEX_CODES = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

/** Four 16-bit limbs (most significant first) as 16 hex chars: one flat string, no concatenation. */
function hex16(a: number, b: number, c: number, d: number): string {
  const x = HEX_CODES;
  return String.fromCharCode(
    x[a >>> 12],
    x[(a >>> 8) & 15],
    x[(a >>> 4) & 15],
    x[a & 15],
    x[b >>> 12],
    x[(b >>> 8) & 15],
    x[(b >>> 4) & 15],
    x[b & 15],
    x[c >>> 12],
    x[(c >>> 8) & 15],
    x[(c >>> 4) & 15],
    x[c & 15],
    x[d >>> 12],
    x[(d >>> 8) & 15],
    x[(d >>> 4) & 15],
    x[d & 15]
  );
}

/** FNV-1a 64 of the UTF-8 bytes of a string, as 16 lower-case hex chars. Exposed for tests and tools. */
export function fnv1a64Hex(s: string): string {
  return fnvHex(1, s, '', '');
}

/**
 * The path key from an already computed canonical element string (lets PathState reuse its
 * cached canonical). Same result as `pathKey(parentKey, serviceName, element)`.
 */
export function pathKeyFromCanonical(parentKey: string, serviceName: string, canonical: string): string {
  // Almost every request of an entry point hashes the same (parent, service, element): memoise.
  let memo = keyMemo.get(canonical);
  if (memo === undefined || memo.serviceName !== serviceName) {
    if (keyMemo.size >= KEY_MEMO_ELEMENTS) keyMemo.clear();
    keyMemo.set(canonical, (memo = { serviceName, byParent: new Map() }));
  }
  let key = memo.byParent.get(parentKey);
  if (key === undefined) {
    key = fnvHex(3, parentKey, serviceName, canonical);
    if (memo.byParent.size >= KEY_MEMO_PARENTS) memo.byParent.clear();
    memo.byParent.set(parentKey, key);
  }
  return key;
}

/**
 * Bounded memo of computed keys: canonical element -> parent key -> key, for one service name per
 * element (a process has one; another name replaces the entry). Cleared when full rather than
 * tracked LRU: bounded memory, no bookkeeping per hit, and a miss only costs one hash.
 */
const KEY_MEMO_ELEMENTS = 2048;
const KEY_MEMO_PARENTS = 256;
const keyMemo = new Map<string, { serviceName: string; byParent: Map<string, string> }>();

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
