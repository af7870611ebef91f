/**
 * `ck-route` in message headers (docs/messaging.md), shared by amqplib and kafkajs:
 *
 * - send: the app's message/options objects are never mutated; the instrumentation hands the
 *   library (and upstream, which injects trace context into the headers object it is given) a
 *   copy whose headers carry `ck-route` when the send happens inside a CK request;
 * - receive: the consumer span's path adopts a valid route the global propagator did not
 *   extract (another SDK replaced it, or a batch entry that upstream starts without a parent);
 *   a present but invalid value (wrong type, junk bytes) is counted in `ck.agent.route.invalid`
 *   and the consumer stays an external entry.
 */
import { context as apiContext, type Span } from '@opentelemetry/api';
import { adoptIncomingRoute, CK_ROUTE_HEADER, MAX_ROUTE_HEADER_LENGTH, outgoingRoute } from '../../graph';

export type HeaderRecord = Record<string, unknown>;

/** True for a headers object a route can be added to (a plain object, not an array or a Buffer). */
export function isHeaderRecord(value: unknown): value is HeaderRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * A copy of `headers` (undefined: an empty object) with `ck-route` set to the active request's
 * route; undefined when the headers are not an object we can copy (the send goes out as the app
 * wrote it). Outside a request the copy has no `ck-route` added (an app's own value is kept).
 */
export function headersWithRoute(headers: unknown): HeaderRecord | undefined {
  if (headers !== undefined && headers !== null && !isHeaderRecord(headers)) return undefined;
  const copy: HeaderRecord = headers ? { ...headers } : {};
  const route = outgoingRoute(apiContext.active());
  if (route !== undefined) copy[CK_ROUTE_HEADER] = route;
  return copy;
}

/**
 * A header value as the route parser takes it, for a protocol whose header values are bytes
 * (Kafka): Buffers decoded when they are short enough to be a route at all; longer Buffers,
 * numbers, objects stay as they are and parse as invalid. Arrays (repeated headers) element-wise.
 */
export function routeHeaderValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.length <= MAX_ROUTE_HEADER_LENGTH ? value.toString('utf8') : value;
  if (Array.isArray(value)) return value.length === 1 ? [routeHeaderValue(value[0])] : value;
  return value;
}

/** The raw `ck-route` of a headers object (exact name, else case-insensitive); undefined when absent. */
export function rawRouteHeader(headers: unknown): unknown {
  if (!isHeaderRecord(headers)) return undefined;
  const exact = headers[CK_ROUTE_HEADER];
  if (exact !== undefined) return exact;
  for (const name of Object.keys(headers)) {
    if (name.length === CK_ROUTE_HEADER.length && name.toLowerCase() === CK_ROUTE_HEADER) return headers[name];
  }
  return undefined;
}

/**
 * For the consumer entry `entrySpan`: adopts the message's route when the path has none yet, or
 * counts an invalid one (once: not when the global propagator already counted it on extract).
 * `byteValues`: header values are bytes (Kafka); otherwise (AMQP) only a string is a route, as
 * the global propagator's getter sees it.
 */
export function adoptMessageRoute(entrySpan: Span, headers: unknown, onInvalid: () => void, byteValues: boolean): void {
  const raw = rawRouteHeader(headers);
  if (raw === undefined || raw === null) return;
  adoptIncomingRoute(entrySpan, byteValues ? routeHeaderValue(raw) : raw, onInvalid);
}
