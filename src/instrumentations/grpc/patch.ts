/**
 * The gap patch of CKGrpcInstrumentation (src/wrappers/grpc.ts): ck-agent's own shimmer patches on
 * `@grpc/grpc-js`, because upstream `GrpcInstrumentation` has no hooks at all. This file only hooks
 * the module; what a call turns into (capture, ck-route, filters, status) is in
 * src/helpers/grpc-server-call.ts and grpc-client-call.ts. Behaviour: shared/spec/data-capture.md
 * and graph-path.md; usage: docs/grpc.md.
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
import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
  type Instrumentation,
} from '@opentelemetry/instrumentation';
import { errorMonitor } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import * as shimmer from 'shimmer';
import type { CKAgent } from '../../agent';
import { grpcServiceElement } from '../../graph';
import { captureWanted } from '../../capture/policy';
import { ClientCallObserver, type InterceptingCallClass } from './client-call';
import {
  STATE,
  ServerCallState,
  activeServerSpan,
  onServerCallCancelled,
  onServerStreamError,
  onServerStreamFinish,
  type GrpcCaptureContext,
  type ServerCall,
} from './server-call';
import { STATUS_UNKNOWN, handlerType, splitPath, type AnyFn, type MethodInfo } from './status';
import { outgoingRoute } from '../../graph/entry';
import { Redactor } from '../../capture/redaction';
import { rpcCaptureSettings, type RpcCaptureSettings } from './capture';
import { describeError, logger } from '../../logger';
import { CKSpan } from '../../trace';

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

export class GrpcGapPatcher extends InstrumentationBase implements GrpcCaptureContext {
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
export function patchPreloadedGrpc(upstream: Instrumentation, gap: GrpcGapPatcher): void {
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
