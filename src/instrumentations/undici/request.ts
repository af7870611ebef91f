/**
 * undici / fetch requests (docs/undici.md): `ck-route` on every request made inside a CK request
 * (also when another SDK replaced the global propagator), at most one copy of each propagation
 * header when a vanilla undici instrumentation injects too, and header/body capture when captured
 * data has a consumer.
 *
 * undici hands every diagnostics-channel subscriber the same request object, in subscription
 * order. Each undici instrumentation (ours, a vanilla one from sdk-node) injects the global
 * propagator's headers with `request.addHeader`; two copies of `ck-route` or `traceparent` reach
 * the server joined as `a, b`, which is invalid, and the path would restart downstream. So the
 * first CK hook to see a request makes its `addHeader` skip names the request already carries.
 */
import { context as apiContext, type Span } from '@opentelemetry/api';
import { BodyCapture } from '../../capture/body-capture';
import type { InstrumentationContext } from '../../capture/context';
import { isCapturableContentType } from '../../capture/content-type';
import { CK_ROUTE_HEADER, outgoingRoute } from '../../graph';
import { ATTR_HTTP_REQUEST_BODY, ATTR_HTTP_REQUEST_HEADER_PREFIX, ATTR_HTTP_RESPONSE_HEADER_PREFIX } from '../../semconv';
import { BodyAttributes } from '../http/exchange';
import { setHeaderAttributes, type HeaderValues } from '../http/headers';

/** What we read of undici's request object (v5: headers as one string; v6+: a flat array). */
export interface UndiciRequestLike {
  headers: string | Array<string | string[]>;
  addHeader?: (name: string, value: string) => unknown;
  body?: unknown;
}

/** What we read of undici's response object (headers as flat [name, value] Buffers). */
export interface UndiciResponseLike {
  headers?: unknown[];
}

/** requestHook: runs when the request is created, before upstream injects propagation headers. */
export function onUndiciRequest(context: InstrumentationContext, span: Span, request: UndiciRequestLike): void {
  injectOnce(request);
  const route = outgoingRoute(apiContext.active());
  if (route !== undefined && !hasHeader(request, CK_ROUTE_HEADER)) addHeader(request, CK_ROUTE_HEADER, route);
  if (!context.captureWanted(span)) return;
  // Headers now, so a request that fails before any response still has them; the response hook
  // writes them again with the propagation headers added since.
  if (context.http.headers.request) setHeaderAttributes(span, ATTR_HTTP_REQUEST_HEADER_PREFIX, requestHeaders(request), context.redactor);
  if (context.http.body.request) captureRequestBody(context, span, request);
}

/** responseHook: response headers received (the body is the app's stream: never read here). */
export function onUndiciResponse(
  context: InstrumentationContext,
  span: Span,
  request: UndiciRequestLike,
  response: UndiciResponseLike
): void {
  if (!context.captureWanted(span)) return;
  if (context.http.headers.request) setHeaderAttributes(span, ATTR_HTTP_REQUEST_HEADER_PREFIX, requestHeaders(request), context.redactor);
  if (context.http.headers.response) {
    setHeaderAttributes(span, ATTR_HTTP_RESPONSE_HEADER_PREFIX, responseHeaders(response), context.redactor);
  }
}

/**
 * A request body the app handed over whole (string, Buffer, Uint8Array: `undici.request` and
 * friends) is captured as is. Streams, iterables, FormData and every `fetch` body (undici reads
 * them from a stream) are not: reading them would change what the server receives.
 */
function captureRequestBody(context: InstrumentationContext, span: Span, request: UndiciRequestLike): void {
  const body = request.body;
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return;
  const contentType = headerValue(requestHeaders(request), 'content-type');
  if (!isCapturableContentType(contentType, context.allowedContentTypes)) return;
  const capture = new BodyCapture(context.bodyLimits);
  capture.add(body);
  new BodyAttributes(span, context).set(ATTR_HTTP_REQUEST_BODY, capture, contentType).finish();
}

const ADD_HEADER_ONCE = Symbol('ck-agent.undici.addHeaderOnce');

type OnceRequest = UndiciRequestLike & { [ADD_HEADER_ONCE]?: true };

/**
 * Makes this request's `addHeader` skip a name it already carries (shared function, one own
 * property per request; undici itself never calls addHeader).
 */
function injectOnce(request: OnceRequest): void {
  if (request[ADD_HEADER_ONCE] || typeof request.addHeader !== 'function') return;
  request[ADD_HEADER_ONCE] = true;
  request.addHeader = addHeaderOnce;
}

function addHeaderOnce(this: UndiciRequestLike, name: string, value: string): unknown {
  if (hasHeader(this, name)) return this;
  return (Object.getPrototypeOf(this) as UndiciRequestLike).addHeader?.call(this, name, value);
}

/** Adds a header the way upstream does for each undici version. */
function addHeader(request: UndiciRequestLike, name: string, value: string): void {
  if (typeof request.addHeader === 'function') request.addHeader(name, value);
  else if (typeof request.headers === 'string') request.headers += `${name}: ${value}\r\n`;
  else if (Array.isArray(request.headers)) request.headers.push(name, value);
}

function hasHeader(request: UndiciRequestLike, name: string): boolean {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const key = headers[i];
      if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) return true;
    }
    return false;
  }
  if (typeof headers !== 'string') return false;
  const lower = headers.toLowerCase();
  return lower.startsWith(`${name}:`) || lower.includes(`\r\n${name}:`);
}

/** The request's headers as sent (lower-cased names, repeated names as arrays). */
export function requestHeaders(request: UndiciRequestLike): HeaderValues {
  const out: HeaderValues = new Map();
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const value = headers[i + 1];
      if (Array.isArray(value)) for (const v of value) add(out, String(headers[i]).toLowerCase(), String(v));
      else add(out, String(headers[i]).toLowerCase(), String(value));
    }
  } else if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) add(out, line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return out;
}

/** Response headers (flat [name, value] Buffers) as lower-cased names, repeated names as arrays. */
export function responseHeaders(response: UndiciResponseLike): HeaderValues {
  const out: HeaderValues = new Map();
  const raw = response.headers;
  if (!Array.isArray(raw)) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) add(out, String(raw[i]).toLowerCase(), String(raw[i + 1]));
  return out;
}

function add(out: HeaderValues, name: string, value: string): void {
  const existing = out.get(name);
  if (existing === undefined) out.set(name, value);
  else if (Array.isArray(existing)) existing.push(value);
  else out.set(name, [existing, value]);
}

function headerValue(headers: HeaderValues, name: string): string | undefined {
  const value = headers.get(name);
  return Array.isArray(value) ? value[0] : value;
}
