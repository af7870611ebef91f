/**
 * Random W3C trace ids (16 bytes) and span ids (8 bytes) as lower-case hex.
 *
 * One `crypto.randomFillSync` call fills a pooled buffer that serves hundreds of ids, so the
 * per-span cost is one `toString('hex')` of a slice, not a syscall. The pool is per module
 * instance (per thread), so ids never repeat across workers.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** 32 hex chars, never all zeros (an all-zero id is invalid in W3C trace context). */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === INVALID_TRACE_ID) id = randomHex(16);
  return id;
}

/** 16 hex chars, never all zeros. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === INVALID_SPAN_ID) id = randomHex(8);
  return id;
}
