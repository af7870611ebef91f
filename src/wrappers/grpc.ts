/**
 * CKGrpcInstrumentation: the unmodified upstream `GrpcInstrumentation` (it creates the client and
 * server spans) plus ck-agent's own shimmer patches on `@grpc/grpc-js`, because upstream has no
 * hooks at all. Behaviour: shared/spec/data-capture.md and graph-path.md; usage: docs/grpc.md.
 *
 * Patch points (all in GrpcGapPatcher, an InstrumentationBase of our own so it hooks the module
 * exactly like upstream does, on require, and unpatches on disable):
 *
 * Server — `Server.prototype.register`, wrapped AFTER upstream's wrapper (ours is outermost).
 *   Upstream's register wraps `handlers.get(name).func` with a function that starts the server
 *   span and calls the handler inside `context.with(span)`. Ours adds two layers around that:
 *     outer (wraps the registered func after upstream did): runs before upstream for each call,
 *       creates the per-call state, subscribes to the call's end events before upstream does (so
 *       attributes land before upstream ends the span), and keeps the trailers/flags that
 *       upstream's unary callback drops (it calls `callback(err, value)` only);
 *     inner (the handler as passed down to upstream's register): runs inside upstream's span
 *       context, finds that span, enters the service (GRPC_SERVICE element, ck-route), captures,
 *       runs the filters, then calls the app's handler.
 *   Order: upstream.enable() runs before patchGaps() (base.ts), so upstream's require hook and
 *   its register wrapper come first and ours wraps it. Disable unpatches in reverse order.
 *
 * Client — `getInterceptingCall` of grpc-js's client-interceptors module: the single function
 *   every Client request method (makeUnaryRequest & co., which all clients from Client,
 *   makeClientConstructor, makeGenericClientConstructor and loadPackageDefinition use) calls to
 *   build the interceptor chain. We append one interceptor, innermost, so it sees the final
 *   metadata and messages. It is created synchronously inside upstream's
 *   `context.with(clientSpan)`, so the active span is upstream's client span.
 *
 * Loaded before enable(): require hooks cannot see a module that is already loaded. patchGaps()
 * then finds loaded copies of @grpc/grpc-js in the require cache and applies both upstream's and
 * our patches to them directly. Servers and clients created before enable() stay unpatched.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
  type Instrumentation,
} from '@opentelemetry/instrumentation';
import { GrpcInstrumentation, type GrpcInstrumentationConfig } from '@opentelemetry/instrumentation-grpc';
import { errorMonitor } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import * as shimmer from 'shimmer';
import type { CKAgent } from '../agent';
import { CK_ROUTE_HEADER, grpcServiceElement } from '../graph';
import type { GraphElement } from '../graph/types';
import { captureWanted } from '../helpers/capture-policy';
import { evaluateBodyAndHeaders, evaluateUrlAndHeaders, hasBodyFilters, hasUrlFilters } from '../helpers/filters';
import { enterService, outgoingRoute } from '../helpers/path-entry';
import { Redactor } from '../helpers/redaction';
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_REQUEST_BODY,
  ATTR_RPC_REQUEST_METADATA_PREFIX,
  ATTR_RPC_RESPONSE_BODY,
  ATTR_RPC_RESPONSE_METADATA_PREFIX,
  MessageCapture,
  isMetadata,
  metadataHeaders,
  rpcCaptureSettings,
  setBodyAttribute,
  setMetadataAttributes,
  singleMetadataValue,
  type MetadataLike,
  type RpcCaptureSettings,
} from '../helpers/rpc-capture';
import { messageJson } from '../helpers/rpc-json';
import { describeError, logger } from '../logger';
import { CKSpan } from '../trace';
import { CKInstrumentation } from './base';


export type CKGrpcInstrumentationConfig = GrpcInstrumentationConfig;

const GRPC_MODULE = '@grpc/grpc-js';
const SUPPORTED_VERSIONS = ['^1.0.0'];
const INTERCEPTORS_FILE = '@grpc/grpc-js/build/src/client-interceptors.js';

const STATUS_OK = 0;
const STATUS_CANCELLED = 1;
const STATUS_UNKNOWN = 2;
const STATUS_DEADLINE_EXCEEDED = 4;
const STATUS_PERMISSION_DENIED = 7;

export class CKGrpcInstrumentation extends CKInstrumentation<CKGrpcInstrumentationConfig> {
  readonly libraryName = 'grpc';
  private gap: GrpcGapPatcher | undefined;

  protected createUpstream(_agent: CKAgent, userConfig: CKGrpcInstrumentationConfig): Instrumentation {
    return new GrpcInstrumentation({ ...userConfig, enabled: false });
  }

  protected override patchGaps(agent: CKAgent): void {
    this.gap ??= new GrpcGapPatcher();
    this.gap.activate(agent);
    this.gap.enable();
    if (this.upstream) patchPreloadedGrpc(this.upstream, this.gap);
  }

  protected override unpatchGaps(): void {
    this.gap?.deactivate();
    this.gap?.disable();
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal shapes of the grpc-js objects we touch (no type dependency on grpc-js).

type HandlerType = 'unary' | 'clientStream' | 'serverStream' | 'bidi';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => unknown;

interface HandlerSet {
  func: AnyFn;
  type: string;
  path: string;
}

interface ServerLike {
  handlers?: Map<string, HandlerSet>;
}

interface GrpcModule {
  Server: { prototype: { register: AnyFn } };
}

interface InterceptorsModule {
  getInterceptingCall: AnyFn;
  InterceptingCall: new (nextCall: unknown, requester?: unknown) => unknown;
}

interface InterceptorArgs {
  clientInterceptors: unknown[];
  clientInterceptorProviders: unknown[];
  callInterceptors: unknown[];
  callInterceptorProviders: unknown[];
}

interface ServerCall {
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

const STATE = Symbol('ck-agent.grpc.server-call');

/** What a registered method needs per call, computed once at register time. */
interface MethodInfo {
  path: string;
  type: HandlerType;
  element: GraphElement;
  spanName: string;
}

