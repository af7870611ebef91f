/**
 * HTTP server side, recording (docs/http-express.md): what the upstream hooks turn a request
 * into. The path entry was named when the server span started (graph processor); here a raw
 * `ck-route` is adopted when another SDK owns the global propagator, headers are captured, the
 * filters run (header stage before the app sees the request, body stage when the body ends) and
 * bodies are written as attributes before the span ends. The stream observers that feed the body
 * captures are in observers.ts; this file never patches anything.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { Span } from '@opentelemetry/api';
import type { InstrumentationContext } from '../../capture/context';
import { headerString } from '../../capture/content-type';
import { respondBlocked } from '../../filters/http-block';
import { evaluateBodyAndHeaders, evaluateUrlAndHeaders, hasBodyFilters, hasUrlFilters, type FilterHeaders } from '../../filters/registry';
import { adoptIncomingRoute, CK_ROUTE_HEADER } from '../../graph';
import {
  ATTR_HTTP_REQUEST_BODY,
  ATTR_HTTP_REQUEST_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_BODY,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
} from '../../semconv';
import { attachExchange, BodyAttributes, incomingBody, OutgoingBody, ServerExchange, serverExchangeOf } from './exchange';
import { headersFromRaw, outgoingHeaders, setHeaderAttributes } from './headers';

function requestHasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

function filterHeaders(ex: ServerExchange, req: IncomingMessage): FilterHeaders {
  const headers = req.headers as FilterHeaders;
  return ex.context.redactForFilters ? ex.context.redactor.redactHeaders(headers) : headers;
}

function fullUrl(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
  const host = headerString(req.headers.host) ?? 'localhost';
  return (encrypted ? 'https://' : 'http://') + host + (req.url ?? '/');
}

/**
 * requestHook (server), before the app sees the request: route adoption, header capture,
 * header-stage filters. Returns the exchange when captured data has a consumer; its `request`
 * body is set when the body is to be observed.
 */
export function onServerRequest(context: InstrumentationContext, span: Span, req: IncomingMessage): ServerExchange | undefined {
  adoptIncomingRoute(span, req.headers[CK_ROUTE_HEADER], () => context.countInvalidRoute());
  if (!context.captureWanted(span)) return undefined;
  const ex = new ServerExchange(span, context);
  attachExchange(req, ex);
  if (context.http.headers.request) {
    setHeaderAttributes(span, ATTR_HTTP_REQUEST_HEADER_PREFIX, headersFromRaw(req.rawHeaders), context.redactor);
  }
  if (hasUrlFilters() && evaluateUrlAndHeaders(span, fullUrl(req), filterHeaders(ex, req), 'http').blocked) {
    ex.blocked = true; // answered by the gate, before the app's 'request' listeners
    return ex;
  }
  if ((context.http.body.request || hasBodyFilters()) && requestHasBody(req)) ex.request = incomingBody(context, req);
  return ex;
}

/**
 * The request body ended (observed just before its 'end' reaches the app): body-stage filters.
 * True when the request was blocked: the 403 went out and the 'end' must be swallowed, so a body
 * parser never calls next() and the route handler never runs.
 */
export function onServerRequestBodyEnd(ex: ServerExchange, req: IncomingMessage): boolean {
  if (ex.bodyStageDone) return false;
  ex.bodyStageDone = true;
  if (ex.blocked || !hasBodyFilters()) return false;
  const text = ex.request?.capture.text() ?? '';
  const body = ex.context.redactForFilters ? ex.context.redactor.body(text, ex.request?.contentType) : text;
  if (!evaluateBodyAndHeaders(ex.span, filterHeaders(ex, req), body, 'http').blocked) return false;
  ex.blocked = true;
  if (ex.res) respondBlocked(ex.res);
  return true;
}

/** responseHook (server): returns the response body to observe, if any. */
export function onServerResponse(context: InstrumentationContext, res: ServerResponse): OutgoingBody | undefined {
  const ex = serverExchangeOf(res.req);
  if (!ex) return undefined;
  ex.res = res;
  if (ex.blocked || !context.http.body.response) return undefined;
  attachExchange(res, ex);
  return (ex.response = new OutgoingBody(context, ex));
}

/**
 * The gate in front of the app's 'request' listeners: true when the request was blocked at the
 * header stage and must not reach the app (the 403 is sent here).
 */
export function blockedBeforeApp(req: unknown, res: unknown): boolean {
  const ex = serverExchangeOf(req);
  if (!ex || !ex.blocked) return false;
  respondBlocked(res as ServerResponse);
  return true;
}

/** applyCustomAttributesOnSpan (server), just before the span ends: response headers, bodies. */
export function onServerFinish(context: InstrumentationContext, span: Span, req: IncomingMessage, res: ServerResponse): void {
  const ex = serverExchangeOf(req);
  if (!ex) return;
  if (context.http.headers.response) {
    setHeaderAttributes(span, ATTR_HTTP_RESPONSE_HEADER_PREFIX, outgoingHeaders(res), context.redactor);
  }
  new BodyAttributes(span, context)
    .set(ATTR_HTTP_REQUEST_BODY, context.http.body.request ? ex.request?.capture : undefined, ex.request?.contentType)
    .set(ATTR_HTTP_RESPONSE_BODY, ex.response?.capture, ex.response?.contentType)
    .finish();
}
