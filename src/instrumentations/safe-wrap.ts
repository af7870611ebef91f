/**
 * The wrapper safety net (docs/architecture.md, "Never break the app"): upstream code that throws
 * inside the app's call must not turn a call that works without the agent into an exception.
 *
 * Every upstream wrapper is installed through its instrumentation's `_wrap` / `_massWrap`
 * (shimmer); `CKInstrumentation` (base.ts) routes both through `safeWrapper` for every upstream it
 * creates, before enabling it, so each wrapped method gets:
 *
 * - a tracked original: the function upstream's wrapper receives, which notes when the real
 *   method ran and what it returned or threw;
 * - a guarded wrapper around upstream's: when upstream's code throws, the guard looks at where:
 *   - before the real method ran: upstream failed on its own (an unexpected argument shape, a
 *     recursion): one log line naming the library and method, `ck.agent.hook.errors` + 1, that
 *     method runs uninstrumented from now on, and the real method is called, once;
 *   - after the real method returned: its result is returned (upstream's bookkeeping is lost);
 *   - the real method threw: that error is what the app gets, exactly as without the agent.
 * - a recursion limit: a wrapper re-entered more than REENTRY_LIMIT times before its real method
 *   ran (upstream calling the wrapped method from its own pre-call code, like the gRPC
 *   `getChannel` bug, docs/grpc.md) unwinds to the outermost call, which then proceeds uninstrumented.
 *
 * Asynchronous failures (a rejected promise from upstream's own code) are outside this net.
 */
import { reportHookError } from './guard';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wrappers take any method shape
type AnyFunction = (this: any, ...args: any[]) => any;
type Wrapper = (original: AnyFunction, name: string) => unknown;
type WrapFn = (nodule: unknown, name: string, wrapper: Wrapper) => unknown;
type MassWrapFn = (nodules: unknown, names: unknown, wrapper: Wrapper) => unknown;

export const REENTRY_LIMIT = 8;
const NET_INSTALLED = Symbol('ck-agent.wrapper-safety-net');

class Reentered extends Error {}

class MethodGuard {
  disabled = false;
  constructor(
    readonly library: string,
    readonly method: string
  ) {}
}

interface CallState {
  readonly guard: MethodGuard;
  entered: boolean;
  returned: boolean;
  threw: boolean;
  value: unknown;
  error: unknown;
}

/** The calls of guarded wrappers on the stack, innermost last (synchronous nesting only). */
const active: CallState[] = [];

function pendingCalls(guard: MethodGuard): number {
  let count = 0;
  for (const state of active) if (state.guard === guard && !state.entered) count++;
  return count;
}

function innermostPending(guard: MethodGuard): CallState | undefined {
  for (let i = active.length - 1; i >= 0; i--) {
    const state = active[i];
    if (state.guard === guard && !state.entered) return state;
  }
  return undefined;
}

/** Routes an upstream instrumentation's `_wrap` and `_massWrap` through the safety net. */
export function installWrapperSafetyNet(instrumentation: object, library: string): void {
  const target = instrumentation as { _wrap?: WrapFn; _massWrap?: MassWrapFn; [NET_INSTALLED]?: boolean };
  if (target[NET_INSTALLED]) return;
  target[NET_INSTALLED] = true;
  const wrap = target._wrap;
  const massWrap = target._massWrap;
  if (typeof wrap === 'function') {
    target._wrap = (nodule, name, wrapper) => wrap.call(instrumentation, nodule, name, safeWrapper(library, wrapper));
  }
  if (typeof massWrap === 'function') {
    target._massWrap = (nodules, names, wrapper) => massWrap.call(instrumentation, nodules, names, safeWrapper(library, wrapper));
  }
}

/** `wrapper` (upstream's `original => patched`) with the guard around what it returns. */
export function safeWrapper(library: string, wrapper: Wrapper): Wrapper {
  if (typeof wrapper !== 'function') return wrapper;
  return function ckSafeWrapper(original: AnyFunction, name: string): unknown {
    if (typeof original !== 'function') return wrapper(original, name);
    const guard = new MethodGuard(library, String(name));
    const tracked = trackOriginal(guard, original);
    const patched = wrapper(tracked, name);
    if (patched === tracked) return original; // upstream left this one alone
    if (typeof patched !== 'function') return patched;
    return guardPatched(guard, patched as AnyFunction, original);
  };
}

