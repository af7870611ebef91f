/**
 * BodyCapture: collects the chunks of one body as the wrappers observe them (never consuming
 * anything), bounded, and turns them into the captured attribute value.
 *
 * - Memory: at most `bodyMaxProcessingSizeBytes` bytes are held; beyond that chunks are only
 *   counted (`overflowed`), so a huge upload costs the limit, not its size.
 * - `content-encoding: gzip | x-gzip | deflate | br` is decoded for capture only, synchronously,
 *   with output bounded by the processing limit. A body cut by the limit (or a truncated stream)
 *   decodes as far as it goes (sync flush). If the output would exceed the limit (zip bomb), a
 *   shorter input prefix is decoded instead (halving, a bounded number of tries), so a bomb
 *   costs a few limit-sized decodes (a brotli bomb's single huge meta-block has no decodable
 *   prefix: it is reported truncated with whatever came out, possibly nothing). Corrupt data and unknown encodings: not captured (logged once).
 * - The attribute value is the decoded text (invalid UTF-8 → U+FFFD), redacted, then cut at
 *   `bodyMaxSizeBytes` on a character boundary; `truncated` reports any cut on the way.
 */
import * as zlib from 'zlib';
import { logger } from '../logger';
import type { Redactor } from './redaction';
import { truncateUtf8 } from './truncate';

export interface BodyLimits {
  /** Bytes reported in the attribute (data_capture.body_max_size_bytes). */
  maxBytes: number;
  /** Bytes ever held / decoded (data_capture.body_max_processing_size_bytes). */
  maxProcessingBytes: number;
}

export type ContentEncoding = 'identity' | 'gzip' | 'deflate' | 'br' | 'unsupported';

export interface CapturedBody {
  value: string;
  truncated: boolean;
}

/** Max decode attempts on an over-limit (bomb-like) input. */
const MAX_DECODE_TRIES = 24;

export function parseContentEncoding(value: unknown): ContentEncoding {
  if (value === undefined || value === null || value === '') return 'identity';
  const raw = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  if (typeof raw !== 'string' || raw.length > 64) return 'unsupported';
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  if (v === 'br') return 'br';
  return 'unsupported'; // includes stacked encodings ("gzip, br"): not captured
}

export class BodyCapture {
  /** Bytes offered in total (also past the limit). */
  seenBytes = 0;
  /** True when more than the processing limit was offered. */
  overflowed = false;
  private readonly chunks: Buffer[] = [];
  private heldBytes = 0;
  private decodedCache: Buffer | null | undefined;
  private decodeTruncated = false;
  private textCache: string | undefined;

  constructor(
    private readonly limits: BodyLimits,
    readonly encoding: ContentEncoding = 'identity'
  ) {}

  /** Observes one chunk as written / emitted: Buffer, Uint8Array, or string with its encoding. */
  add(chunk: unknown, encoding?: unknown): void {
    if (chunk === undefined || chunk === null) return;
    const room = this.limits.maxProcessingBytes - this.heldBytes;
    let buf: Buffer;
    if (typeof chunk === 'string') {
      if (chunk.length === 0) return;
      const enc = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
      // In these encodings every char is at least one byte, so a prefix of room+4 chars already
      // overflows: a huge string is never encoded whole. (hex/base64 shrink: encoded whole.)
      const sliced = enc !== 'hex' && enc !== 'base64' && enc !== 'base64url';
      const part = sliced && room >= 0 && chunk.length > room + 4 ? chunk.slice(0, room + 4) : chunk;
      buf = Buffer.from(part, enc);
      if (part.length < chunk.length) {
        this.overflowed = true;
        this.seenBytes += Buffer.byteLength(chunk, enc) - buf.length;
      }
    } else if (Buffer.isBuffer(chunk)) {
      buf = chunk;
    } else if (chunk instanceof Uint8Array) {
      buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else {
      return; // objects (object-mode streams) are not bodies
    }
    this.seenBytes += buf.length;
    if (buf.length === 0) return;
    if (room <= 0) {
      this.overflowed = true;
      return;
    }
    this.invalidate();
    if (buf.length <= room) {
      // Copy: the producer may reuse its buffer after the write callback.
      this.chunks.push(Buffer.from(buf));
      this.heldBytes += buf.length;
    } else {
      this.chunks.push(Buffer.from(buf.subarray(0, room)));
      this.heldBytes += room;
      this.overflowed = true;
    }
  }

  get heldByteLength(): number {
    return this.heldBytes;
  }

  /** The decoded bytes (bounded by the processing limit), or undefined when not decodable. */
  decoded(): Buffer | undefined {
    if (this.decodedCache !== undefined) return this.decodedCache ?? undefined;
    const raw = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.heldBytes);
    const result = this.encoding === 'identity' ? raw : this.decode(raw);
    this.decodedCache = result ?? null;
    return result;
  }

  /** The decoded body as text (unredacted, not cut at maxBytes): what filters see. */
  text(): string | undefined {
    if (this.textCache !== undefined) return this.textCache;
    const bytes = this.decoded();
    if (bytes === undefined) return undefined;
    this.textCache = bytes.toString('utf8');
    return this.textCache;
  }

  /** The attribute value: redacted, cut at maxBytes. Undefined when nothing can be captured. */
  result(redactor: Redactor | undefined, contentType?: string): CapturedBody | undefined {
    const text = this.text();
    if (text === undefined) return undefined;
    if (text.length === 0 && this.seenBytes === 0) return undefined;
    const redacted = redactor ? redactor.body(text, contentType) : text;
    const cut = truncateUtf8(redacted, this.limits.maxBytes);
    return { value: cut.value, truncated: cut.truncated || this.overflowed || this.decodeTruncated };
  }

  private invalidate(): void {
    this.decodedCache = undefined;
    this.textCache = undefined;
  }

  private decode(raw: Buffer): Buffer | undefined {
    if (this.encoding === 'unsupported') return undefined;
    const limit = this.limits.maxProcessingBytes;
    let input = raw;
    for (let tries = 0; tries < MAX_DECODE_TRIES && input.length > 0; tries++) {
      try {
        const out = decodeOnce(this.encoding, input, limit);
        if (input.length < raw.length) this.decodeTruncated = true;
        return out;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE' && !(err instanceof RangeError)) {
          logger.once(
            'info',
            `body-decode:${this.encoding}`,
            `a ${this.encoding} body could not be decoded for capture: ${String((err as Error).message)}`
          );
          return undefined;
        }
        // Output past the limit: decode a shorter prefix of the input.
        input = input.subarray(0, Math.floor(input.length / 2));
      }
    }
    this.decodeTruncated = true;
    return Buffer.alloc(0);
  }
}

function decodeOnce(encoding: ContentEncoding, input: Buffer, limit: number): Buffer {
  const maxOutputLength = Math.max(1, limit);
  switch (encoding) {
    case 'gzip':
      return zlib.gunzipSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength });
    case 'deflate':
      try {
        return zlib.inflateSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength });
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw err;
        // Some servers send raw deflate (no zlib header) as "deflate".
        return zlib.inflateRawSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength });
      }
    case 'br':
      return zlib.brotliDecompressSync(input, {
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        maxOutputLength,
      });
    default:
      return input;
  }
}
