/**
 * HTTP stream observers, hooking (docs/http-express.md, "Bodies"): bodies are captured by
 * OBSERVING what the app itself reads and writes, never by consuming.
 * - Incoming bodies (server request, client response): the instance's `emit` is replaced and sees
 *   the 'data' chunks the application receives (flowing mode, read(), pipe and async iteration all
 *   emit 'data'); nothing is read early, no listener is added, so the stream's mode, backpressure
 *   and events are exactly what they would be without the agent.
 * - Outgoing bodies (server response, client request): the instance's `write` / `end` are
 *   replaced; the original is called first with the same arguments and its return value returned.
 * The replacements are shared functions installed as own properties (no closure per request);
 * they find their exchange on the instance. Any failure inside is reported through the guard and
 * the call goes through unchanged.
 */
import { ClientRequest, IncomingMessage, type ServerResponse } from 'http';
import { reportHookError } from '../guard';
import {
  attachExchange,
  clientExchangeOf,
  responseHasNoBody,
  serverExchangeOf,
  startOutgoingBodyCapture,
  type ClientExchange,
  type EmitFn,
  type ServerExchange,
  type WriteFn,
} from './exchange';
import { onServerRequestBodyEnd } from './server';

type Writable = Record<string, unknown>;

// ---- server request body (incoming) ------------------------------------------------------------

export function observeServerRequestBody(req: IncomingMessage, ex: ServerExchange): void {
  ex.reqEmit = req.emit as EmitFn;
  req.emit = serverRequestEmit as typeof req.emit;
}

/** Sees the request body chunks the app receives; body-stage filters run before 'end'. */
function serverRequestEmit(this: IncomingMessage, event: string | symbol, chunk?: unknown): boolean {
  const ex = serverExchangeOf(this);
  const original = ex?.reqEmit ?? IncomingMessage.prototype.emit;
  if (ex) {
    try {
      if (event === 'data') ex.requestBody?.add(chunk, this.readableEncoding ?? undefined);
      else if (event === 'end' && onServerRequestBodyEnd(ex, this)) return false; // blocked: swallowed
    } catch (err) {
      reportHookError('http request body observer', err);
    }
  }
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  return original.apply(this, arguments as unknown as Parameters<EmitFn>);
}

// ---- server response body (outgoing) -----------------------------------------------------------

export function observeServerResponseBody(res: ServerResponse, ex: ServerExchange): void {
  ex.resWrite = res.write as unknown as WriteFn;
  ex.resEnd = res.end as unknown as WriteFn;
  (res as unknown as Writable).write = serverResponseWrite;
  (res as unknown as Writable).end = serverResponseEnd;
}

function serverResponseWrite(this: ServerResponse): unknown {
  const ex = serverExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.resWrite ?? (Object.getPrototypeOf(this) as { write: WriteFn }).write;
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params -- the chunk and encoding as the app passed them
  if (ex && !ended) addServerResponseChunk(ex, this, arguments[0], arguments[1]);
  return result;
}

function serverResponseEnd(this: ServerResponse): unknown {
  const ex = serverExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.resEnd ?? (Object.getPrototypeOf(this) as { end: WriteFn }).end;
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params -- end(cb) carries no chunk
  if (ex && !ended && typeof arguments[0] !== 'function') addServerResponseChunk(ex, this, arguments[0], arguments[1]);
  return result;
}

function addServerResponseChunk(ex: ServerExchange, res: ServerResponse, chunk: unknown, encoding: unknown): void {
  try {
    if (chunk === undefined || chunk === null || ex.responseBody === null || ex.blocked) return;
    if (ex.responseBody === undefined) {
      // Decided at the first chunk, after the original call: headers are committed by then.
      const start = responseHasNoBody(res.req?.method, res.statusCode) ? null : startOutgoingBodyCapture(res, ex.context);
      if (!start) {
        ex.responseBody = null;
        return;
      }
      ex.responseBody = start.capture;
      ex.responseContentType = start.contentType;
    }
    ex.responseBody.add(chunk, typeof encoding === 'string' ? encoding : undefined);
  } catch (err) {
    ex.responseBody = null;
    reportHookError('http response body observer', err);
  }
}

// ---- client request body (outgoing) ------------------------------------------------------------

export function observeClientRequestBody(req: ClientRequest, ex: ClientExchange): void {
  ex.reqWrite = req.write as unknown as WriteFn;
  ex.reqEnd = req.end as unknown as WriteFn;
  (req as unknown as Writable).write = clientRequestWrite;
  (req as unknown as Writable).end = clientRequestEnd;
}

function clientRequestWrite(this: ClientRequest): unknown {
  const ex = clientExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.reqWrite ?? (ClientRequest.prototype.write as unknown as WriteFn);
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params -- the chunk and encoding as the caller passed them
  if (ex && !ended) addClientRequestChunk(ex, this, arguments[0], arguments[1]);
  return result;
}

function clientRequestEnd(this: ClientRequest): unknown {
  const ex = clientExchangeOf(this);
  const ended = this.writableEnded;
  const original = ex?.reqEnd ?? (ClientRequest.prototype.end as unknown as WriteFn);
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params -- end(cb) carries no chunk
  if (ex && !ended && typeof arguments[0] !== 'function') addClientRequestChunk(ex, this, arguments[0], arguments[1]);
  return result;
}

function addClientRequestChunk(ex: ClientExchange, req: ClientRequest, chunk: unknown, encoding: unknown): void {
  try {
    if (chunk === undefined || chunk === null || ex.requestBody === null) return;
    if (ex.requestBody === undefined) {
      const start = startOutgoingBodyCapture(req, ex.context);
      if (!start) {
        ex.requestBody = null;
        return;
      }
      ex.requestBody = start.capture;
      ex.requestContentType = start.contentType;
    }
    ex.requestBody.add(chunk, typeof encoding === 'string' ? encoding : undefined);
  } catch (err) {
    ex.requestBody = null;
    reportHookError('http client request body observer', err);
  }
}

// ---- client response body (incoming) ----------------------------------------------------------

export function observeClientResponseBody(res: IncomingMessage, ex: ClientExchange): void {
  ex.resEmit = res.emit as EmitFn;
  res.emit = clientResponseEmit as typeof res.emit;
  attachExchange(res, ex);
}

function clientResponseEmit(this: IncomingMessage, event: string | symbol, chunk?: unknown): boolean {
  const ex = clientExchangeOf(this);
  if (ex && event === 'data') {
    try {
      ex.responseBody?.add(chunk, this.readableEncoding ?? undefined);
    } catch (err) {
      reportHookError('http client response body observer', err);
    }
  }
  const original = ex?.resEmit ?? IncomingMessage.prototype.emit;
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  return original.apply(this, arguments as unknown as Parameters<EmitFn>);
}
