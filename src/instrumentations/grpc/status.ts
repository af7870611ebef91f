/**
 * gRPC status codes and call descriptors shared by the gRPC server and client observers
 * (grpc-server-call.ts, grpc-client-call.ts) and the module patch (src/wrappers/grpc-gap-patch.ts):
 * the status codes we set, how a code is read from an app error and written on a span, the
 * PERMISSION_DENIED error a blocked call gets, and the per-method info computed at register time.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { GraphElement } from '../../graph/types';
import { ATTR_RPC_GRPC_STATUS_CODE } from './capture';

export const STATUS_OK = 0;
export const STATUS_CANCELLED = 1;
export const STATUS_UNKNOWN = 2;
export const STATUS_DEADLINE_EXCEEDED = 4;
export const STATUS_PERMISSION_DENIED = 7;

// Minimal shapes of the grpc-js objects we touch (no type dependency on grpc-js).

export type HandlerType = 'unary' | 'clientStream' | 'serverStream' | 'bidi';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => unknown;

/** What a registered method needs per call, computed once at register time. */
export interface MethodInfo {
  path: string;
  type: HandlerType;
  element: GraphElement;
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

export function permissionDenied(): Error & { code: number; details: string } {
  return Object.assign(new Error('Permission denied'), { code: STATUS_PERMISSION_DENIED, details: 'Permission denied' });
}
