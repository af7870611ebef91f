/**
 * The per-request state the HTTP hooks and stream observers share (one object per request, created
 * only when captured data has a consumer), and the recording helpers both sides use.
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'http';
import type { Span } from '@opentelemetry/api';
import { BodyCapture, parseContentEncoding } from '../../capture/body-capture';
import type { InstrumentationContext } from '../../capture/context';
import { isCapturableContentType } from '../../capture/content-type';
import { ATTR_CK_CAPTURE_TRUNCATED } from '../../semconv';
import { outgoingHeader, type OutgoingLike } from './headers';

export const EXCHANGE = Symbol('ck-agent.http.exchange');

export type EmitFn = (event: string | symbol, ...args: unknown[]) => boolean;
export type WriteFn = (...args: unknown[]) => unknown;

/** Request/response objects carry their exchange under EXCHANGE. */
export interface ExchangeCarrier {
  [EXCHANGE]?: ServerExchange | ClientExchange;
}

/** State of one incoming request. */
export class ServerExchange {
  res: ServerResponse | undefined;
  blocked = false;
  bodyStageDone = false;
  requestBody: BodyCapture | undefined;
  requestContentType: string | undefined;
  /** undefined: not decided yet (first chunk decides); null: not captured. */
  responseBody: BodyCapture | null | undefined;
  responseContentType: string | undefined;
  /** The instance methods the observers replaced (called through, unchanged). */
  reqEmit: EmitFn | undefined;
  resWrite: WriteFn | undefined;
  resEnd: WriteFn | undefined;

  constructor(
    readonly span: Span,
    readonly context: InstrumentationContext
  ) {}
}

/** State of one outgoing request. */
export class ClientExchange {
  /** undefined: not decided yet (first chunk decides); null: not captured. */
  requestBody: BodyCapture | null | undefined;
  requestContentType: string | undefined;
  responseBody: BodyCapture | undefined;
  responseContentType: string | undefined;
  reqWrite: WriteFn | undefined;
  reqEnd: WriteFn | undefined;
  resEmit: EmitFn | undefined;

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

/**
 * A BodyCapture for a body this process writes (server response, client request), decided from
 * the headers already set on the outgoing message; null when its content type is not captured.
 */
export function startOutgoingBodyCapture(
  message: OutgoingLike,
  context: InstrumentationContext
): { capture: BodyCapture; contentType: string | undefined } | null {
  const contentType = outgoingHeader(message, 'content-type');
  if (!isCapturableContentType(contentType, context.allowedContentTypes)) return null;
  const encodingHeader = outgoingHeader(message, 'content-encoding');
  return { capture: new BodyCapture(context.bodyLimits, parseContentEncoding(encodingHeader)), contentType };
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
