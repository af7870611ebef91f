/**
 * Answering a gRPC call that a filter blocked (docs/grpc.md, "Filters"): status PERMISSION_DENIED
 * (7), the handler never runs.
 */
export const STATUS_PERMISSION_DENIED = 7;

export function permissionDenied(): Error & { code: number; details: string } {
  return Object.assign(new Error('Permission denied'), { code: STATUS_PERMISSION_DENIED, details: 'Permission denied' });
}

interface ErrorEmitter {
  emit?(event: string, ...args: unknown[]): boolean;
}

/**
 * Unary / client-stream calls answer through the app's callback; stream calls turn an 'error'
 * event into the call's status (grpc-js).
 */
export function denyGrpcCall(call: ErrorEmitter, appCallback: unknown): void {
  if (typeof appCallback === 'function') {
    (appCallback as (err: unknown) => void)(permissionDenied());
  } else if (typeof call.emit === 'function') {
    call.emit('error', permissionDenied());
  }
}
