import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { Duplex, PassThrough, Readable, Stream, Transform, Writable } from 'node:stream';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';
import { logger } from '../logger';

/**
 * An AsyncLocalStorage context manager with the semantics of upstream's
 * AsyncLocalStorageContextManager and a cheaper bind() (docs/context-manager.md):
 *
 * - Emitters: upstream installs eight own methods plus a listener map on every bound emitter,
 *   i.e. on each request and response. Here binding stores one symbol property; the add methods
 *   are patched once per prototype (IncomingMessage, ServerResponse, ...) and wrap a listener
 *   only when the emitter is bound. The wrapper carries the original as `.listener`, the field
 *   Node's removeListener/off/listeners() already honour for once(), so removal by the original
 *   function needs no patch and no map.
 * - Functions: the wrapper is declared with the target's arity, so `length` matches without a
 *   defineProperty per bind, and it calls AsyncLocalStorage.run without an extra closure.
 */

type Listener = (...args: unknown[]) => unknown;
type BoundListener = Listener & { listener?: Listener };
type AnyEmitter = EventEmitter & Record<PropertyKey, unknown>;

const ADD_METHODS = ['on', 'addListener', 'prependListener'] as const;
// once-style method -> the add method Node's own once() calls.
const ONCE_METHODS = { once: 'on', prependOnceListener: 'prependListener' } as const;
const ALL_METHODS = [...ADD_METHODS, ...(Object.keys(ONCE_METHODS) as (keyof typeof ONCE_METHODS)[])];

// removeListener implementations known to match a listener by its `.listener` field.
const NATIVE_REMOVE = new Set<unknown>([EventEmitter.prototype.removeListener, Readable.prototype.removeListener]);
// Shared base prototypes: patching them would touch every emitter of the process.
const BASE_PROTOTYPES = new Set<object>(
  [EventEmitter, Stream, Readable, Writable, Duplex, Transform, PassThrough].map((c) => c.prototype as object)
);

const hasOwn = (o: object, key: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, key);
/** An own property that is absent or configurable, so defineProperty may replace it. */
const isWritable = (o: object, key: PropertyKey): boolean => Object.getOwnPropertyDescriptor(o, key)?.configurable !== false;

interface BindState {
  als: AsyncLocalStorage<Context>;
  /** Per manager, so two managers' bindings never mix. */
  kContext: symbol;
  disabled: boolean;
  /** The emitter whose original add method is running: its nested on() (from once()) passes through. */
  adding: unknown;
}

interface Patch {
  target: object;
  method: string;
  patched: unknown;
  /** The target's own method before us, or undefined when it was inherited. */
  own: unknown;
}

export class CKContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  private readonly state: BindState = { als: this.als, kContext: Symbol('ck.boundContext'), disabled: false, adding: undefined };
  private patchedPrototypes = new WeakSet<object>();
  private readonly patches: Patch[] = [];

  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (thisArg == null) return this.als.run(context, fn, ...args);
    return this.als.run(context, Reflect.apply, fn, thisArg, args) as ReturnType<F>;
  }

  bind<T>(context: Context, target: T): T {
    if (target instanceof EventEmitter) return this.bindEmitter(context, target as unknown as AnyEmitter) as T;
    if (typeof target === 'function') return bindFunction(this.als, context, target as unknown as Listener) as T;
    return target;
  }

  enable(): this {
    this.state.disabled = false;
    return this;
  }

  disable(): this {
    this.state.disabled = true;
    this.als.disable();
    // Puts back what is still ours; a patch someone wrapped since stays, inert (disabled).
    this.patchedPrototypes = new WeakSet();
    for (const p of this.patches.splice(0)) {
      const target = p.target as Record<string, unknown>;
      if (target[p.method] !== p.patched) continue;
      if (p.own !== undefined) target[p.method] = p.own;
      else delete target[p.method];
    }
    return this;
  }

  /** Same as upstream's experimental attach(): imperatively enters a context. */
  attach(context: Context): { dispose(): void } {
    const previous = this.active();
    this.als.enterWith(context);
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.als.enterWith(previous);
      },
    };
  }

  private bindEmitter(context: Context, ee: AnyEmitter): AnyEmitter {
    // Like upstream: the first bind of an emitter wins.
    if (ee[this.state.kContext] !== undefined) return ee;
    const proto = Object.getPrototypeOf(ee) as object | null;
    const viaPrototype =
      proto !== null &&
      !BASE_PROTOTYPES.has(proto) &&
      NATIVE_REMOVE.has(ee.removeListener) &&
      NATIVE_REMOVE.has(ee.off) &&
      !ALL_METHODS.some((m) => hasOwn(ee, m));
    try {
      if (!viaPrototype || !this.patchPrototype(proto)) {
        this.patchMethods(ee, false);
        if (!NATIVE_REMOVE.has(ee.removeListener) || !NATIVE_REMOVE.has(ee.off)) this.patchRemove(ee);
      }
      ee[this.state.kContext] = context;
    } catch (err) {
      // A frozen or non-extensible emitter: left unbound (upstream would throw into the app).
      logger.debug(`context manager: emitter not bound: ${String(err)}`);
    }
    return ee;
  }

  /** Patches a prototype once; false when it cannot be patched (frozen), so the instance is. */
  private patchPrototype(proto: object): boolean {
    if (this.patchedPrototypes.has(proto)) return true;
    if (!Object.isExtensible(proto) || ALL_METHODS.some((m) => !isWritable(proto, m))) return false;
    this.patchedPrototypes.add(proto);
    this.patchMethods(proto, true);
    return true;
  }

  /**
   * An emitter with its own removeListener may not look at `.listener`: hand it our wrapper
   * of the original instead (the last one added, as Node removes the last match).
   */
  private patchRemove(ee: AnyEmitter): void {
    for (const method of ['removeListener', 'off'] as const) {
      const original = ee[method] as Listener;
      if (typeof original !== 'function') continue;
      const patched = function patchedRemoveListener(this: AnyEmitter, event: unknown, listener: unknown) {
        const raw = typeof this.rawListeners === 'function' ? (this.rawListeners(event as string) as BoundListener[]) : [];
        let match: unknown = listener;
        for (let i = raw.length - 1; i >= 0; i--) {
          if (raw[i].listener === listener) {
            match = raw[i];
            break;
          }
        }
        return original.call(this, event, match);
      };
      Object.defineProperty(ee, method, { value: patched, writable: true, configurable: true, enumerable: false });
    }
  }

  private patchMethods(target: object, isPrototype: boolean): void {
    const record = target as Record<string, unknown>;
    for (const method of ALL_METHODS) {
      if (typeof record[method] !== 'function') continue;
      const own = hasOwn(target, method) ? record[method] : undefined;
      const parent = Object.getPrototypeOf(target) as Record<string, unknown>;
      // An inherited method is looked up on each call, so a later patch of the parent still runs.
      const original = own !== undefined ? () => own as Listener : () => parent[method] as Listener;
      const patched =
        method === 'once' || method === 'prependOnceListener'
          ? patchedOnce(this.state, original, ONCE_METHODS[method])
          : patchedAdd(this.state, original);
      Object.defineProperty(target, method, { value: patched, writable: true, configurable: true, enumerable: false });
      // Prototypes are put back on disable(); an instance is not kept (it would leak), its
      // patches pass through once disabled.
      if (isPrototype) this.patches.push({ target, method, patched, own });
    }
  }
}