function handlerType(type: unknown): HandlerType | undefined {
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

function splitPath(name: string): { service: string; method: string } {
  const parts = name.replace(/^\//, '').split('/');
  const service = parts.shift() || '';
  return { service, method: parts.join('/') };
}

/** A gRPC code from an error the app passes / emits (grpc-js: integer `code`, else UNKNOWN). */
function errorCode(err: unknown): number {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : STATUS_UNKNOWN;
}

function setGrpcStatus(span: Span, code: number, message?: string): void {
  span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
  if (code !== STATUS_OK) span.setStatus(message ? { code: SpanStatusCode.ERROR, message } : { code: SpanStatusCode.ERROR });
}

function permissionDenied(): Error & { code: number; details: string } {
  return Object.assign(new Error('Permission denied'), { code: STATUS_PERMISSION_DENIED, details: 'Permission denied' });
}

// ---------------------------------------------------------------------------------------------
// The patcher

export class GrpcGapPatcher extends InstrumentationBase {
  /** Set while the CK instrumentation is enabled; wrappers left on live objects pass through otherwise. */
  agent: CKAgent | undefined;
  settings: RpcCaptureSettings | undefined;
  redactor: Redactor | undefined;
  applyRedactionToFilters = false;
  maxProcessingBytes = 0;
  private interceptingCallClass: InterceptorsModule['InterceptingCall'] | undefined;

  constructor() {
    super('ck-agent-grpc-gaps', '0.1.0', { enabled: false });
  }

  activate(agent: CKAgent): void {
    this.agent = agent;
    this.redactor = new Redactor(agent.config.redaction);
    this.settings = rpcCaptureSettings(agent.config, this.redactor);
    this.applyRedactionToFilters = agent.config.redaction.applyToFilters;
    this.maxProcessingBytes = agent.config.dataCapture.bodyMaxProcessingSizeBytes;
  }

  deactivate(): void {
    this.agent = undefined;
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        GRPC_MODULE,
        SUPPORTED_VERSIONS,
        (exports: GrpcModule) => this.patchMain(exports),
        (exports: GrpcModule | undefined) => this.unpatchMain(exports),
        [
          new InstrumentationNodeModuleFile(
            INTERCEPTORS_FILE,
            SUPPORTED_VERSIONS,
            (exports: InterceptorsModule) => this.patchInterceptors(exports),
            (exports: InterceptorsModule | undefined) => this.unpatchInterceptors(exports)
          ),
        ]
      ),
    ];
  }

  // shimmer directly, not this._wrap: InstrumentationBase._wrap first unwraps whatever wrapper is
  // there, which would remove upstream's register wrapper instead of stacking on it.

  /** @internal patches a module found already loaded (see patchPreloadedGrpc). */
  patchMain(exports: GrpcModule): GrpcModule {
    try {
      const proto = exports.Server.prototype;
      if (!isOurs(proto.register)) {
        shimmer.wrap(proto, 'register', (original: AnyFn) => markOurs(this.makeRegister(original)));
      }
    } catch (err) {
      logger.warn(`grpc: could not patch Server.register: ${describeError(err)}`);
    }
    return exports;
  }

  unpatchMain(exports: GrpcModule | undefined): void {
    const proto = exports?.Server?.prototype;
    // Only when ours is on top: unwrapping restores the function below the top wrapper. A wrapper
    // stacked later by someone else stays, and ours under it passes through (agent unset).
    if (proto && isOurs(proto.register)) shimmer.unwrap(proto, 'register');
  }

  patchInterceptors(exports: InterceptorsModule): InterceptorsModule {
    try {
      this.interceptingCallClass = exports.InterceptingCall;
      if (!isOurs(exports.getInterceptingCall)) {
        shimmer.wrap(exports, 'getInterceptingCall', (original: AnyFn) => markOurs(this.makeGetInterceptingCall(original)));
      }
    } catch (err) {
      logger.warn(`grpc: could not patch the client interceptor chain: ${describeError(err)}`);
    }
    return exports;
  }

  unpatchInterceptors(exports: InterceptorsModule | undefined): void {
    if (exports && isOurs(exports.getInterceptingCall)) shimmer.unwrap(exports, 'getInterceptingCall');
  }

  // ---- server -------------------------------------------------------------------------------

  private makeRegister(original: AnyFn): AnyFn {
    const patcher = this;
    return function register(this: ServerLike, name: unknown, handler: unknown, ...rest: unknown[]) {
      const type = handlerType(rest[2]);
      if (typeof name !== 'string' || typeof handler !== 'function' || type === undefined) {
        return original.call(this, name, handler, ...rest);
      }
      const { service, method } = splitPath(name);
      const info: MethodInfo = {
        path: name,
        type,
        element: grpcServiceElement(service, method),
        spanName: `grpc.${name.replace('/', '')}`,
      };
      const result = original.call(this, name, patcher.innerHandler(handler as AnyFn, info), ...rest);
      if (result === false) return result; // duplicate name: nothing was registered
      try {
        const handlerSet = this.handlers?.get(name);
        if (handlerSet && typeof handlerSet.func === 'function') handlerSet.func = patcher.outerHandler(handlerSet.func, info);
      } catch (err) {
        logger.once('warn', 'grpc-outer-handler', `grpc: could not wrap a registered handler: ${describeError(err)}`);
      }
      return result;
    };
  }

  /** Runs before upstream's span wrapper for each call (see the file comment). */
  private outerHandler(func: AnyFn, info: MethodInfo): AnyFn {
    const patcher = this;
    return function ckOuterHandler(this: unknown, call: ServerCall, callback: unknown) {
      if (!patcher.agent || !call || typeof call !== 'object' || typeof call.on !== 'function') {
        return func.call(this, call, callback);
      }
      let state: ServerCallState | undefined;
      try {
        state = new ServerCallState(patcher, info);
        call[STATE] = state;
        if (info.type === 'serverStream' || info.type === 'bidi') {
          call.on(errorMonitor, onServerStreamError);
          call.on('finish', onServerStreamFinish);
        } else if (typeof callback === 'function') {
          state.respond = callback as AnyFn;
          callback = state.finalRespond.bind(state);
        }
        call.on('cancelled', onServerCallCancelled);
      } catch (err) {
        logger.once('warn', 'grpc-outer-call', `grpc: server call setup failed: ${describeError(err)}`);
      }
      return func.call(this, call, callback);
    };
  }

  /** The app's handler as registered with upstream: runs inside upstream's span context. */
  private innerHandler(handler: AnyFn, info: MethodInfo): AnyFn {
    const patcher = this;
    return function ckInnerHandler(this: unknown, call: ServerCall, callback: unknown) {
      const state = call && typeof call === 'object' ? call[STATE] : undefined;
      const span = state && patcher.agent ? activeServerSpan(info.spanName) : undefined;
      if (!state || !span) return handler.call(this, call, callback);
      let appCallback = callback;
      try {
        state.span = span;
        if (typeof callback === 'function') {
          state.upstreamCallback = callback as AnyFn;
          appCallback = state.appCallback.bind(state);
        }
        if (state.start(call) === 'blocked') {
          state.deny(call, appCallback);
          return undefined;
        }
      } catch (err) {
        logger.once('warn', 'grpc-inner-call', `grpc: server call observation failed: ${describeError(err)}`);
      }
      try {
        return handler.call(this, call, appCallback);
      } catch (err) {
        // grpc-js answers UNKNOWN and never calls back; upstream would leave the span open.
        try {
          state.fail(STATUS_UNKNOWN, err);
        } catch {
          // the app's own error is what propagates
        }
        throw err;
      }
    };
  }

  // ---- client -------------------------------------------------------------------------------

  private makeGetInterceptingCall(original: AnyFn): AnyFn {
    const patcher = this;
    return function getInterceptingCall(this: unknown, interceptorArgs: InterceptorArgs, methodDefinition: unknown, ...rest: unknown[]) {
      // Decided here, in the caller's context (interceptors are built synchronously inside this
      // call, within upstream's client span): a call with nothing to do gets no interceptor.
      const observer = patcher.agent ? patcher.observeClientCall(methodDefinition) : undefined;
      let args = interceptorArgs;
      if (observer) {
        try {
          args = withInterceptor(interceptorArgs, observer.interceptor());
        } catch {
          args = interceptorArgs;
        }
      }
      return original.call(this, args, methodDefinition, ...rest);
    };
  }

  /** An observer for the call about to start, or undefined when there is nothing to inject or capture. */
  private observeClientCall(methodDefinition: unknown): ClientCallObserver | undefined {
    const agent = this.agent;
    const InterceptingCall = this.interceptingCallClass;
    if (!agent || !InterceptingCall || !this.settings) return undefined;
    try {
      const ctx = context.active();
      const route = outgoingRoute(ctx);
      const active = trace.getSpan(ctx);
      const span = active instanceof CKSpan && active.kind === SpanKind.CLIENT && !active.ended ? active : undefined;
      const capture = span !== undefined && captureWanted(agent, span);
      if (route === undefined && !capture) return undefined;
      const definition = methodDefinition as { requestStream?: boolean; responseStream?: boolean } | undefined;
      return new ClientCallObserver(
        InterceptingCall,
        this.settings,
        route,
        capture ? span : undefined,
        !!definition?.requestStream,
        !!definition?.responseStream
      );
    } catch (err) {
      logger.once('warn', 'grpc-client-call', `grpc: client call observation failed: ${describeError(err)}`);
      return undefined;
    }
  }
}

