/**
 * Random W3C trace ids (16 bytes) and span ids (8 bytes) as lower-case hex.
 *
 * One `crypto.randomFillSync` call fills a pooled buffer that serves hundreds of ids, and the
 * whole pool is hex-encoded at once; an id is then a `substring` of that hex string (V8 makes a
 * cheap sliced string), not a syscall or a native call per span. A pool string stays alive while
 * ids cut from it do: at most 16 KiB per pool, shared by ~340 spans.
 * The pool is per module instance (per thread), so ids never repeat across workers.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const POOL_HEX_CHARS = POOL_BYTES * 2;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let hexPool = '';
let offset = POOL_HEX_CHARS;

const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';

function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (offset + chars > POOL_HEX_CHARS) {
    randomFillSync(pool);
    hexPool = pool.toString('hex');
    offset = 0;
  }
  const hex = hexPool.substring(offset, offset + chars);
  offset += chars;
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
