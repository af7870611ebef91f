/**
 * HTTP header helpers for capture: reading headers the way they went over the wire, and writing
 * them as `http.request.header.<name>` / `http.response.header.<name>` attributes (name
 * lower-cased; one value → string, repeated → string array; listed names redacted).
 *
 * Wire form matters: `res.writeHead(200, { 'content-type': ... })` without a prior setHeader
 * never reaches `getHeader()`, so outgoing headers are read from the serialised header block
 * (`_header`, set once headers are flushed) when there is one, and from `getHeaders()` otherwise.
 * Incoming headers come from `rawHeaders`, which keeps repeated headers apart (`headers` joins
 * most of them with ", ").
 */
import type { Span } from '@opentelemetry/api';
import type { Redactor } from '../../capture/redaction';

/** Bounded work on junk: a header block larger than this is not parsed (Node caps it far lower). */
const MAX_HEADER_BLOCK = 256 * 1024;

/** Lower-cased header name → value (repeated headers: array), in wire order. */
export type HeaderValues = Map<string, string | string[]>;

/** Minimal view of OutgoingMessage (ServerResponse / ClientRequest). */
export interface OutgoingLike {
  getHeader(name: string): unknown;
  getHeaders(): Record<string, unknown>;
  _header?: unknown;
}

function add(out: HeaderValues, name: string, value: string): void {
  const existing = out.get(name);
  if (existing === undefined) out.set(name, value);
  else if (Array.isArray(existing)) existing.push(value);
  else out.set(name, [existing, value]);
}

/** `rawHeaders` pairs → lower-cased names, repeated headers as arrays. */
export function headersFromRaw(raw: readonly string[] | undefined): HeaderValues {
  const out: HeaderValues = new Map();
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) add(out, String(raw[i]).toLowerCase(), String(raw[i + 1]));
  return out;
}

/** A serialised header block (`HTTP/1.1 200 OK\r\nname: value\r\n...\r\n\r\n`) → values. */
export function headersFromBlock(block: string): HeaderValues {
  const out: HeaderValues = new Map();
  if (block.length > MAX_HEADER_BLOCK) return out;
  let start = block.indexOf('\r\n');
  while (start >= 0) {
    start += 2;
    const end = block.indexOf('\r\n', start);
    if (end < 0 || end === start) break; // end of block
    const colon = block.indexOf(':', start);
    if (colon > start && colon < end) {
      add(out, block.slice(start, colon).trim().toLowerCase(), block.slice(colon + 1, end).trim());
    }
    start = end;
  }
  return out;
}

/** Headers of an outgoing message as sent (header block), else as set so far. */
export function outgoingHeaders(message: OutgoingLike): HeaderValues {
  const block = message._header;
  if (typeof block === 'string' && block.length > 0) return headersFromBlock(block);
  const out: HeaderValues = new Map();
  let headers: Record<string, unknown>;
  try {
    headers = message.getHeaders();
  } catch {
    return out;
  }
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (Array.isArray(value)) out.set(name, value.map(String));
    else if (value !== undefined) out.set(name, String(value));
  }
  return out;
}

/** One header of an outgoing message: getHeader() first, else found in the header block. */
export function outgoingHeader(message: OutgoingLike, name: string): string | undefined {
  let value: unknown;
  try {
    value = message.getHeader(name);
  } catch {
    value = undefined;
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
  const block = message._header;
  if (typeof block !== 'string' || block.length === 0 || block.length > MAX_HEADER_BLOCK) return undefined;
  const found = headersFromBlock(block).get(name);
  return Array.isArray(found) ? found[0] : found;
}

/** Writes every header as `<prefix><name>`, listed names redacted. */
export function setHeaderAttributes(span: Span, prefix: string, headers: HeaderValues, redactor: Redactor): void {
  for (const [name, value] of headers) span.setAttribute(prefix + name, redactor.headerValue(name, value));
}
