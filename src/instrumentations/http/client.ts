/**
 * HTTP client side, recording (docs/http-express.md): `ck-route` on every outgoing request made
 * inside a CK request (also when another SDK replaced the global propagator), and capture of
 * headers and bodies when captured data has a consumer. Stream observers: observers.ts.
 */
import { type ClientRequest, type IncomingMessage } from 'http';
import { context as apiContext, type Span } from '@opentelemetry/api';
import type { InstrumentationContext } from '../../capture/context';
import { CK_ROUTE_HEADER, outgoingRoute } from '../../graph';
import {
  ATTR_HTTP_REQUEST_BODY,
  ATTR_HTTP_REQUEST_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_BODY,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
} from '../../semconv';
import {
  attachExchange,
  BodyAttributes,
  ClientExchange,
  clientExchangeOf,
  incomingBody,
  OutgoingBody,
  responseHasNoBody,
  type IncomingBody,
} from './exchange';
import { headersFromRaw, outgoingHeaders, setHeaderAttributes } from './headers';

/**
 * requestHook (client), right after the ClientRequest is created and before the caller writes:
 * ck-route injection; returns the request body to observe, if any.
 */
export function onClientRequest(context: InstrumentationContext, span: Span, req: ClientRequest): OutgoingBody | undefined {
  injectRoute(req);
  if (!context.captureWanted(span)) return undefined;
  const ex = new ClientExchange(span, context);
  attachExchange(req, ex);
  return context.http.body.request ? (ex.request = new OutgoingBody(context, undefined)) : undefined;
}

function injectRoute(req: ClientRequest): void {
  try {
    if (req.headersSent || req.getHeader(CK_ROUTE_HEADER) !== undefined) return;
    const route = outgoingRoute(apiContext.active());
    if (route !== undefined) req.setHeader(CK_ROUTE_HEADER, route);
  } catch {
    // Headers given as a raw array cannot be amended: the call goes out without ck-route.
  }
}

/** responseHook (client): returns the response body to observe, if any. */
export function onClientResponse(context: InstrumentationContext, res: IncomingMessage): IncomingBody | undefined {
  const ex = clientExchangeOf((res as { req?: unknown }).req);
  if (!ex || !context.http.body.response) return undefined;
  const method = (res as { req?: { method?: string } }).req?.method;
  if (responseHasNoBody(method, res.statusCode ?? 0)) return undefined;
  ex.response = incomingBody(context, res);
  if (ex.response) attachExchange(res, ex);
  return ex.response;
}

/** applyCustomAttributesOnSpan (client), just before the span ends: headers both ways, bodies. */
export function onClientFinish(context: InstrumentationContext, span: Span, req: ClientRequest, res: IncomingMessage): void {
  const ex = clientExchangeOf(req);
  if (!ex) return;
  if (context.http.headers.request) {
    setHeaderAttributes(span, ATTR_HTTP_REQUEST_HEADER_PREFIX, outgoingHeaders(req), context.redactor);
  }
  if (context.http.headers.response) {
    setHeaderAttributes(span, ATTR_HTTP_RESPONSE_HEADER_PREFIX, headersFromRaw(res.rawHeaders), context.redactor);
  }
  new BodyAttributes(span, context)
    .set(ATTR_HTTP_REQUEST_BODY, ex.request?.capture, ex.request?.contentType)
    .set(ATTR_HTTP_RESPONSE_BODY, ex.response?.capture, ex.response?.contentType)
    .finish();
}