const OURS = Symbol('ck-agent.grpc.wrapper');

function markOurs<T extends AnyFn>(fn: T): T {
  (fn as T & { [OURS]?: boolean })[OURS] = true;
  return fn;
}

function isOurs(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [OURS]?: boolean })[OURS] === true;
}

/** Adds the CK interceptor last (innermost), keeping grpc-js's rules about the four lists. */
function withInterceptor(args: InterceptorArgs, interceptor: AnyFn): InterceptorArgs {
  const provider = (): AnyFn => interceptor;
  if (args.callInterceptors.length > 0) {
    // Call interceptors replace client interceptors; providers alongside them would be an error.
    if (args.callInterceptorProviders.length > 0) return args;
    return { ...args, callInterceptors: [...args.callInterceptors, interceptor] };
  }
  if (args.callInterceptorProviders.length > 0) {
    return { ...args, callInterceptorProviders: [...args.callInterceptorProviders, provider] };
  }
  if (args.clientInterceptors.length > 0 && args.clientInterceptorProviders.length > 0) return args; // grpc-js throws
  if (args.clientInterceptorProviders.length > 0) {
    return { ...args, clientInterceptorProviders: [...args.clientInterceptorProviders, provider] };
  }
  return { ...args, clientInterceptors: [...args.clientInterceptors, interceptor] };
}

