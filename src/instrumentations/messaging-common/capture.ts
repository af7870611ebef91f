/**
 * Message header and payload capture (docs/messaging.md), shared by amqplib and kafkajs. The
 * message is the "request" of both the producer and the consumer span (Hypertrace style):
 *
 * - headers → `messaging.request.header.<name>` (name lower-cased; strings as they are, numbers
 *   and booleans as text, bytes as UTF-8 text when they are text, else base64, tables as JSON);
 *   listed names redacted as HTTP headers are; at most MAX_HEADERS headers, each value cut at
 *   the body size limit;
 * - payload → `messaging.request.body` under the HTTP body rules (src/capture): captured only
 *   when the message's content type is allowed, decoded when its content encoding is
 *   gzip/deflate/br, redacted, cut at `body_max_size_bytes` (listed in `ck.capture.truncated`).
 *
 * Switches: `data_capture.http_headers.request` and `data_capture.http_body.request`, and only
 * when captured data has a consumer (`captureWanted`: span export, a filter, force capture).
 */
import type { Span } from '@opentelemetry/api';
import { BodyCapture, parseContentEncoding } from '../../capture/body-capture';
import type { InstrumentationContext } from '../../capture/context';
import { isCapturableContentType } from '../../capture/content-type';
import { truncateUtf8 } from '../../capture/truncate';
import { ATTR_CK_CAPTURE_TRUNCATED, ATTR_MESSAGING_REQUEST_BODY, ATTR_MESSAGING_REQUEST_HEADER_PREFIX } from '../../semconv';
import { isHeaderRecord } from './route';

/** Headers beyond this count are not captured (a message can carry thousands). */
export const MAX_HEADERS = 64;

/** What a message says about its payload, read by the protocol's own code. */
export interface MessagePayload {
  headers: unknown;
  body: unknown;
  contentType: string | undefined;
  contentEncoding: unknown;
}

/** Captures headers and payload of one message onto `span`, when wanted. Never throws on junk. */
export function captureMessage(context: InstrumentationContext, span: Span, message: MessagePayload): void {
  const wantHeaders = context.http.headers.request;
  const wantBody = context.http.body.request;
  if ((!wantHeaders && !wantBody) || !context.captureWanted(span)) return;
  const truncated: string[] = [];
  if (wantHeaders && isHeaderRecord(message.headers)) captureHeaders(context, span, message.headers, truncated);
  if (wantBody) captureBody(context, span, message, truncated);
  if (truncated.length > 0) span.setAttribute(ATTR_CK_CAPTURE_TRUNCATED, truncated);
}

function captureHeaders(context: InstrumentationContext, span: Span, headers: Record<string, unknown>, truncated: string[]): void {
  let count = 0;
  for (const name of Object.keys(headers)) {
    if (count++ >= MAX_HEADERS) break;
    const value = headers[name];
    if (value === undefined || value === null) continue;
    const key = name.toLowerCase();
    const attribute = ATTR_MESSAGING_REQUEST_HEADER_PREFIX + key;
    const values = Array.isArray(value) ? value.slice(0, MAX_HEADERS).map(headerText) : headerText(value);
    const bounded = boundValues(values, context.bodyLimits.maxBytes);
    if (bounded.truncated) truncated.push(attribute);
    span.setAttribute(attribute, context.redactor.headerValue(key, bounded.value));
  }
}

function boundValues(values: string | string[], maxBytes: number): { value: string | string[]; truncated: boolean } {
  if (typeof values === 'string') return truncateUtf8(values, maxBytes);
  let truncated = false;
  const out = values.map((v) => {
    const cut = truncateUtf8(v, maxBytes);
    truncated ||= cut.truncated;
    return cut.value;
  });
  return { value: out, truncated };
}

/** Bytes that decode to text without replacement or control characters (tab, CR, LF allowed). */
function bytesAsText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex -- control characters are what marks binary data
  return text.includes('\uFFFD') || /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text) ? bytes.toString('base64') : text;
}

function headerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return bytesAsText(value);
  if (value instanceof Uint8Array) return bytesAsText(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  try {
    // AMQP field tables and typed values ({ '!': 'int64', value: 1 }).
    return JSON.stringify(value, (_key, v: unknown) => (Buffer.isBuffer(v) ? bytesAsText(v) : typeof v === 'bigint' ? String(v) : v)) ?? '';
  } catch {
    return '[unserializable]';
  }
}

function captureBody(context: InstrumentationContext, span: Span, message: MessagePayload, truncated: string[]): void {
  const body = message.body;
  if (body === undefined || body === null) return;
  if (!isCapturableContentType(message.contentType, context.allowedContentTypes)) return;
  const capture = new BodyCapture(context.bodyLimits, parseContentEncoding(message.contentEncoding));
  capture.add(body);
  const result = capture.result(context.redactor, message.contentType);
  if (!result) return;
  span.setAttribute(ATTR_MESSAGING_REQUEST_BODY, result.value);
  if (result.truncated) truncated.push(ATTR_MESSAGING_REQUEST_BODY);
}

/** A header value that names the content type or encoding (Kafka headers are bytes). */
export function headerAsString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.length <= 256 ? value.toString('utf8') : undefined;
  if (Array.isArray(value) && value.length > 0) return headerAsString(value[0]);
  return undefined;
}

/** A header of `headers` by case-insensitive name. */
export function findHeader(headers: unknown, name: string): unknown {
  if (!isHeaderRecord(headers)) return undefined;
  if (headers[name] !== undefined) return headers[name];
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}