function trackOriginal(guard: MethodGuard, original: AnyFunction): AnyFunction {
  const tracked = function ckTrackedOriginal(this: unknown, ...args: unknown[]): unknown {
    const state = innermostPending(guard);
    if (state) state.entered = true;
    try {
      const value: unknown = new.target
        ? Reflect.construct(original, args, new.target === tracked ? original : new.target)
        : original.apply(this, args);
      if (state) {
        state.returned = true;
        state.value = value;
      }
      return value;
    } catch (err) {
      if (state) {
        state.threw = true;
        state.error = err;
      }
      throw err;
    }
  };
  copyShape(tracked, original);
  return tracked;
}

/** Every guarded wrapper made here: all of CK's upstream wrappers (coexist-wrap.ts tells them from others'). */
const guardedWrappers = new WeakSet<object>();

/** True for a wrapper a CK upstream installed (through the safety net). */
export function isCkUpstreamWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && guardedWrappers.has(fn);
}

function guardPatched(guard: MethodGuard, patched: AnyFunction, original: AnyFunction): AnyFunction {
  const safe = function ckGuardedWrapper(this: unknown, ...args: unknown[]): unknown {
    const run = (fn: AnyFunction): unknown =>
      new.target ? Reflect.construct(fn, args, new.target === safe ? fn : new.target) : fn.apply(this, args);
    if (guard.disabled) return run(original);
    const depth = pendingCalls(guard);
    if (depth >= REENTRY_LIMIT) throw new Reentered(`${guard.method}() re-entered ${depth} times before it ran`);
    const state: CallState = { guard, entered: false, returned: false, threw: false, value: undefined, error: undefined };
    active.push(state);
    try {
      return run(patched);
    } catch (err) {
      if (state.threw) {
        if (err !== state.error) fail(guard, err);
        throw state.error; // the method's own error, as without the agent
      }
      if (state.returned) {
        fail(guard, err);
        return state.value;
      }
      if (state.entered) throw err; // cannot tell: never hide it
      if (err instanceof Reentered && depth > 0) throw err; // unwind to the outermost call
      fail(guard, err);
      return run(original);
    } finally {
      const at = active.lastIndexOf(state);
      if (at >= 0) active.splice(at, 1);
    }
  };
  copyShape(safe, patched);
  guardedWrappers.add(safe);
  return safe;
}

function fail(guard: MethodGuard, err: unknown): void {
  guard.disabled = true;
  reportHookError(`${guard.library} wrapper of ${guard.method}() (that method now runs uninstrumented)`, err);
}

const SKIPPED_KEYS = new Set<PropertyKey>(['length', 'name', 'prototype', 'caller', 'arguments']);

/**
 * `target` looks like `source` to code that inspects functions: same length and name (Express
 * reads a handler's arity), same prototype, and its own properties as live accessors onto
 * `source` (grpc-js method attributes such as `path`, copied around by upstream).
 */
function copyShape(target: AnyFunction, source: AnyFunction): void {
  try {
    Object.defineProperty(target, 'length', { value: source.length, configurable: true });
    Object.defineProperty(target, 'name', { value: source.name, configurable: true });
    if (Object.prototype.hasOwnProperty.call(source, 'prototype')) {
      Object.defineProperty(target, 'prototype', { value: (source as { prototype?: unknown }).prototype, writable: true });
    }
    const holder = source as unknown as Record<PropertyKey, unknown>;
    for (const key of Reflect.ownKeys(source)) {
      if (SKIPPED_KEYS.has(key) || Object.prototype.hasOwnProperty.call(target, key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(source, key);
      Object.defineProperty(target, key, {
        get: () => holder[key],
        set: (value: unknown) => {
          holder[key] = value;
        },
        enumerable: descriptor?.enumerable ?? true,
        configurable: true,
      });
    }
  } catch {
    // a frozen or exotic function: it keeps the shape it has
  }
}