function patchedAdd(state: BindState, original: () => Listener): Listener {
  return function patchedAddListener(this: AnyEmitter, event: unknown, listener: unknown) {
    const context = this[state.kContext] as Context | undefined;
    if (context === undefined || state.disabled || state.adding === this || typeof listener !== 'function') {
      return original().call(this, event, listener);
    }
    const bound = bindListener(state.als, context, listener as Listener);
    const outer = state.adding;
    state.adding = this;
    try {
      return original().call(this, event, bound);
    } finally {
      state.adding = outer;
    }
  };
}

function patchedOnce(state: BindState, original: () => Listener, addMethod: 'on' | 'prependListener'): Listener {
  return function patchedOnceListener(this: AnyEmitter, event: unknown, listener: unknown) {
    const context = this[state.kContext] as Context | undefined;
    if (context === undefined || state.disabled || state.adding === this || typeof listener !== 'function') {
      return original().call(this, event, listener);
    }
    // Node's own once() wrapper would hide ours from removeListener(original); this one
    // removes itself by identity and carries the original as `.listener`, as Node's does.
    const wrapped = onceListener(state.als, context, this, event, listener as Listener);
    const outer = state.adding;
    state.adding = this;
    try {
      return (this[addMethod] as Listener).call(this, event, wrapped);
    } finally {
      state.adding = outer;
    }
  };
}

function bindListener(als: AsyncLocalStorage<Context>, context: Context, listener: Listener): BoundListener {
  const bound: BoundListener = function (this: unknown) {
    // eslint-disable-next-line prefer-rest-params
    return als.run(context, Reflect.apply, listener, this, arguments);
  };
  bound.listener = listener;
  return bound;
}

function onceListener(
  als: AsyncLocalStorage<Context>,
  context: Context,
  target: AnyEmitter,
  event: unknown,
  listener: Listener
): BoundListener {
  let fired = false;
  const wrapped: BoundListener = function (this: unknown) {
    if (fired) return undefined;
    fired = true;
    target.removeListener(event as string, wrapped);
    // eslint-disable-next-line prefer-rest-params
    return als.run(context, Reflect.apply, listener, target, arguments);
  };
  wrapped.listener = listener;
  return wrapped;
}

/** A wrapper with the target's arity, so its `length` is right without defineProperty. */
function bindFunction(als: AsyncLocalStorage<Context>, context: Context, target: Listener): Listener {
  /* eslint-disable prefer-rest-params */
  switch (target.length) {
    case 0:
      return function (this: unknown) {
        return als.run(context, Reflect.apply, target, this, arguments);
      };
    case 1:
      return function (this: unknown, _a: unknown) {
        return als.run(context, Reflect.apply, target, this, arguments);
      };
    case 2:
      return function (this: unknown, _a: unknown, _b: unknown) {
        return als.run(context, Reflect.apply, target, this, arguments);
      };
    case 3:
      return function (this: unknown, _a: unknown, _b: unknown, _c: unknown) {
        return als.run(context, Reflect.apply, target, this, arguments);
      };
    case 4:
      return function (this: unknown, _a: unknown, _b: unknown, _c: unknown, _d: unknown) {
        return als.run(context, Reflect.apply, target, this, arguments);
      };
    default: {
      const wrapper = function (this: unknown) {
        return als.run(context, Reflect.apply, target, this, arguments);
      };
      Object.defineProperty(wrapper, 'length', { value: target.length, configurable: true });
      return wrapper;
    }
  }
  /* eslint-enable prefer-rest-params */
}
