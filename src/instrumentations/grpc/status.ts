/**
 * gRPC status codes and call descriptors shared by the gRPC server and client observers
 * (server-call.ts, client-call.ts) and the module patch (patch.ts): the status codes we set, how
 * a code is read from an app error and written on a span, and the per-method info computed at
 * register time.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { STATUS_PERMISSION_DENIED } from '../../filters/grpc-deny';
import { ATTR_RPC_GRPC_STATUS_CODE } from '../../semconv';

export const STATUS_OK = 0;
export const STATUS_CANCELLED = 1;
export const STATUS_UNKNOWN = 2;
export const STATUS_DEADLINE_EXCEEDED = 4;
export { STATUS_PERMISSION_DENIED };

// Minimal shapes of the grpc-js objects we touch (no type dependency on grpc-js).

export type HandlerType = 'unary' | 'clientStream' | 'serverStream' | 'bidi';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => unknown;

/** What a registered method needs per call, computed once at register time. */
export interface MethodInfo {
  path: string;
  type: HandlerType;
  spanName: string;
}

export function handlerType(type: unknown): HandlerType | undefined {
  switch (type) {
    case 'unary':
    case 'clientStream':
    case 'serverStream':
    case 'bidi':
      return type;
    case 'client_stream':
      return 'clientStream';
    case 'server_stream':
      return 'serverStream';
    default:
      return undefined;
  }
}

export function splitPath(name: string): { service: string; method: string } {
  const parts = name.replace(/^\//, '').split('/');
  const service = parts.shift() || '';
  return { service, method: parts.join('/') };
}

/** A gRPC code from an error the app passes / emits (grpc-js: integer `code`, else UNKNOWN). */
export function errorCode(err: unknown): number {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : STATUS_UNKNOWN;
}

export function setGrpcStatus(span: Span, code: number, message?: string): void {
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
  if (code !== STATUS_OK) span.setStatus(message ? { code: SpanStatusCode.ERROR, message } : { code: SpanStatusCode.ERROR });
}
