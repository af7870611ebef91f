/**
 * How node-redis spans are named so they map to the same CACHE elements as ioredis spans
 * (recording; docs/datastores.md): decided when upstream starts the span, and for commands queued
 * in a MULTI or a pipeline when upstream labels them at exec time.
 */
import type { Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT } from '../../semconv';
import type { SpanStartAdjuster } from '../upstream';

/** Upstream's name for the span around `client.connect()`. */
const CONNECT_SPAN_NAME = 'redis-connect';

/**
 * `db.operation.name` upper-cased (`client.sendCommand(['get', k])` gives `get`); the connect
 * span gets the operation `CONNECT` and the statement `connect`, as ioredis' connect span has.
 */
export const nameRedisSpan: SpanStartAdjuster = (name, options) => {
  const attributes = options?.attributes;
  if (!attributes) return undefined;
  const operation = attributes[ATTR_DB_OPERATION_NAME];
  if (typeof operation === 'string') {
    const upper = operation.toUpperCase();
    if (upper === operation) return undefined;
    return { name, options: { ...options, attributes: { ...attributes, [ATTR_DB_OPERATION_NAME]: upper } } };
  }
  if (name === CONNECT_SPAN_NAME) {
    return {
      name,
      options: { ...options, attributes: { ...attributes, [ATTR_DB_OPERATION_NAME]: 'CONNECT', [ATTR_DB_QUERY_TEXT]: 'connect' } },
    };
  }
  return undefined;
};

const BATCH_LABEL = /^(MULTI|PIPELINE)(?: |$)/;

/**
 * Upstream labels every command of a MULTI / pipeline when the batch ends: `MULTI SET` when all
 * commands are SETs, only `MULTI` (or `PIPELINE`) when they differ. ioredis' spans are labelled
 * per command (`MULTI SET`, `MULTI GET`), so the label set on this span is completed with its own
 * command. Only that one attribute write is intercepted, on this span instance.
 */
export function labelQueuedCommand(span: Span): void {
  const own = (span as Partial<ReadableSpan>).attributes?.[ATTR_DB_OPERATION_NAME];
  if (typeof own !== 'string' || own === 'CONNECT') return;
  const setAttribute = span.setAttribute;
  span.setAttribute = function setAttributeWithOwnCommand(this: Span, key, value) {
    if (key === ATTR_DB_OPERATION_NAME && typeof value === 'string') {
      const batch = BATCH_LABEL.exec(value);
      if (batch) value = `${batch[1]} ${own}`;
    }
    return setAttribute.call(this, key, value);
  };
}
