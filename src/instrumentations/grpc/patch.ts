/**
 * The gap patch of CKGrpcInstrumentation, hooking (docs/grpc.md): ck-agent's own patches on
 * `@grpc/grpc-js`, because upstream `GrpcInstrumentation` has no hooks at all. This file only
 * hooks the module; what a call turns into (capture, ck-route, filters, status) is in
 * server-call.ts and client-call.ts.
 *
 * GrpcGapPatcher is an InstrumentationBase of our own, so it hooks the module exactly like
 * upstream does, on require (and, through the base class, when already loaded), and unpatches on
 * disable. Its wrappers pass calls straight through while it is disabled.
 *
 * Server — `Server.prototype.register`, wrapped AFTER upstream's wrapper (ours is outermost).
 *   Upstream's register wraps `handlers.get(name).func` with a function that starts the server
 *   span and calls the handler inside `context.with(span)`. Ours adds two layers around that:
 *     outer (wraps the registered func after upstream did): runs before upstream for each call,
 *       creates the per-call state, subscribes to the call's end events before upstream does (so
 *       attributes land before upstream ends the span), and keeps the trailers/flags that
 *       upstream's unary callback drops (it calls `callback(err, value)` only);
 *     inner (the handler as passed down to upstream's register): runs inside upstream's span
 *       context, finds that span, adopts ck-route, captures, runs the filters, then calls the
 *       app's handler.
 *   Order: the base class enables upstream before this patcher, so upstream's require hook and
 *   its register wrapper come first and ours wraps it. Disable unpatches in reverse order.
 *
 * Client — `getInterceptingCall` of grpc-js's client-interceptors module: the single function
 *   every Client request method (makeUnaryRequest & co., which all clients from Client,
 *   makeClientConstructor, makeGenericClientConstructor and loadPackageDefinition use) calls to
 *   build the interceptor chain. We append one interceptor, innermost, so it sees the final
 *   metadata and messages. It is created synchronously inside upstream's
 *   `context.with(clientSpan)`, so the active span is upstream's client span.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { errorMonitor } from 'events';
import type { InstrumentationContext } from '../../capture/context';
import { outgoingRoute } from '../../graph';
import { CKSpan } from '../../trace';
import { reportHookError } from '../guard';
import { unwrapMethod, wrapMethod } from '../upstream';
import { ClientCallObserver, type InterceptingCallClass } from './client-call';
import {
  STATE,
  ServerCallState,
  activeServerSpan,
  onServerCallCancelled,
  onServerStreamError,
  onServerStreamFinish,
  type ServerCall,
} from './server-call';
import { STATUS_UNKNOWN, handlerType, type AnyFn, type MethodInfo } from './status';

const GRPC_MODULE = '@grpc/grpc-js';
const SUPPORTED_VERSIONS = ['^1.0.0'];
const INTERCEPTORS_FILE = '@grpc/grpc-js/build/src/client-interceptors.js';

// Minimal shapes of the grpc-js objects we touch (no type dependency on grpc-js).

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
  InterceptingCall: InterceptingCallClass;
}

interface InterceptorArgs {
  clientInterceptors: unknown[];
  clientInterceptorProviders: unknown[];
  callInterceptors: unknown[];
  callInterceptorProviders: unknown[];
}

// ---------------------------------------------------------------------------------------------
// The patcher

export class GrpcGapPatcher extends InstrumentationBase {
  private interceptingCallClass: InterceptorsModule['InterceptingCall'] | undefined;

  constructor(private readonly ckContext: InstrumentationContext) {
    super('ck-agent-grpc-gaps', '0.1.0', { enabled: false });
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

  // Our own wrapMethod, not this._wrap: InstrumentationBase._wrap first unwraps whatever wrapper
  // is there, which would remove upstream's register wrapper instead of stacking on it.

  private patchMain(exports: GrpcModule): GrpcModule {
    try {
      wrapMethod(exports.Server.prototype, 'register', (original) => this.makeRegister(original));
    } catch (err) {
      reportHookError('grpc Server.register patch', err);
    }
    return exports;
  }

  /**
   * Only when ours is on top: a wrapper stacked later by someone else stays, and ours under it
   * passes through (this patcher is disabled then).
   */
  private unpatchMain(exports: GrpcModule | undefined): void {
    unwrapMethod(exports?.Server?.prototype, 'register');
  }

  private patchInterceptors(exports: InterceptorsModule): InterceptorsModule {
    try {
      this.interceptingCallClass = exports.InterceptingCall;
      wrapMethod(exports, 'getInterceptingCall', (original) => this.makeGetInterceptingCall(original));
    } catch (err) {
      reportHookError('grpc client interceptor patch', err);
    }
    return exports;
  }

  private unpatchInterceptors(exports: InterceptorsModule | undefined): void {
    unwrapMethod(exports, 'getInterceptingCall');
  }

  // ---- server -------------------------------------------------------------------------------

  private makeRegister(original: AnyFn): AnyFn {
    const patcher = this;
    return function register(this: ServerLike, name: unknown, handler: unknown, ...rest: unknown[]) {
      const type = handlerType(rest[2]);
      if (typeof name !== 'string' || typeof handler !== 'function' || type === undefined) {
        return original.call(this, name, handler, ...rest);
      }
      const info: MethodInfo = { path: name, type, spanName: `grpc.${name.replace('/', '')}` };
      const result = original.call(this, name, patcher.innerHandler(handler as AnyFn, info), ...rest);
      if (result === false) return result; // duplicate name: nothing was registered
      try {
        const handlerSet = this.handlers?.get(name);
        if (handlerSet && typeof handlerSet.func === 'function') handlerSet.func = patcher.outerHandler(handlerSet.func, info);
      } catch (err) {
        reportHookError('grpc handler registration', err);
      }
      return result;
    };
  }

  /** Runs before upstream's span wrapper for each call (see the file comment). */
  private outerHandler(func: AnyFn, info: MethodInfo): AnyFn {
    const patcher = this;
    return function ckOuterHandler(this: unknown, call: ServerCall, callback: unknown) {
      if (!patcher.isEnabled() || !call || typeof call !== 'object' || typeof call.on !== 'function') {
        return func.call(this, call, callback);
      }
      let state: ServerCallState | undefined;
      try {
        state = new ServerCallState(patcher.ckContext, info);
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
        reportHookError('grpc server call setup', err);
      }
      return func.call(this, call, callback);
    };
  }

  /** The app's handler as registered with upstream: runs inside upstream's span context. */
  private innerHandler(handler: AnyFn, info: MethodInfo): AnyFn {
    const patcher = this;
    return function ckInnerHandler(this: unknown, call: ServerCall, callback: unknown) {
      const state = call && typeof call === 'object' ? call[STATE] : undefined;
      const span = state && patcher.isEnabled() ? activeServerSpan(info.spanName) : undefined;
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
        reportHookError('grpc server call observation', err);
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
      const observer = patcher.isEnabled() ? patcher.observeClientCall(methodDefinition) : undefined;
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
    const InterceptingCall = this.interceptingCallClass;
    if (!InterceptingCall) return undefined;
    try {
      const ctx = context.active();
      const route = outgoingRoute(ctx);
      const active = trace.getSpan(ctx);
      const span = active instanceof CKSpan && active.kind === SpanKind.CLIENT && !active.ended ? active : undefined;
      const capture = span !== undefined && this.ckContext.captureWanted(span);
      if (route === undefined && !capture) return undefined;
      const definition = methodDefinition as { requestStream?: boolean; responseStream?: boolean } | undefined;
      return new ClientCallObserver(
        InterceptingCall,
        this.ckContext,
        route,
        capture ? span : undefined,
        !!definition?.requestStream,
        !!definition?.responseStream
      );
    } catch (err) {
      reportHookError('grpc client call observation', err);
      return undefined;
    }
  }
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