/** Upstream's server span for this call: the active CK SERVER span with the call's span name. */
function activeServerSpan(spanName: string): CKSpan | undefined {
  const span = trace.getSpan(context.active());
  if (!(span instanceof CKSpan) || span.kind !== SpanKind.SERVER || span.ended) return undefined;
  return span.name === spanName ? span : undefined;
}

// ---------------------------------------------------------------------------------------------
// Server call state (one object per call; listeners are shared functions reading call[STATE])

class ServerCallState {
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
    private readonly patcher: GrpcGapPatcher,
    readonly info: MethodInfo
  ) {}

  get settings(): RpcCaptureSettings | undefined {
    return this.patcher.settings;
  }

  /** Entry element, capture set-up, filters. Returns 'blocked' when a filter blocked the call. */
  start(call: ServerCall): 'ok' | 'blocked' {
    const span = this.span as CKSpan;
    const patcher = this.patcher;
    const agent = patcher.agent as CKAgent;
    const settings = patcher.settings as RpcCaptureSettings;
    enterService(span, this.info.element, singleMetadataValue(call.metadata, CK_ROUTE_HEADER), () =>
      agent.metrics.countInvalidRoute()
    );
    if (!captureWanted(agent, span)) return 'ok';

    const type = this.info.type;
    const unaryRequest = type === 'unary' || type === 'serverStream';
    const unaryResponse = type === 'unary' || type === 'clientStream';
    if (settings.requestMetadata) setMetadataAttributes(span, ATTR_RPC_REQUEST_METADATA_PREFIX, call.metadata, settings.redactor);
    if (settings.requestBody) {
      if (unaryRequest) {
        const capture = new MessageCapture(settings.maxBodyBytes, settings.redactKey, false);
        capture.add(call.request);
        setBodyAttribute(span, ATTR_RPC_REQUEST_BODY, capture);
      } else if (typeof call.push === 'function') {
        this.request = new MessageCapture(settings.maxBodyBytes, settings.redactKey, true);
        this.originalPush = call.push;
        call.push = capturingPush;
      }
    }
    if (settings.responseBody) {
      this.response = new MessageCapture(settings.maxBodyBytes, settings.redactKey, !unaryResponse);
      if (!unaryResponse && typeof call.write === 'function') {
        this.originalWrite = call.write;
        call.write = capturingWrite;
      }
    }
    if (settings.responseMetadata && typeof call.sendMetadata === 'function') {
      this.captureResponseMetadata = true;
      this.originalSendMetadata = call.sendMetadata;
      call.sendMetadata = capturingSendMetadata;
    }

    if (hasUrlFilters() || (unaryRequest && hasBodyFilters())) return this.runFilters(call, unaryRequest);
    return 'ok';
  }

  private runFilters(call: ServerCall, bodyStage: boolean): 'ok' | 'blocked' {
    const span = this.span as CKSpan;
    const patcher = this.patcher;
    const redactor = patcher.applyRedactionToFilters ? patcher.redactor : undefined;
    const headers = metadataHeaders(call.metadata, redactor);
    if (evaluateUrlAndHeaders(span, this.info.path, headers, 'rpc').blocked) return 'blocked';
    if (bodyStage && hasBodyFilters()) {
      const body = messageJson(call.request, patcher.maxProcessingBytes, redactor ? patcher.settings?.redactKey : undefined).text;
      if (evaluateBodyAndHeaders(span, headers, body, 'rpc').blocked) return 'blocked';
    }
    return 'ok';
  }

  /** Answers a blocked call with PERMISSION_DENIED without running the handler. */
  deny(call: ServerCall, appCallback: unknown): void {
    if (typeof appCallback === 'function') {
      appCallback(permissionDenied());
    } else if (typeof call.emit === 'function') {
      // grpc-js stream calls turn an 'error' event into the call's status.
      call.emit('error', permissionDenied());
    }
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
        logger.once('warn', 'grpc-server-complete', `grpc: server call completion failed: ${describeError(e)}`);
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
    const settings = this.patcher.settings;
    if (settings) {
      if (this.request) setBodyAttribute(span, ATTR_RPC_REQUEST_BODY, this.request);
      if (this.response) setBodyAttribute(span, ATTR_RPC_RESPONSE_BODY, this.response);
      if (this.captureResponseMetadata && isMetadata(trailers)) {
        setMetadataAttributes(span, ATTR_RPC_RESPONSE_METADATA_PREFIX, trailers, settings.redactor);
      }
    }
    this.request = undefined;
    this.response = undefined;
    setGrpcStatus(span, code, message);
  }
}

