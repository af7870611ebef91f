/**
 * HTTP data capture, request filters and graph path entry for the upstream http
 * instrumentation's hooks (src/wrappers/http.ts wires these; this file is the logic).
 *
 * Per request, one exchange object holds what the hooks share; it is created only when captured
 * data has a consumer (capture-policy.ts), so metrics-only mode costs the path entry and nothing
 * else. Bodies are captured by OBSERVING, never consuming:
 * - incoming bodies (server request, client response): the instance's `emit` is wrapped and sees
 *   the 'data' chunks the application itself receives (flowing mode, read(), pipe, async
 *   iteration all emit 'data'); nothing is read early, no listener is added, so the stream's mode,
 *   backpressure and events are exactly what they would be without the agent;
 * - outgoing bodies (server response, client request): the instance's `write` / `end` are wrapped;
 *   the original is called first with the same arguments and its return value is returned.
 * The wrappers are shared functions installed as own properties (no closure per request).
 *
 * Body-stage filters run when the request body is complete: just before its 'end' event reaches
 * the application (or a body parser). A block there swallows that 'end', so a body parser never
 * calls next() and the route handler never runs (Express); a plain http handler never sees the
 * end of its body. The 403 goes out instead (http-block.ts).
 */
import { context, type Span } from '@opentelemetry/api';
import { ClientRequest, IncomingMessage, type ServerResponse } from 'http';
import type { CKConfig, DirectionSwitch } from '../../config/types';
import { CK_ROUTE_HEADER, httpServiceElement, routeTemplate } from '../../graph';
import { BodyCapture, parseContentEncoding, type BodyLimits } from '../../capture/body-capture';
import { captureWanted, type CaptureAgent } from '../../capture/policy';
import { headerString, isCapturableContentType } from '../../capture/content-type';
import {
  evaluateBodyAndHeaders,
  evaluateUrlAndHeaders,
  hasBodyFilters,
  hasUrlFilters,
  type FilterHeaders,
} from '../../filters/registry';
import { respondBlocked } from '../../filters/http-block';
import {
  REQUEST_HEADER_PREFIX,
  RESPONSE_HEADER_PREFIX,
  headersFromRaw,
  outgoingHeader,
  outgoingHeaders,
  setHeaderAttributes,
  type OutgoingLike,
} from './headers';
import { enterService, outgoingRoute, spanPathState } from '../../graph/entry';
import { Redactor } from '../../capture/redaction';

export const ATTR_REQUEST_BODY = 'http.request.body';
export const ATTR_RESPONSE_BODY = 'http.response.body';
export const ATTR_CAPTURE_TRUNCATED = 'ck.capture.truncated';

/** What the capture logic needs from the agent. */
export interface HttpCaptureAgent extends CaptureAgent {
  readonly config: CKConfig;
  readonly metrics: { countInvalidRoute(): void };
}

/** Built once per instrumentation from the frozen config. */
export class HttpCaptureSettings {
  readonly redactor: Redactor;
  readonly limits: BodyLimits;
  readonly allowedContentTypes: readonly string[];
  readonly headers: DirectionSwitch;
  readonly body: DirectionSwitch;
  readonly redactForFilters: boolean;
  readonly onInvalidRoute: () => void;

  constructor(readonly agent: HttpCaptureAgent) {
    const dc = agent.config.dataCapture;
    this.redactor = new Redactor(agent.config.redaction);
    this.limits = { maxBytes: dc.bodyMaxSizeBytes, maxProcessingBytes: dc.bodyMaxProcessingSizeBytes };
    this.allowedContentTypes = dc.allowedContentTypes;
    this.headers = dc.httpHeaders;
    this.body = dc.httpBody;
    this.redactForFilters = agent.config.redaction.applyToFilters;
    this.onInvalidRoute = () => {
      try {
        agent.metrics.countInvalidRoute();
      } catch {
        // self-metrics are best effort
      }
    };
  }
}

