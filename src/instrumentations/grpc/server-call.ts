/**
 * gRPC server calls → telemetry (recording; docs/grpc.md): the per-call state (ServerCallState)
 * and the shared listeners and method replacements grpc-js call objects get, which adopt the
 * incoming ck-route, capture metadata and messages, run the filters and record the call's status
 * on upstream's server span. The entry element (GRPC_SERVICE) was named when the span started.
 * The hooks that attach them live in patch.ts.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { InstrumentationContext } from '../../capture/context';
import { denyGrpcCall } from '../../filters/grpc-deny';
import { evaluateBodyAndHeaders, evaluateUrlAndHeaders, hasBodyFilters, hasUrlFilters } from '../../filters/registry';
import { adoptIncomingRoute, CK_ROUTE_HEADER } from '../../graph';
import {
  ATTR_RPC_REQUEST_BODY,
  ATTR_RPC_REQUEST_METADATA_PREFIX,
  ATTR_RPC_RESPONSE_BODY,
  ATTR_RPC_RESPONSE_METADATA_PREFIX,
} from '../../semconv';
import { CKSpan } from '../../trace';
import { reportHookError } from '../guard';
import { MessageCapture, isMetadata, metadataHeaders, setBodyAttribute, setMetadataAttributes, singleMetadataValue } from './capture';
import { messageJson } from './message-json';
import { STATUS_CANCELLED, STATUS_DEADLINE_EXCEEDED, STATUS_OK, errorCode, setGrpcStatus, type AnyFn, type MethodInfo } from './status';

// Minimal shape of the grpc-js server call we touch (no type dependency on grpc-js).

export interface ServerCall {
  metadata?: unknown;
  request?: unknown;
  push?: AnyFn;
  write?: AnyFn;
  sendMetadata?: AnyFn;
  getDeadline?: () => unknown;
  pendingStatus?: { code?: unknown; metadata?: unknown };
  trailingMetadata?: unknown;
  on?(event: string | symbol, listener: AnyFn): unknown;
  emit?(event: string | symbol, ...args: unknown[]): boolean;
  [STATE]?: ServerCallState;
}

export const STATE = Symbol('ck-agent.grpc.server-call');

/** Upstream's server span for this call: the active CK SERVER span with the call's span name. */
export function activeServerSpan(spanName: string): CKSpan | undefined {
  const span = trace.getSpan(context.active());
  if (!(span instanceof CKSpan) || span.kind !== SpanKind.SERVER || span.ended) return undefined;
  return span.name === spanName ? span : undefined;
}

// ---------------------------------------------------------------------------------------------
// Server call state (one object per call; listeners are shared functions reading call[STATE])

export class ServerCallState {
  span: CKSpan | undefined;
  /** grpc-js's own unary/client-stream callback. */
  respond: AnyFn | undefined;
  /** Upstream's span-ending callback, given to the inner layer. */
  upstreamCallback: AnyFn | undefined;
  /** Trailers and flags from the app's callback, re-attached after upstream dropped them. */
  trailer: unknown;
  flags: unknown;
  request: MessageCapture | undefined;
  response: MessageCapture | undefined;
  captureResponseMetadata = false;
  originalPush: AnyFn | undefined;
  originalWrite: AnyFn | undefined;
  originalSendMetadata: AnyFn | undefined;
  /** Set once the outcome was recorded (completion, failure or cancellation). */
  done = false;

  constructor(
    readonly context: InstrumentationContext,
    readonly info: MethodInfo
  ) {}