// Shared listeners / method replacements: `this` is the grpc-js call object.

function onServerStreamError(this: ServerCall, err: unknown): void {
  const state = this[STATE];
  if (!state) return;
  try {
    state.completeStream(errorCode(err), (err as { metadata?: unknown } | null)?.metadata);
  } catch (e) {
    logger.once('warn', 'grpc-stream-error', `grpc: stream error handling failed: ${describeError(e)}`);
  }
}

function onServerStreamFinish(this: ServerCall): void {
  const state = this[STATE];
  if (!state) return;
  try {
    // What grpc-js's _final sends: the pending status (set by an 'error') and its trailers.
    const pending = this.pendingStatus;
    const code = typeof pending?.code === 'number' ? pending.code : STATUS_OK;
    state.completeStream(code, pending?.metadata ?? this.trailingMetadata);
  } catch (e) {
    logger.once('warn', 'grpc-stream-finish', `grpc: stream finish handling failed: ${describeError(e)}`);
  }
}

/**
 * grpc-js emits 'cancelled' after every call (also completed ones) and on client cancellation,
 * deadline and disconnect; only a call whose outcome was not recorded yet is ended here.
 */
function onServerCallCancelled(this: ServerCall): void {
  const state = this[STATE];
  if (!state || state.done) return;
  try {
    state.fail(deadlinePassed(this) ? STATUS_DEADLINE_EXCEEDED : STATUS_CANCELLED);
  } catch (e) {
    logger.once('warn', 'grpc-cancel', `grpc: cancellation handling failed: ${describeError(e)}`);
  }
}