const EXCHANGE = Symbol('ck-agent.http.exchange');

type EmitFn = (event: string | symbol, ...args: unknown[]) => boolean;
type WriteFn = (...args: unknown[]) => unknown;

interface Carrier {
  [EXCHANGE]?: ServerExchange | ClientExchange;
}

/** State of one incoming request, shared by the server hooks and wrappers. */
class ServerExchange {
  res: ServerResponse | undefined;
  blocked = false;
  bodyStageDone = false;
  requestBody: BodyCapture | undefined;
  requestContentType: string | undefined;
  /** undefined: not decided yet (first chunk decides); null: not captured. */
  responseBody: BodyCapture | null | undefined;
  responseContentType: string | undefined;
  reqEmit: EmitFn | undefined;
  resWrite: WriteFn | undefined;
  resEnd: WriteFn | undefined;

  constructor(
    readonly span: Span,
    readonly settings: HttpCaptureSettings
  ) {}
}

/** State of one outgoing request. */
class ClientExchange {
  requestBody: BodyCapture | null | undefined;
  requestContentType: string | undefined;
  responseBody: BodyCapture | undefined;
  responseContentType: string | undefined;
  reqWrite: WriteFn | undefined;
  reqEnd: WriteFn | undefined;
  resEmit: EmitFn | undefined;

  constructor(
    readonly span: Span,
    readonly settings: HttpCaptureSettings
  ) {}
}

function serverExchangeOf(carrier: unknown): ServerExchange | undefined {
  const ex = (carrier as Carrier | undefined)?.[EXCHANGE];
  return ex instanceof ServerExchange ? ex : undefined;
}

function clientExchangeOf(carrier: unknown): ClientExchange | undefined {
  const ex = (carrier as Carrier | undefined)?.[EXCHANGE];
  return ex instanceof ClientExchange ? ex : undefined;
}

function requestHasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Responses that carry no body on the wire whatever the app writes. */
function responseHasNoBody(method: string | undefined, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

function filterHeaders(ex: ServerExchange, req: IncomingMessage): FilterHeaders {
  const headers = req.headers as FilterHeaders;
  return ex.settings.redactForFilters ? ex.settings.redactor.redactHeaders(headers) : headers;
}

function fullUrl(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
  const host = headerString(req.headers.host) ?? 'localhost';
  return (encrypted ? 'https://' : 'http://') + host + (req.url ?? '/');
}

// ---------------------------------------------------------------------------------------------
// Server side

/**
 * requestHook (server): graph path entry, header capture, header-stage filters, request body
 * observation. Runs inside the server span's context, before the app sees the request.
 */
export function onServerRequest(settings: HttpCaptureSettings, span: Span, req: IncomingMessage): void {
  // The graph processor already named the entry from the span's start attributes (same builder,
  // same method and path); build it here only when it did not, e.g. a custom mapper registry.
  const entry = spanPathState(span)?.entry ?? httpServiceElement(req.method ?? 'GET', routeTemplate(req.url ?? '/'));
  enterService(span, entry, req.headers[CK_ROUTE_HEADER], settings.onInvalidRoute);
  if (!captureWanted(settings.agent, span)) return;
  const ex = new ServerExchange(span, settings);
  (req as Carrier)[EXCHANGE] = ex;
  if (settings.headers.request) {
    setHeaderAttributes(span, REQUEST_HEADER_PREFIX, headersFromRaw(req.rawHeaders), settings.redactor);
  }
  if (hasUrlFilters() && evaluateUrlAndHeaders(span, fullUrl(req), filterHeaders(ex, req), 'http').blocked) {
    ex.blocked = true; // answered by the emit gate, before the app's 'request' listeners
    return;
  }
  if (!(settings.body.request || hasBodyFilters()) || !requestHasBody(req)) return;
  const contentType = headerString(req.headers['content-type']);
  if (!isCapturableContentType(contentType, settings.allowedContentTypes)) return;
  ex.requestBody = new BodyCapture(settings.limits, parseContentEncoding(req.headers['content-encoding']));
  ex.requestContentType = contentType;
  ex.reqEmit = req.emit as EmitFn;
  req.emit = serverRequestEmit as typeof req.emit;
}

/** Observes the request body chunks the app receives; runs body-stage filters before 'end'. */
function serverRequestEmit(this: IncomingMessage, event: string | symbol, chunk?: unknown): boolean {
  const ex = serverExchangeOf(this);
  const original = ex?.reqEmit ?? IncomingMessage.prototype.emit;
  if (ex) {
    try {
      if (event === 'data') {
        ex.requestBody?.add(chunk, this.readableEncoding ?? undefined);
      } else if (event === 'end' && !ex.bodyStageDone) {
        ex.bodyStageDone = true;
        if (!ex.blocked && hasBodyFilters() && runBodyStage(ex, this)) return false; // swallowed
      }
    } catch {
      // capture is best effort; the event goes through
    }
  }
  // eslint-disable-next-line prefer-rest-params
  return original.apply(this, arguments as unknown as Parameters<EmitFn>);
}

/** Body-stage filters; true when the request was blocked (403 sent, response neutralized). */
function runBodyStage(ex: ServerExchange, req: IncomingMessage): boolean {
  const text = ex.requestBody?.text() ?? '';
  const body = ex.settings.redactForFilters ? ex.settings.redactor.body(text, ex.requestContentType) : text;
  if (!evaluateBodyAndHeaders(ex.span, filterHeaders(ex, req), body, 'http').blocked) return false;
  ex.blocked = true;
  if (ex.res) respondBlocked(ex.res);
  return true;
}

/** responseHook (server): observe the response body. Runs right after onServerRequest. */
export function onServerResponse(settings: HttpCaptureSettings, _span: Span, res: ServerResponse): void {
  const ex = serverExchangeOf(res.req);
  if (!ex) return;
  ex.res = res;
  if (ex.blocked || !settings.body.response) return;
  ex.resWrite = res.write as unknown as WriteFn;
  ex.resEnd = res.end as unknown as WriteFn;
  (res as unknown as Record<string, unknown>).write = serverResponseWrite;
  (res as unknown as Record<string, unknown>).end = serverResponseEnd;
  (res as unknown as Carrier)[EXCHANGE] = ex;
}

/**
 * The gate in front of the app's 'request' listeners (installed inside the upstream server
 * patch): true when the request was blocked at the header stage and must not reach the app.
 */
export function blockedBeforeApp(req: unknown, res: unknown): boolean {
  const ex = serverExchangeOf(req);
  if (!ex || !ex.blocked) return false;
  try {
    respondBlocked(res as ServerResponse);
  } catch {
    // respondBlocked never throws; belt and braces for the app's sake
  }
  return true;
}

function serverResponseWrite(this: ServerResponse): unknown {
  const ex = serverExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.resWrite ?? (Object.getPrototypeOf(this).write as WriteFn);
  // eslint-disable-next-line prefer-rest-params
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  if (ex && !ended) observeServerResponse(ex, this, arguments[0], arguments[1]);
  return result;
}

function serverResponseEnd(this: ServerResponse): unknown {
  const ex = serverExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.resEnd ?? (Object.getPrototypeOf(this).end as WriteFn);
  // eslint-disable-next-line prefer-rest-params
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  if (ex && !ended && typeof arguments[0] !== 'function') observeServerResponse(ex, this, arguments[0], arguments[1]);
  return result;
}

function observeServerResponse(ex: ServerExchange, res: ServerResponse, chunk: unknown, encoding: unknown): void {
  try {
    if (chunk === undefined || chunk === null || ex.responseBody === null || ex.blocked) return;
    if (ex.responseBody === undefined) {
      // Decided at the first chunk, after the original call: headers are committed by then.
      const start = responseHasNoBody(res.req?.method, res.statusCode)
        ? null
        : startOutgoingBodyCapture(res as unknown as OutgoingLike, ex.settings);
      if (!start) {
        ex.responseBody = null;
        return;
      }
      ex.responseBody = start.capture;
      ex.responseContentType = start.contentType;
    }
    ex.responseBody.add(chunk, typeof encoding === 'string' ? encoding : undefined);
  } catch {
    ex.responseBody = null;
  }
}

/**
 * A BodyCapture for a body this process writes (server response, client request), decided from
 * the headers already set on the outgoing message; null when its content type is not captured.
 */
function startOutgoingBodyCapture(
  message: OutgoingLike,
  settings: HttpCaptureSettings
): { capture: BodyCapture; contentType: string | undefined } | null {
  const contentType = outgoingHeader(message, 'content-type');
  if (!isCapturableContentType(contentType, settings.allowedContentTypes)) return null;
  const encodingHeader = outgoingHeader(message, 'content-encoding');
  return { capture: new BodyCapture(settings.limits, parseContentEncoding(encodingHeader)), contentType };
}

/** applyCustomAttributesOnSpan (server): response headers, bodies, truncation. Before span end. */
export function onServerFinish(settings: HttpCaptureSettings, span: Span, req: IncomingMessage, res: ServerResponse): void {
  const ex = serverExchangeOf(req);
  if (!ex) return;
  if (settings.headers.response) {
    setHeaderAttributes(span, RESPONSE_HEADER_PREFIX, outgoingHeaders(res as unknown as OutgoingLike), settings.redactor);
  }
  let truncated: string[] | undefined;
  if (settings.body.request && ex.requestBody) {
    truncated = setBody(span, ATTR_REQUEST_BODY, ex.requestBody, settings, ex.requestContentType, truncated);
  }
  if (ex.responseBody) {
    truncated = setBody(span, ATTR_RESPONSE_BODY, ex.responseBody, settings, ex.responseContentType, truncated);
  }
  if (truncated) span.setAttribute(ATTR_CAPTURE_TRUNCATED, truncated);
}

function setBody(
  span: Span,
  attribute: string,
  body: BodyCapture,
  settings: HttpCaptureSettings,
  contentType: string | undefined,
  truncated: string[] | undefined
): string[] | undefined {
  const result = body.result(settings.redactor, contentType);
  if (!result) return truncated;
  span.setAttribute(attribute, result.value);
  if (!result.truncated) return truncated;
  (truncated ??= []).push(attribute);
  return truncated;
}

// ---------------------------------------------------------------------------------------------
// Client side

/**
 * requestHook (client): ck-route injection (also when another SDK replaced the global
 * propagator), request body observation. Runs right after the ClientRequest is created, in the
 * client span's context, before the caller writes anything.
 */
export function onClientRequest(settings: HttpCaptureSettings, span: Span, req: ClientRequest): void {
  injectRoute(req);
  if (!captureWanted(settings.agent, span)) return;
  const ex = new ClientExchange(span, settings);
  (req as unknown as Carrier)[EXCHANGE] = ex;
  if (!settings.body.request) return;
  ex.reqWrite = req.write as unknown as WriteFn;
  ex.reqEnd = req.end as unknown as WriteFn;
  (req as unknown as Record<string, unknown>).write = clientRequestWrite;
  (req as unknown as Record<string, unknown>).end = clientRequestEnd;
}

function injectRoute(req: ClientRequest): void {
  try {
    if (req.headersSent || req.getHeader(CK_ROUTE_HEADER) !== undefined) return;
    const route = outgoingRoute(context.active());
    if (route !== undefined) req.setHeader(CK_ROUTE_HEADER, route);
  } catch {
    // headers given as a raw array cannot be amended; the call goes out without ck-route
  }
}

function clientRequestWrite(this: ClientRequest): unknown {
  const ex = clientExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.reqWrite ?? (ClientRequest.prototype.write as unknown as WriteFn);
  // eslint-disable-next-line prefer-rest-params
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  if (ex && !ended) observeClientRequest(ex, this, arguments[0], arguments[1]);
  return result;
}

function clientRequestEnd(this: ClientRequest): unknown {
  const ex = clientExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.reqEnd ?? (ClientRequest.prototype.end as unknown as WriteFn);
  // eslint-disable-next-line prefer-rest-params
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  if (ex && !ended && typeof arguments[0] !== 'function') observeClientRequest(ex, this, arguments[0], arguments[1]);
  return result;
}

function observeClientRequest(ex: ClientExchange, req: ClientRequest, chunk: unknown, encoding: unknown): void {
  try {
    if (chunk === undefined || chunk === null || ex.requestBody === null) return;
    if (ex.requestBody === undefined) {
      const start = startOutgoingBodyCapture(req as unknown as OutgoingLike, ex.settings);
      if (!start) {
        ex.requestBody = null;
        return;
      }
      ex.requestBody = start.capture;
      ex.requestContentType = start.contentType;
    }
    ex.requestBody.add(chunk, typeof encoding === 'string' ? encoding : undefined);
  } catch {
    ex.requestBody = null;
  }
}

/** responseHook (client): observe the response body the caller reads. */
export function onClientResponse(settings: HttpCaptureSettings, _span: Span, res: IncomingMessage): void {
  const ex = clientExchangeOf((res as { req?: unknown }).req);
  if (!ex || !settings.body.response) return;
  const contentType = headerString(res.headers['content-type']);
  const method = (res as { req?: { method?: string } }).req?.method;
  if (responseHasNoBody(method, res.statusCode ?? 0) || !isCapturableContentType(contentType, settings.allowedContentTypes)) {
    return;
  }
  ex.responseBody = new BodyCapture(settings.limits, parseContentEncoding(res.headers['content-encoding']));
  ex.responseContentType = contentType;
  ex.resEmit = res.emit as EmitFn;
  res.emit = clientResponseEmit as typeof res.emit;
  (res as Carrier)[EXCHANGE] = ex;
}

function clientResponseEmit(this: IncomingMessage, event: string | symbol, chunk?: unknown): boolean {
  const ex = clientExchangeOf(this);
  if (ex && event === 'data') {
    try {
      ex.responseBody?.add(chunk, this.readableEncoding ?? undefined);
    } catch {
      // best effort
    }
  }
  const original = ex?.resEmit ?? IncomingMessage.prototype.emit;
  // eslint-disable-next-line prefer-rest-params
  return original.apply(this, arguments as unknown as Parameters<EmitFn>);
}

/** applyCustomAttributesOnSpan (client): headers both ways, bodies, truncation. Before span end. */
export function onClientFinish(settings: HttpCaptureSettings, span: Span, req: ClientRequest, res: IncomingMessage): void {
  const ex = clientExchangeOf(req);
  if (!ex) return;
  if (settings.headers.request) {
    setHeaderAttributes(span, REQUEST_HEADER_PREFIX, outgoingHeaders(req as unknown as OutgoingLike), settings.redactor);
  }
  if (settings.headers.response) {
    setHeaderAttributes(span, RESPONSE_HEADER_PREFIX, headersFromRaw(res.rawHeaders), settings.redactor);
  }
  let truncated: string[] | undefined;
  if (ex.requestBody) truncated = setBody(span, ATTR_REQUEST_BODY, ex.requestBody, settings, ex.requestContentType, truncated);
  if (ex.responseBody) truncated = setBody(span, ATTR_RESPONSE_BODY, ex.responseBody, settings, ex.responseContentType, truncated);
  if (truncated) span.setAttribute(ATTR_CAPTURE_TRUNCATED, truncated);
}

/** True for the server side of the hooks' (request, response) pairs. */
export function isServerRequest(request: unknown): request is IncomingMessage {
  return request instanceof IncomingMessage;
}

export function isClientRequest(request: unknown): request is ClientRequest {
  return request instanceof ClientRequest;
}
