/**
 * CK's shimmer wrappers beside a vanilla instance of the same upstream instrumentation
 * (docs/coexistence.md, "Datastore drivers").
 *
 * Upstream re-wraps a method by first unwrapping whatever shimmer wrapper is there
 * (`if (isWrapped(m)) this._unwrap(...)`), assuming it is its own. Two instances of one upstream
 * - ck-agent's, on the CK tracer provider, and sdk-node's vanilla one - therefore drop each
 * other's wrapper, and the one enabled last records alone, silently. For the CK instrumentations
 * that opt in (`keepsWrappersBesideVanilla`), this layer on the CK upstream instance makes both
 * record, in either start order:
 *
 * - `_unwrap` leaves a foreign wrapper alone (sdk-node patched first: ours goes on top of it);
 * - `_wrap` over a foreign wrapper calls it in the context the call came in with, so the
 *   vanilla span keeps the parent it has without ck-agent (not the CK span, which sdk-node never
 *   exports); that wrapper's own `_unwrap` (its `disable()`) reaching ours removes that
 *   one, not ours;
 * - once, at the next turn of the event loop after CK wrapped something (a vanilla require hook
 *   runs in the same require, right after ours), each CK wrapper is looked up: one that is no
 *   longer in its method's wrapper chain while the chain still ends at the method CK wrapped was
 *   unwrapped by another instrumentation, and is applied again on top of what replaced it. A
 *   chain that no longer reaches that method (the method itself was replaced) cannot be fixed
 *   here: one warning names the method and the fix.
 *
 * Nothing of this runs on the call path, except the context switch around a foreign wrapper.
 *
 * Where both cannot be kept (amqplib, kafkajs: docs/coexistence.md, Limits), `vanillaConflictProbe`
 * warns once instead, when it actually finds the other instrumentation's wrapper.
 */
import { context, type Context } from '@opentelemetry/api';
import { logger } from '../logger';
import { isCkUpstreamWrapper } from './safe-wrap';
import { ckWrappedOriginal, type ModulePatch } from './upstream';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wrappers take any method shape
type AnyFunction = (this: any, ...args: any[]) => any;
type Wrapper = (original: AnyFunction, name: string) => unknown;
type WrapFn = (nodule: unknown, name: string, wrapper: Wrapper) => unknown;
type UnwrapFn = (nodule: unknown, name: string) => unknown;
type Holder = Record<string, unknown>;

interface Shimmed {
  __original?: unknown;
  __wrapped?: boolean;
}

/** One CK wrapper in place: where, and the upstream wrapper factory that made it. */
interface Placement {
  readonly nodule: Holder;
  readonly name: string;
  readonly wrapper: Wrapper;
  readonly installed: AnyFunction;
  readonly base: unknown;
  readonly rewrap: (placement: Placement) => void;
  readonly library: string;
}

const LAYER_INSTALLED = Symbol('ck-agent.coexist-layer');
/** A method put back more often than this in a row stops being put back (two agents fighting). */
const MAX_REAPPLY = 3;
/** Bound on watched wrappers: an upstream that wraps per instance must not keep every instance alive. */
const MAX_PLACEMENTS = 1024;

/** Every wrapper a CK upstream installed through this layer. */
const ours = new WeakSet<object>();
const placements = new Set<Placement>();
const reapplied = new WeakMap<Holder, Map<string, number>>();
let checkPending = false;

function isShimmerWrapped(fn: unknown): fn is AnyFunction & Shimmed {
  return typeof fn === 'function' && (fn as Shimmed).__wrapped === true && typeof (fn as Shimmed).__original === 'function';
}

/** A shimmer wrapper that is not ck-agent's: another instrumentation's. */
export function isForeignWrapper(fn: unknown): boolean {
  return isShimmerWrapped(fn) && !ours.has(fn) && !isCkUpstreamWrapper(fn);
}

/** The next function down a wrapper chain (shimmer's or ck-agent's own marker). */
function below(fn: unknown): unknown {
  if (isShimmerWrapped(fn)) return fn.__original;
  return ckWrappedOriginal(fn);
}

function chainHas(fn: unknown, target: unknown): boolean {
  for (let f = fn, depth = 0; typeof f === 'function' && depth < 32; f = below(f), depth++) if (f === target) return true;
  return false;
}

/** The method at the bottom of a wrapper chain. */
function baseOf(fn: unknown): unknown {
  let f = fn;
  for (let depth = 0; depth < 32; depth++) {
    const next = below(f);
    if (typeof next !== 'function') return f;
    f = next;
  }
  return f;
}

/**
 * Routes a CK upstream's `_wrap` / `_unwrap` through this layer. Installed after the wrapper
 * safety net (safe-wrap.ts), so the net still encloses every upstream wrapper.
 */