function deadlinePassed(call: ServerCall): boolean {
  try {
    const deadline = typeof call.getDeadline === 'function' ? call.getDeadline() : undefined;
    const ms = deadline instanceof Date ? deadline.getTime() : typeof deadline === 'number' ? deadline : Infinity;
    // Timers may fire a millisecond early against Date.now().
    return Number.isFinite(ms) && Date.now() >= ms - 5;
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
    } catch {
      // capture is best effort
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
    } catch {
      // capture is best effort
    }
  }
  return original.apply(this, args);
}

function capturingSendMetadata(this: ServerCall, metadata: unknown): unknown {
  const state = this[STATE];
  const original = state?.originalSendMetadata as AnyFn;
  const span = state?.span;
  if (span && !span.ended && state?.captureResponseMetadata) {
    const settings = state.settings;
    try {
      if (settings) setMetadataAttributes(span, ATTR_RPC_RESPONSE_METADATA_PREFIX, metadata, settings.redactor);
    } catch {
      // capture is best effort
    }
  }
  return original.call(this, metadata);
}

// ---------------------------------------------------------------------------------------------
// Client call observer (one per call; the requester functions are its only closures)

interface Listener {
  onReceiveMetadata?(metadata: unknown, next: AnyFn): void;
  onReceiveMessage?(message: unknown, next: AnyFn): void;
  onReceiveStatus?(status: unknown, next: AnyFn): void;
}

