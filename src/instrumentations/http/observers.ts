/**
 * HTTP stream observers, hooking (docs/http-express.md, "Stream safety"): bodies are captured by
 * OBSERVING what the app itself reads and writes, never by consuming.
 * - Incoming bodies (server request, client response): the instance's `emit` is replaced and sees
 *   the 'data' chunks the application receives (flowing mode, read(), pipe and async iteration all
 *   emit 'data'); nothing is read early, no listener is added, so the stream's mode, backpressure
 *   and events are exactly what they would be without the agent. A server request body also runs
 *   the body-stage filters just before its 'end' reaches the app.
 * - Outgoing bodies (server response, client request): the instance's `write` / `end` are
 *   replaced; the original is called first with the same arguments and its return value returned.
 * One shared function per event kind, installed as own properties (no closure per request); each
 * finds its body on the instance. Any failure inside is reported through the guard and the call
 * goes through unchanged.
 */
import { IncomingMessage, OutgoingMessage } from 'http';
import { reportHookError } from '../guard';
import { serverExchangeOf, type EmitFn, type IncomingBody, type OutgoingBody, type WriteFn } from './exchange';
import { onServerRequestBodyEnd } from './server';

const INCOMING = Symbol('ck-agent.http.incoming-body');
const OUTGOING = Symbol('ck-agent.http.outgoing-body');

interface Observed {
  [INCOMING]?: IncomingBody;
  [OUTGOING]?: OutgoingBody;
}

type Writable = Record<string, unknown> & Observed;

// ---- incoming bodies ------------------------------------------------------------------------------

/** Observes the body the app reads from `message` (a server request or a client response). */
export function observeIncomingBody(message: IncomingMessage, body: IncomingBody): void {
  body.emit = message.emit as EmitFn;
  (message as IncomingMessage & Observed)[INCOMING] = body;
  message.emit = incomingEmit as typeof message.emit;
}

function incomingEmit(this: IncomingMessage & Observed, event: string | symbol, chunk?: unknown): boolean {
  const body = this[INCOMING];
  if (body) {
    try {
      if (event === 'data') {
        body.capture.add(chunk, this.readableEncoding ?? undefined);
      } else if (event === 'end') {
        // A server request: the body-stage filters run before the app sees the end.
        const ex = serverExchangeOf(this);
        if (ex && onServerRequestBodyEnd(ex, this)) return false; // blocked: swallowed
      }
    } catch (err) {
      reportHookError('http body observer', err);
    }
  }
  const original = body?.emit ?? IncomingMessage.prototype.emit;
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  return original.apply(this, arguments as unknown as Parameters<EmitFn>);
}

// ---- outgoing bodies ------------------------------------------------------------------------------

/** Observes the body the app writes to `message` (a server response or a client request). */
export function observeOutgoingBody(message: OutgoingMessage, body: OutgoingBody): void {
  const writable = message as unknown as Writable;
  body.write = writable.write as WriteFn;
  body.end = writable.end as WriteFn;
  writable[OUTGOING] = body;
  writable.write = outgoingWrite;
  writable.end = outgoingEnd;
}

function outgoingWrite(this: OutgoingMessage & Observed): unknown {
  const body = this[OUTGOING];
  const ended = this.writableEnded;
  const original = body?.write ?? (Object.getPrototypeOf(this) as { write: WriteFn }).write;
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params -- the chunk and encoding as the app passed them
  if (body && !ended) addChunk(body, this, arguments[0], arguments[1]);
  return result;
}

function outgoingEnd(this: OutgoingMessage & Observed): unknown {
  const body = this[OUTGOING];
  const ended = this.writableEnded;
  const original = body?.end ?? (Object.getPrototypeOf(this) as { end: WriteFn }).end;
  // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
  const result = original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params -- end(cb) carries no chunk
  if (body && !ended && typeof arguments[0] !== 'function') addChunk(body, this, arguments[0], arguments[1]);
  return result;
}

function addChunk(body: OutgoingBody, message: OutgoingMessage, chunk: unknown, encoding: unknown): void {
  try {
    body.add(message, chunk, encoding);
  } catch (err) {
    body.capture = null;
    reportHookError('http body observer', err);
  }
}