  /** Route adoption, capture set-up, filters. Returns 'blocked' when a filter blocked the call. */
  start(call: ServerCall): 'ok' | 'blocked' {
    const span = this.span as CKSpan;
    const ctx = this.context;
    adoptIncomingRoute(span, singleMetadataValue(call.metadata, CK_ROUTE_HEADER), () => ctx.countInvalidRoute());
    if (!ctx.captureWanted(span)) return 'ok';

    const type = this.info.type;
    const unaryRequest = type === 'unary' || type === 'serverStream';
    const unaryResponse = type === 'unary' || type === 'clientStream';
    const maxBytes = ctx.bodyLimits.maxBytes;
    if (ctx.rpc.metadata.request) setMetadataAttributes(span, ATTR_RPC_REQUEST_METADATA_PREFIX, call.metadata, ctx.redactor);
    if (ctx.rpc.body.request) {
      if (unaryRequest) {
        const capture = new MessageCapture(maxBytes, ctx.redactKey, false);
        capture.add(call.request);
        setBodyAttribute(span, ATTR_RPC_REQUEST_BODY, capture);
      } else if (typeof call.push === 'function') {
        this.request = new MessageCapture(maxBytes, ctx.redactKey, true);
        this.originalPush = call.push;
        call.push = capturingPush;
      }
    }
    if (ctx.rpc.body.response) {
      this.response = new MessageCapture(maxBytes, ctx.redactKey, !unaryResponse);
      if (!unaryResponse && typeof call.write === 'function') {
        this.originalWrite = call.write;
        call.write = capturingWrite;
      }
    }
    if (ctx.rpc.metadata.response && typeof call.sendMetadata === 'function') {
      this.captureResponseMetadata = true;
      this.originalSendMetadata = call.sendMetadata;
      call.sendMetadata = capturingSendMetadata;
    }

    if (hasUrlFilters() || (unaryRequest && hasBodyFilters())) return this.runFilters(call, unaryRequest);
    return 'ok';
  }

  private runFilters(call: ServerCall, bodyStage: boolean): 'ok' | 'blocked' {
    const span = this.span as CKSpan;
    const ctx = this.context;
    const redactor = ctx.redactForFilters ? ctx.redactor : undefined;
    const headers = metadataHeaders(call.metadata, redactor);
    if (evaluateUrlAndHeaders(span, this.info.path, headers, 'rpc').blocked) return 'blocked';
    if (bodyStage && hasBodyFilters()) {
      const body = messageJson(call.request, ctx.bodyLimits.maxProcessingBytes, redactor ? ctx.redactKey : undefined).text;
      if (evaluateBodyAndHeaders(span, headers, body, 'rpc').blocked) return 'blocked';
    }
    return 'ok';
  }

  /** Answers a blocked call with PERMISSION_DENIED without running the handler. */
  deny(call: ServerCall, appCallback: unknown): void {
    denyGrpcCall(call, appCallback);
  }

  /** The app's unary / client-stream callback: record, then hand over to upstream's callback. */
  appCallback(err: unknown, value?: unknown, trailer?: unknown, flags?: unknown): unknown {
    this.trailer = trailer;
    this.flags = flags;
    if (!this.done) {
      this.done = true;
      try {
        const span = this.span;
        if (span && !span.ended) {
          if (!err) this.response?.add(value);
          this.record(span, err ? errorCode(err) : STATUS_OK, trailer ?? (err as { metadata?: unknown } | null)?.metadata);
        }
      } catch (e) {
        reportHookError('grpc server call completion', e);
      }
    }
    return (this.upstreamCallback as AnyFn)(err, value);
  }

  /** Given to upstream instead of grpc-js's callback: puts the trailers and flags back. */
  finalRespond(err: unknown, value?: unknown, ...more: unknown[]): unknown {
    const trailer = more.length > 0 ? more[0] : this.trailer;
    const flags = more.length > 1 ? more[1] : this.flags;
    return (this.respond as AnyFn)(err, value, trailer, flags);
  }

  /** Stream end (finish / error) before upstream ends the span. */
  completeStream(code: number, trailers: unknown): void {
    if (this.done) return;
    this.done = true;
    const span = this.span;
    if (!span || span.ended) return;
    this.record(span, code, trailers);
  }

  /** Handler threw / call cancelled: upstream will not end the span, so we do. */
  fail(code: number, err?: unknown): void {
    if (this.done) return;
    this.done = true;
    const span = this.span;
    if (!span || span.ended) return;
    try {
      this.record(span, code, undefined, err instanceof Error ? err.message : undefined);
      if (err instanceof Error) span.setAttribute('rpc.grpc.error_message', err.message);
    } finally {
      span.end();
    }
  }

