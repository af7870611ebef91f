/**
 * The per-request state the HTTP hooks and stream observers share (one object per request, created
 * only when captured data has a consumer), and the recording helpers both sides use.
 *
 * A body is an IncomingBody (server request, client response: chunks the app reads) or an
 * OutgoingBody (server response, client request: chunks the app writes, captured from the first
 * chunk on, once the headers that say what it is are committed). observers.ts feeds both.
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'http';
import type { Span } from '@opentelemetry/api';
import { BodyCapture, parseContentEncoding } from '../../capture/body-capture';
import type { InstrumentationContext } from '../../capture/context';
import { headerString, isCapturableContentType } from '../../capture/content-type';
import { ATTR_CK_CAPTURE_TRUNCATED } from '../../semconv';
import { outgoingHeader, type OutgoingLike } from './headers';

export const EXCHANGE = Symbol('ck-agent.http.exchange');

export type EmitFn = (event: string | symbol, ...args: unknown[]) => boolean;
export type WriteFn = (...args: unknown[]) => unknown;

/** Request/response objects carry their exchange under EXCHANGE. */
export interface ExchangeCarrier {
  [EXCHANGE]?: ServerExchange | ClientExchange;
}

/** A body the app reads ('data' events of an IncomingMessage). */
export class IncomingBody {
  /** The instance's emit the observer replaced (called through, unchanged). */
  emit: EmitFn | undefined;

  constructor(
    readonly capture: BodyCapture,
    readonly contentType: string | undefined
  ) {}
}

/** A body the app writes (write/end of an OutgoingMessage). */
export class OutgoingBody {
  /** undefined: not decided yet (the first chunk decides); null: not captured. */
  capture: BodyCapture | null | undefined;
  contentType: string | undefined;
  /** The instance's write/end the observer replaced (called through, unchanged). */
  write: WriteFn | undefined;
  end: WriteFn | undefined;

  constructor(
    readonly context: InstrumentationContext,
    /** A server response: nothing is captured once blocked, nor for HEAD / 204 / 304. */
    readonly response: ServerExchange | undefined
  ) {}

  /** Adds a chunk the app wrote to `message` (after the original write/end ran). */
  add(message: OutgoingLike, chunk: unknown, encoding: unknown): void {
    if (chunk === undefined || chunk === null || this.capture === null || this.response?.blocked) return;
    if (this.capture === undefined) {
      const res = message as unknown as ServerResponse;
      if (this.response && responseHasNoBody(res.req?.method, res.statusCode)) {
        this.capture = null;
        return;
      }
      // Decided at the first chunk, after the original call: headers are committed by then.
      const contentType = outgoingHeader(message, 'content-type');
      if (!isCapturableContentType(contentType, this.context.allowedContentTypes)) {
        this.capture = null;
        return;
      }
      this.capture = new BodyCapture(this.context.bodyLimits, parseContentEncoding(outgoingHeader(message, 'content-encoding')));
      this.contentType = contentType;
    }
    this.capture.add(chunk, typeof encoding === 'string' ? encoding : undefined);
  }
}

/** State of one incoming request. */
export class ServerExchange {
  res: ServerResponse | undefined;
  blocked = false;
  bodyStageDone = false;
  request: IncomingBody | undefined;
  response: OutgoingBody | undefined;

  constructor(
    readonly span: Span,
    readonly context: InstrumentationContext
  ) {}
}

/** State of one outgoing request. */
export class ClientExchange {
  request: OutgoingBody | undefined;
  response: IncomingBody | undefined;

  constructor(
    readonly span: Span,
    readonly context: InstrumentationContext
  ) {}
}

export function serverExchangeOf(carrier: unknown): ServerExchange | undefined {
  const ex = (carrier as ExchangeCarrier | undefined)?.[EXCHANGE];
  return ex instanceof ServerExchange ? ex : undefined;
}

export function clientExchangeOf(carrier: unknown): ClientExchange | undefined {
  const ex = (carrier as ExchangeCarrier | undefined)?.[EXCHANGE];
  return ex instanceof ClientExchange ? ex : undefined;
}

export function attachExchange(carrier: IncomingMessage | ServerResponse | ClientRequest, ex: ServerExchange | ClientExchange): void {
  (carrier as unknown as ExchangeCarrier)[EXCHANGE] = ex;
}

/** Responses that carry no body on the wire whatever the app writes. */
export function responseHasNoBody(method: string | undefined, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** An IncomingBody for a message whose headers say its body is captured, else undefined. */
export function incomingBody(context: InstrumentationContext, message: IncomingMessage): IncomingBody | undefined {
  const contentType = headerString(message.headers['content-type']);
  if (!isCapturableContentType(contentType, context.allowedContentTypes)) return undefined;
  return new IncomingBody(new BodyCapture(context.bodyLimits, parseContentEncoding(message.headers['content-encoding'])), contentType);
}

/** Collects body attributes and which of them were cut, then writes `ck.capture.truncated`. */
export class BodyAttributes {
  private truncated: string[] | undefined;

  constructor(
    private readonly span: Span,
    private readonly context: InstrumentationContext
  ) {}

  set(attribute: string, body: BodyCapture | null | undefined, contentType: string | undefined): this {
    if (!body) return this;
    const result = body.result(this.context.redactor, contentType);
    if (!result) return this;
    this.span.setAttribute(attribute, result.value);
    if (result.truncated) (this.truncated ??= []).push(attribute);
    return this;
  }

  finish(): void {
    if (this.truncated) this.span.setAttribute(ATTR_CK_CAPTURE_TRUNCATED, this.truncated);
  }
}
