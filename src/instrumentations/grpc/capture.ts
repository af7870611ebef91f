/**
 * gRPC metadata and message capture (docs/grpc.md), shared by the gRPC server and client paths
 * (server-call.ts, client-call.ts).
 *
 * - Metadata → `rpc.request.metadata.<key>` / `rpc.response.metadata.<key>` (trailers too):
 *   one value → string, repeated key → string array; `-bin` values base64; listed keys redacted.
 * - Messages → `rpc.request.body` / `rpc.response.body`: a unary side is the JSON of its one
 *   message, a streaming side is a JSON array of its messages (rpc-json.ts), both cut at
 *   `bodyMaxSizeBytes` with the attribute listed in `ck.capture.truncated`. Memory held per side
 *   never exceeds about that limit, however many / large the messages are.
 * gRPC messages are captured whatever `allowed_content_types` says (that list is about HTTP
 * bodies; a gRPC message is always structured data and is written as JSON).
 */
import type { Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { KeyRedactor } from '../../capture/context';
import { REDACTED, type Redactor } from '../../capture/redaction';
import { truncateUtf8 } from '../../capture/truncate';
import type { FilterHeaders } from '../../filters/registry';
import { ATTR_CK_CAPTURE_TRUNCATED } from '../../semconv';
import { BoundedJsonWriter } from './message-json';

/** The subset of grpc-js `Metadata` used here (duck-typed: several grpc-js copies may coexist). */
export interface MetadataLike {
  getMap(): Record<string, unknown>;
  toJSON?(): Record<string, unknown[]>;
  get(key: string): unknown[];
  /** grpc-js internal map (key → values); read when present to avoid copies. */
  internalRepr?: Map<string, unknown[]>;
}

export function isMetadata(value: unknown): value is MetadataLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as MetadataLike).getMap === 'function' &&
    typeof (value as MetadataLike).get === 'function'
  );
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return String(value);
}

/** Calls fn(key, values) for each key; never throws out of a broken metadata object. */
function forEachEntry(metadata: MetadataLike, fn: (key: string, values: unknown[]) => void): void {
  const repr = metadata.internalRepr;
  if (repr instanceof Map) {
    for (const [key, values] of repr) if (Array.isArray(values) && values.length > 0) fn(key, values);
    return;
  }
  const json = typeof metadata.toJSON === 'function' ? metadata.toJSON() : undefined;
  if (!json) return;
  for (const key of Object.keys(json)) {
    const values = json[key];
    if (Array.isArray(values) && values.length > 0) fn(key, values);
  }
}

/**
 * Sets `<prefix><key>` for every metadata key: one value → string, several → string array,
 * binary → base64, redacted names → [REDACTED].
 */
export function setMetadataAttributes(span: Span, prefix: string, metadata: unknown, redactor: Redactor): void {
  if (!isMetadata(metadata)) return;
  forEachEntry(metadata, (key, values) => {
    if (redactor.isRedactedHeader(key)) {
      span.setAttribute(prefix + key, values.length === 1 ? REDACTED : values.map(() => REDACTED));
      return;
    }
    span.setAttribute(prefix + key, values.length === 1 ? valueText(values[0]) : values.map(valueText));
  });
}

/**
 * Metadata as filter headers (binary values base64). Redacted only when the config asks
 * (`redaction.apply_to_filters`): filters usually need the real values.
 */
export function metadataHeaders(metadata: unknown, redactor: Redactor | undefined): FilterHeaders {
  const out: FilterHeaders = {};
  if (!isMetadata(metadata)) return out;
  forEachEntry(metadata, (key, values) => {
    const texts = values.length === 1 ? valueText(values[0]) : values.map(valueText);
    out[key] = redactor ? redactor.headerValue(key, texts) : texts;
  });
  return out;
}

/** The single value of `key` when it has exactly one string value; the values (invalid) otherwise. */
export function singleMetadataValue(metadata: unknown, key: string): unknown {
  if (!isMetadata(metadata)) return undefined;
  let values: unknown[];
  try {
    values = metadata.get(key);
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.length === 0) return undefined;
  if (values.length === 1) return typeof values[0] === 'string' ? values[0] : INVALID_VALUE;
  return values; // several values: the route codec rejects arrays
}

/** Stands in for a value the route codec must reject (binary). */
const INVALID_VALUE = ['<binary>', '<binary>'];

/**
 * Collects the messages of one side of a call as JSON, bounded. A unary side writes the message
 * itself; a streaming side writes `[m1,m2,...]`. Once the budget is spent, later messages cost
 * nothing but a check.
 */
export class MessageCapture {
  private readonly writer: BoundedJsonWriter;
  private count = 0;

  constructor(
    private readonly maxBytes: number,
    redactKey: KeyRedactor,
    private readonly streaming: boolean
  ) {
    // One char more than the byte limit so "over the limit" is always detected (see rpc-json).
    this.writer = new BoundedJsonWriter(maxBytes + 1, redactKey);
  }

  get messages(): number {
    return this.count;
  }

  add(message: unknown): void {
    if (this.writer.full) {
      this.count++;
      return;
    }
    try {
      if (this.streaming) this.writer.raw(this.count === 0 ? '[' : ',');
      else if (this.count > 0) return; // a unary side has one message; keep the first
      this.writer.value(message);
    } catch {
      // Never let a strange message object reach the app as an error.
    }
    this.count++;
  }

  /** The attribute value, or undefined when no message was seen on a unary side. */
  result(): { value: string; truncated: boolean } | undefined {
    if (this.count === 0 && !this.streaming) return undefined;
    if (this.streaming && !this.writer.full) this.writer.raw(this.count === 0 ? '[]' : ']');
    const full = this.writer.full;
    const cut = truncateUtf8(this.writer.text(), this.maxBytes);
    return { value: cut.value, truncated: full || cut.truncated };
  }
}

/** Writes a captured body attribute and records it in `ck.capture.truncated` when it was cut. */
export function setBodyAttribute(span: Span, attribute: string, capture: MessageCapture | undefined): void {
  if (!capture) return;
  const result = capture.result();
  if (!result) return;
  span.setAttribute(attribute, result.value);
  if (result.truncated) markTruncated(span, attribute);
}

export function markTruncated(span: Span, attribute: string): void {
  const existing = (span as Partial<ReadableSpan>).attributes?.[ATTR_CK_CAPTURE_TRUNCATED];
  if (Array.isArray(existing)) {
    const listed = existing as string[];
    if (!listed.includes(attribute)) span.setAttribute(ATTR_CK_CAPTURE_TRUNCATED, [...listed, attribute]);
  } else {
    span.setAttribute(ATTR_CK_CAPTURE_TRUNCATED, [attribute]);
  }
}