  private record(span: CKSpan, code: number, trailers: unknown, message?: string): void {
    if (this.request) setBodyAttribute(span, ATTR_RPC_REQUEST_BODY, this.request);
    if (this.response) setBodyAttribute(span, ATTR_RPC_RESPONSE_BODY, this.response);
    if (this.captureResponseMetadata && isMetadata(trailers)) {
      setMetadataAttributes(span, ATTR_RPC_RESPONSE_METADATA_PREFIX, trailers, this.context.redactor);
    }
    this.request = undefined;
    this.response = undefined;
    setGrpcStatus(span, code, message);
  }
}

// Shared listeners / method replacements: `this` is the grpc-js call object.

export function onServerStreamError(this: ServerCall, err: unknown): void {
  const state = this[STATE];
  if (!state) return;
  try {
    state.completeStream(errorCode(err), (err as { metadata?: unknown } | null)?.metadata);
  } catch (e) {
    reportHookError('grpc stream error handling failed', e);
  }
}

export function onServerStreamFinish(this: ServerCall): void {
  const state = this[STATE];
  if (!state) return;
  try {
    // What grpc-js's _final sends: the pending status (set by an 'error') and its trailers.
    const pending = this.pendingStatus;
    const code = typeof pending?.code === 'number' ? pending.code : STATUS_OK;
    state.completeStream(code, pending?.metadata ?? this.trailingMetadata);
  } catch (e) {
    reportHookError('grpc stream finish handling failed', e);
  }
}

/**
 * grpc-js emits 'cancelled' after every call (also completed ones) and on client cancellation,
 * deadline and disconnect; only a call whose outcome was not recorded yet is ended here.
 */
export function onServerCallCancelled(this: ServerCall): void {
  const state = this[STATE];
  if (!state || state.done) return;
  try {
    state.fail(deadlinePassed(this) ? STATUS_DEADLINE_EXCEEDED : STATUS_CANCELLED);
  } catch (e) {
    reportHookError('grpc cancellation handling failed', e);
  }
}

/**
 * Whether a cancellation is the call's deadline. The client's own deadline timer cancels the
 * stream (RST_STREAM carries no reason), usually a little before the server's deadline passes:
 * the server counted its deadline from when the request arrived. So a cancellation close to the
 * deadline counts as DEADLINE_EXCEEDED: within a quarter of the call's timeout, at least 50 ms
 * (transit delay on a loaded machine), at most 1 s. A real cancel that close to the deadline is
 * reported as a deadline too, which is the more useful reading for latency work.
 */
function deadlinePassed(call: ServerCall): boolean {
  try {
    const deadline = typeof call.getDeadline === 'function' ? call.getDeadline() : undefined;
    const ms = deadline instanceof Date ? deadline.getTime() : typeof deadline === 'number' ? deadline : Infinity;
    if (!Number.isFinite(ms)) return false;
    const start = call[STATE]?.span?.startTime;
    const startMs = start ? start[0] * 1e3 + start[1] / 1e6 : Date.now();
    const tolerance = Math.min(1000, Math.max(50, (ms - startMs) / 4));
    return Date.now() >= ms - tolerance;
  } catch {
    return false;
  }
}

function capturingPush(this: ServerCall, chunk: unknown, encoding?: unknown): unknown {
  const state = this[STATE];
  const original = state?.originalPush as AnyFn;
  if (state?.request && chunk !== null && chunk !== undefined) {
    try {
      state.request.add(chunk);
    } catch (err) {
      reportHookError('grpc request stream capture', err);
    }
  }
  return original.call(this, chunk, encoding);
}

function capturingWrite(this: ServerCall, ...args: unknown[]): unknown {
  const state = this[STATE];
  const original = state?.originalWrite as AnyFn;
  if (state?.response && !state.done) {
    try {
      state.response.add(args[0]);
    } catch (err) {
      reportHookError('grpc response stream capture', err);
    }
  }
  return original.apply(this, args);
}

function capturingSendMetadata(this: ServerCall, metadata: unknown): unknown {
  const state = this[STATE];
  const original = state?.originalSendMetadata as AnyFn;
  const span = state?.span;
  if (span && !span.ended && state?.captureResponseMetadata) {
    try {
      setMetadataAttributes(span, ATTR_RPC_RESPONSE_METADATA_PREFIX, metadata, state.context.redactor);
    } catch (err) {
      reportHookError('grpc response metadata capture', err);
    }
  }
  return original.call(this, metadata);
}