class ClientCallObserver implements Listener {
  private readonly request: MessageCapture | undefined;
  private readonly response: MessageCapture | undefined;
  private recorded = false;

  constructor(
    private readonly InterceptingCall: InterceptorsModule['InterceptingCall'],
    private readonly settings: RpcCaptureSettings,
    private readonly route: string | undefined,
    /** Upstream's client span when its data is captured. */
    private readonly span: CKSpan | undefined,
    requestStream: boolean,
    responseStream: boolean
  ) {
    if (span) {
      if (settings.requestBody) this.request = new MessageCapture(settings.maxBodyBytes, settings.redactKey, requestStream);
      if (settings.responseBody) this.response = new MessageCapture(settings.maxBodyBytes, settings.redactKey, responseStream);
    }
  }

  /** The grpc-js interceptor for this one call. */
  interceptor(): AnyFn {
    return (options: unknown, nextCall: AnyFn) => new this.InterceptingCall(nextCall(options), this.requester());
  }

  requester(): { start: AnyFn; sendMessage?: AnyFn } {
    const start = (metadata: unknown, listener: unknown, next: AnyFn) => {
      let md = metadata;
      try {
        md = this.prepareMetadata(metadata);
      } catch (err) {
        logger.once('warn', 'grpc-client-start', `grpc: client metadata handling failed: ${describeError(err)}`);
      }
      next(md, this.span ? this.listener() : listener);
    };
    if (!this.request) return { start };
    const sendMessage = (message: unknown, next: AnyFn) => {
      try {
        this.request?.add(message);
      } catch {
        // capture is best effort
      }
      next(message);
    };
    return { start, sendMessage };
  }

  /** grpc-js copies listener methods off the object (losing `this`), hence closures. */
  private listener(): Listener {
    return {
      onReceiveMetadata: (metadata, next) => this.onReceiveMetadata(metadata, next),
      onReceiveMessage: (message, next) => this.onReceiveMessage(message, next),
      onReceiveStatus: (status, next) => this.onReceiveStatus(status, next),
    };
  }

  /** Injects ck-route (on a copy: the app's Metadata object is left as it was) and captures. */
  private prepareMetadata(metadata: unknown): unknown {
    let md = metadata;
    if (this.route !== undefined && isMetadata(md)) {
      const current = md.get(CK_ROUTE_HEADER);
      if (!(current.length === 1 && current[0] === this.route)) {
        const copy = (md as MetadataLike & { clone(): MetadataLike & { set(k: string, v: string): void } }).clone();
        copy.set(CK_ROUTE_HEADER, this.route);
        md = copy;
      }
    }
    if (this.span && this.settings.requestMetadata) {
      setMetadataAttributes(this.span, ATTR_RPC_REQUEST_METADATA_PREFIX, md, this.settings.redactor);
    }
    return md;
  }

  onReceiveMetadata(metadata: unknown, next: AnyFn): void {
    if (this.span && this.settings.responseMetadata && !this.span.ended) {
      try {
        setMetadataAttributes(this.span, ATTR_RPC_RESPONSE_METADATA_PREFIX, metadata, this.settings.redactor);
      } catch {
        // capture is best effort
      }
    }
    next(metadata);
  }

  onReceiveMessage(message: unknown, next: AnyFn): void {
    if (this.response) {
      try {
        this.response.add(message);
      } catch {
        // capture is best effort
      }
    }
    next(message);
  }

  onReceiveStatus(status: unknown, next: AnyFn): void {
    if (!this.recorded) {
      this.recorded = true;
      try {
        this.record(status as { code?: unknown; details?: unknown; metadata?: unknown });
      } catch (err) {
        logger.once('warn', 'grpc-client-status', `grpc: client status handling failed: ${describeError(err)}`);
      }
    }
    next(status);
  }