export function keepWrappersBesideVanilla(instrumentation: object, library: string): void {
  const target = instrumentation as { _wrap?: WrapFn; _unwrap?: UnwrapFn; [LAYER_INSTALLED]?: boolean };
  if (target[LAYER_INSTALLED]) return;
  const wrap = target._wrap;
  const unwrap = target._unwrap;
  if (typeof wrap !== 'function' || typeof unwrap !== 'function') return;
  target[LAYER_INSTALLED] = true;

  const layeredWrap: WrapFn = (nodule, name, wrapper) => {
    const holder = nodule as Holder | undefined;
    const current = holder && typeof holder === 'object' ? holder[name] : undefined;
    const overForeign = isForeignWrapper(current);
    const result = wrap.call(instrumentation, nodule, name, overForeign ? callingForeignInOuterContext(wrapper) : wrapper);
    if (typeof result === 'function' && holder) {
      ours.add(result);
      if (overForeign) unwrapsForeignBelow(result as AnyFunction & Shimmed, holder, name, () => layeredWrap(holder, name, wrapper));
      forget(holder, name);
      if (placements.size >= MAX_PLACEMENTS) placements.delete(placements.values().next().value as Placement);
      placements.add({ nodule: holder, name, wrapper, installed: result as AnyFunction, base: baseOf(current), rewrap, library });
      scheduleCheck();
    }
    return result;
  };
  const rewrap = (placement: Placement): void => {
    layeredWrap(placement.nodule, placement.name, placement.wrapper);
  };
  target._wrap = layeredWrap;
  target._unwrap = (nodule, name) => {
    const holder = nodule as Holder | undefined;
    const current = holder && typeof holder === 'object' ? holder[name] : undefined;
    if (isForeignWrapper(current)) {
      // Upstream assumes the wrapper is its own; it is another instrumentation's: leave it.
      logger.debug(`${library}: left another instrumentation's wrapper of ${name}() in place`);
      if (holder) forgetBelow(holder, name, current);
      return undefined;
    }
    if (holder) forget(holder, name);
    ownUnwrap++;
    try {
      return unwrap.call(instrumentation, nodule, name);
    } finally {
      ownUnwrap--;
    }
  };
}

/** > 0 while a CK upstream unwraps (its own wrapper). */
let ownUnwrap = 0;

/**
 * Ours sits on top of another instrumentation's wrapper, so that one's `_unwrap` (sdk-node's
 * shutdown, or its re-patch) reaches our wrapper's shimmer `__unwrap`, which would remove ours
 * and leave its own. It means its own: the method goes back to what that wrapper wrapped, and
 * ours is put on it again.
 */
function unwrapsForeignBelow(installed: AnyFunction & Shimmed, holder: Holder, name: string, wrapAgain: () => void): void {
  const shimmerUnwrap = (installed as { __unwrap?: unknown }).__unwrap;
  const foreign = installed.__original;
  if (typeof shimmerUnwrap !== 'function' || !isShimmerWrapped(foreign)) return;
  Object.defineProperty(installed, '__unwrap', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function ckUnwrap(this: unknown): unknown {
      if (ownUnwrap > 0 || holder[name] !== installed) return (shimmerUnwrap as AnyFunction).call(this);
      const enumerable = Object.prototype.propertyIsEnumerable.call(holder, name);
      Object.defineProperty(holder, name, { value: foreign.__original, writable: true, configurable: true, enumerable });
      forget(holder, name);
      wrapAgain();
      return undefined;
    },
  });
}

/** Drops the placements of `holder[name]` (ours is being replaced or removed by CK itself). */
function forget(holder: Holder, name: string): void {
  for (const placement of placements) if (placement.nodule === holder && placement.name === name) placements.delete(placement);
}

/** CK unwraps while another wrapper sits on top of ours: ours stays below it, unwatched. */
function forgetBelow(holder: Holder, name: string, current: unknown): void {
  for (const placement of placements) {
    if (placement.nodule === holder && placement.name === name && chainHas(current, placement.installed)) placements.delete(placement);
  }
}

/**
 * `wrapper` for a method that is another instrumentation's wrapper: that one runs in the context
 * our wrapper was called in (upstream wrappers call the method synchronously; a later call gets
 * whatever context is active, as without this).
 */
function callingForeignInOuterContext(wrapper: Wrapper): Wrapper {
  return function ckOverForeign(original: AnyFunction, name: string): unknown {
    if (typeof original !== 'function') return wrapper(original, name);
    const entered: Context[] = [];
    const callForeign = function (this: unknown, ...args: unknown[]): unknown {
      const outer = entered[entered.length - 1];
      if (outer === undefined) return original.apply(this, args);
      return context.with(outer, () => original.apply(this, args));
    };
    sameShape(callForeign, original);
    const patched = wrapper(callForeign, name);
    if (typeof patched !== 'function' || patched === callForeign) return patched === callForeign ? original : patched;
    const patchedFn = patched as AnyFunction;
    const outerCall = function (this: unknown, ...args: unknown[]): unknown {
      entered.push(context.active());
      try {
        return patchedFn.apply(this, args);
      } finally {
        entered.pop();
      }
    };
    sameShape(outerCall, patchedFn);
    return outerCall;
  };
}

