/**
 * UTF-8-safe truncation for captured data (bodies, metadata).
 *
 * The result, encoded as UTF-8, is never longer than `maxBytes` and never ends inside a
 * character: a multi-byte sequence (or a surrogate pair in a string) is either kept whole or
 * dropped whole. Invalid UTF-8 bytes in a Buffer become U+FFFD, as Node's decoder does; since
 * U+FFFD takes 3 bytes, the decoded text is measured again and cut as a string if needed.
 */

export interface TruncateResult {
  value: string;
  /** True when anything was dropped. */
  truncated: boolean;
}

function isContinuationByte(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Cut point <= maxBytes that does not split a UTF-8 sequence (lead byte kept only with its tail). */
function utf8CutPoint(buf: Uint8Array, maxBytes: number): number {
  if (buf.length <= maxBytes) return buf.length;
  let cut = maxBytes;
  // Back up over at most 3 continuation bytes to the lead byte, and cut before it.
  for (let i = 0; i < 3 && cut > 0 && isContinuationByte(buf[cut]); i++) cut--;
  // More than 3 continuation bytes in a row is not UTF-8 anyway: cut at the limit.
  if (isContinuationByte(buf[cut])) return maxBytes;
  return cut;
}

function truncateString(input: string, maxBytes: number): TruncateResult {
  // Each UTF-16 unit encodes to 1..3 bytes: short strings need no measuring at all.
  if (input.length * 3 <= maxBytes) return { value: input, truncated: false };
  if (input.length <= maxBytes && Buffer.byteLength(input, 'utf8') <= maxBytes) {
    return { value: input, truncated: false };
  }
  // The first maxBytes units encode to at least maxBytes bytes, so the cut lies inside them;
  // only that prefix is encoded (bounded work however long the input is).
  let prefix = input.length > maxBytes ? input.slice(0, maxBytes) : input;
  if (prefix.length < input.length && isHighSurrogate(prefix.charCodeAt(prefix.length - 1))) {
    prefix = prefix.slice(0, -1); // never split a surrogate pair
  }
  const buf = Buffer.from(prefix, 'utf8');
  if (buf.length <= maxBytes) return { value: prefix, truncated: prefix.length < input.length };
  const cut = utf8CutPoint(buf, maxBytes);
  return { value: buf.toString('utf8', 0, cut), truncated: true };
}

/**
 * Cuts `input` to at most `maxBytes` UTF-8 bytes at a character boundary.
 * `maxBytes <= 0` gives an empty value (truncated when the input was not empty).
 */
export function truncateUtf8(input: string | Buffer | Uint8Array, maxBytes: number): TruncateResult {
  const limit = Number.isFinite(maxBytes) ? Math.max(0, Math.floor(maxBytes)) : Number.MAX_SAFE_INTEGER;
  if (typeof input === 'string') return truncateString(input, limit);
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const cut = utf8CutPoint(buf, limit);
  const decoded = buf.toString('utf8', 0, cut);
  // Replacement characters (3 bytes each) may have made the text longer than the bytes were.
  if (decoded.length > limit || (decoded.length * 3 > limit && Buffer.byteLength(decoded, 'utf8') > limit)) {
    const again = truncateString(decoded, limit);
    return { value: again.value, truncated: true };
  }
  return { value: decoded, truncated: cut < buf.length };
}