  private record(status: { code?: unknown; details?: unknown; metadata?: unknown }): void {
    const span = this.span;
    if (!span || span.ended) return;
    if (this.request) setBodyAttribute(span, ATTR_RPC_REQUEST_BODY, this.request);
    if (this.response) setBodyAttribute(span, ATTR_RPC_RESPONSE_BODY, this.response);
    if (this.settings.responseMetadata && isMetadata(status?.metadata)) {
      setMetadataAttributes(span, ATTR_RPC_RESPONSE_METADATA_PREFIX, status.metadata, this.settings.redactor);
    }
    const code = typeof status?.code === 'number' ? status.code : STATUS_UNKNOWN;
    setGrpcStatus(span, code, code !== STATUS_OK && typeof status?.details === 'string' ? status.details : undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// grpc-js loaded before enable()

/**
 * Require hooks only see modules loaded after enable(). For copies of @grpc/grpc-js already in
 * the require cache (resolved from ck-agent and from the app's working directory), require them
 * again through the hooked `require`: require-in-the-middle has not seen them yet, so it runs
 * upstream's and our hooks on the cached exports now, and remembers them, so a later
 * `require('@grpc/grpc-js')` by the app does not patch them a second time. Only if that did not
 * patch (no require hook active) are the definitions applied directly.
 */
function patchPreloadedGrpc(upstream: Instrumentation, gap: GrpcGapPatcher): void {
  for (const mainPath of loadedGrpcPaths()) {
    try {
      const exports = require.cache[mainPath]?.exports as GrpcModule | undefined;
      if (!exports?.Server?.prototype || isWrapped(exports.Server.prototype.register)) continue; // hooked already
      const interceptorsPath = path.join(path.dirname(mainPath), 'client-interceptors.js');
      require(mainPath);
      if (require.cache[interceptorsPath]) require(interceptorsPath);
      if (isOurs(exports.Server.prototype.register)) {
        logger.debug(`grpc: ${mainPath} was loaded before enable(); patched through the require hook`);
        continue;
      }
      const version = packageVersion(mainPath);
      const interceptors = require.cache[interceptorsPath]?.exports as InterceptorsModule | undefined;
      applyDefinitions(upstream, exports, version, interceptors);
      applyDefinitions(gap, exports, version, interceptors);
      logger.debug(`grpc: ${mainPath} was loaded before enable(); patched in place`);
    } catch (err) {
      logger.warn(`grpc: could not patch the already loaded @grpc/grpc-js: ${describeError(err)}`);
    }
  }
}

interface ModuleDefinitionLike {
  name: string;
  moduleExports?: unknown;
  moduleVersion?: string;
  patch?: (exports: unknown, version?: string) => unknown;
  files: Array<{ name: string; moduleExports?: unknown; patch: (exports: unknown, version?: string) => unknown }>;
}

function applyDefinitions(instrumentation: Instrumentation, exports: unknown, version: string | undefined, interceptors: unknown): void {
  const definitions = (instrumentation as unknown as { getModuleDefinitions?: () => ModuleDefinitionLike[] }).getModuleDefinitions?.() ?? [];
  for (const definition of definitions) {
    if (definition.name !== GRPC_MODULE || typeof definition.patch !== 'function') continue;
    definition.moduleExports = exports;
    definition.moduleVersion = version;
    definition.patch(exports, version);
    for (const file of definition.files ?? []) {
      if (interceptors && path.normalize(file.name) === path.normalize(INTERCEPTORS_FILE)) {
        file.moduleExports = interceptors;
        file.patch(interceptors, version);
      }
    }
  }
}

function loadedGrpcPaths(): string[] {
  const found = new Set<string>();
  for (const from of [__dirname, process.cwd()]) {
    try {
      const resolved = require.resolve(GRPC_MODULE, { paths: [from] });
      if (require.cache[resolved]?.loaded) found.add(resolved);
    } catch {
      // not installed there
    }
  }
  return [...found];
}

function packageVersion(mainPath: string): string | undefined {
  let dir = path.dirname(mainPath);
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === GRPC_MODULE) return pkg.version;
    } catch {
      // keep looking upwards
    }
    dir = path.dirname(dir);
  }
  return undefined;
}