/** Same name and length: upstream wrappers read `original.length` (mongodb's connect). */
function sameShape(target: AnyFunction, source: AnyFunction): void {
  try {
    Object.defineProperty(target, 'length', { value: source.length, configurable: true });
    Object.defineProperty(target, 'name', { value: source.name, configurable: true });
  } catch {
    // keeps its own shape
  }
}

function scheduleCheck(): void {
  if (checkPending) return;
  checkPending = true;
  setImmediate(checkPlacements).unref();
}

/** Exported for tests: looks every CK wrapper up now (see the file comment). */
export function checkPlacements(): void {
  checkPending = false;
  for (const placement of [...placements]) {
    try {
      checkPlacement(placement);
    } catch (err) {
      placements.delete(placement);
      logger.debug(`${placement.library}: checking the wrapper of ${placement.name}() failed: ${String(err)}`);
    }
  }
}

function checkPlacement(placement: Placement): void {
  const { nodule, name, library } = placement;
  const current = nodule[name];
  if (chainHas(current, placement.installed)) return;
  placements.delete(placement);
  const counts = reapplied.get(nodule) ?? new Map<string, number>();
  reapplied.set(nodule, counts);
  const count = (counts.get(name) ?? 0) + 1;
  counts.set(name, count);
  if (typeof current === 'function' && baseOf(current) === placement.base && count <= MAX_REAPPLY) {
    logger.debug(`${library}: another instrumentation replaced ck-agent's wrapper of ${name}(); applied again on top of it`);
    placement.rewrap(placement);
    return;
  }
  logger.once(
    'warn',
    `coexist:${library}:${name}`,
    `another instrumentation replaced ck-agent's wrapper of ${name}() (${library}) and it could not be put back: those calls ` +
      `are not recorded. Fix: start sdk-node before ck-agent, or leave the library out of it: ` +
      `getNodeAutoInstrumentations({ '${library}': { enabled: false } }) (docs/coexistence.md)`
  );
}

// ---- where both cannot be kept: one warning -----------------------------------------------------

export interface VanillaConflictProbe {
  /** Module (and file) as upstream declares it, as for ModulePatch. */
  readonly module: string;
  readonly file?: string;
  /** The upstream instrumentation (named in the warning and the fix). */
  readonly library: string;
  /** What breaks, for the warning. */
  readonly effect: string;
  /** The methods upstream wraps on these exports: [holder, name]. */
  readonly methods: (exports: unknown) => Array<[unknown, string]>;
}

/**
 * For upstreams whose wrappers cannot be kept beside a vanilla instance (docs/coexistence.md,
 * Limits): looks for a wrapper that is not ck-agent's anywhere in the chains of the methods
 * upstream instruments - right before upstream's patch (sdk-node started first: upstream would
 * unwrap it or skip its own) and once at the next turn of the event loop after it (a vanilla
 * require hook runs right after ours) - and warns once naming the instrumentation and the fix.
 * No wrapper of another: no warning.
 */
export function vanillaConflictProbe(probe: VanillaConflictProbe): ModulePatch[] {
  const look = (exports: unknown): void => {
    try {
      if (!probe.methods(exports).some(([holder, name]) => hasForeignWrapper(holder, name))) return;
      logger.once(
        'warn',
        `coexist:${probe.library}`,
        `${probe.library} also runs outside ck-agent (e.g. sdk-node's getNodeAutoInstrumentations()) and wraps the same ` +
          `${probe.module} methods: ${probe.effect}, whichever starts first. ` +
          `Fix: getNodeAutoInstrumentations({ '${probe.library}': { enabled: false } }) (docs/coexistence.md)`
      );
    } catch (err) {
      logger.debug(`${probe.library}: looking for other wrappers failed: ${String(err)}`);
    }
  };
  const base = { module: probe.module, file: probe.file, remove() {} };
  return [
    { ...base, position: 'inside', apply: look },
    { ...base, position: 'outside', apply: (exports: unknown) => void setImmediate(() => look(exports)).unref() },
  ];
}

function hasForeignWrapper(holder: unknown, name: string): boolean {
  if (!holder || (typeof holder !== 'object' && typeof holder !== 'function')) return false;
  let f: unknown = (holder as Holder)[name];
  for (let depth = 0; typeof f === 'function' && depth < 32; f = below(f), depth++) if (isForeignWrapper(f)) return true;
  return false;
}
