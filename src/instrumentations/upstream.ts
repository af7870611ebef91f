/**
 * The one way ck-agent extends an unmodified upstream instrumentation (docs/architecture.md):
 *
 * - `extendUpstream(Class, extension)` returns a subclass of the upstream class whose module
 *   patches carry ours (`ModulePatch`, chained on a module or one of its files) and whose tracer
 *   hands every started span to `onSpanStart` (for upstreams without a request hook). The
 *   upstream code itself is untouched.
 * - `wrapMethod` / `unwrapMethod`: how our own patches replace a method, with the one marker that
 *   says "this is a ck-agent wrapper" (`isCkWrapper`). Deliberately not shimmer's marker:
 *   upstream's `isWrapped()` must only ever see its own wrappers, or a re-enable would unwrap ours
 *   instead of its own.
 */
import type { Context, Span, SpanOptions, Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { reportHookError } from './guard';

// ---- the wrapper marker -------------------------------------------------------------------------

const CK_ORIGINAL = Symbol.for('ck-agent.wrapped-original');
/** Set on wrappers of an inherited method: unwrapping deletes the own property again. */
const CK_INHERITED = Symbol.for('ck-agent.wrapped-inherited');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wrappers take any method shape
type AnyFunction = (this: any, ...args: any[]) => any;
type Marked = AnyFunction & { [CK_ORIGINAL]?: AnyFunction; [CK_INHERITED]?: boolean };

/** True for a function ck-agent installed with wrapMethod. */
export function isCkWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && typeof (fn as Marked)[CK_ORIGINAL] === 'function';
}

/** The function a ck-agent wrapper (wrapMethod) calls, or undefined for any other function. */
export function ckWrappedOriginal(fn: unknown): AnyFunction | undefined {
  return isCkWrapper(fn) ? (fn as Marked)[CK_ORIGINAL] : undefined;
}

/**
 * Replaces `target[name]` with `makeWrapper(current)` unless ours is already the outermost
 * function. Returns false when there was nothing to wrap.
 */
export function wrapMethod(target: object, name: string, makeWrapper: (original: AnyFunction) => AnyFunction): boolean {
  const holder = target as Record<string, unknown>;
  const current = holder[name];
  if (typeof current !== 'function') return false;
  if (isCkWrapper(current)) return true;
  const wrapper = makeWrapper(current as AnyFunction) as Marked;
  wrapper[CK_ORIGINAL] = current as AnyFunction;
  if (!Object.prototype.hasOwnProperty.call(holder, name)) wrapper[CK_INHERITED] = true;
  Object.defineProperty(holder, name, { value: wrapper, writable: true, configurable: true, enumerable: false });
  return true;
}

/**
 * Restores what wrapMethod replaced, if ours is the outermost function. A wrapper someone stacked
 * on top of ours later stays; ours below it must then pass calls through (the patches check
 * whether they are still active).
 */
export function unwrapMethod(target: object | undefined, name: string): void {
  const holder = target as Record<string, unknown> | undefined;
  const current = holder?.[name] as Marked | undefined;
  const original = current?.[CK_ORIGINAL];
  if (!holder || typeof original !== 'function') return;
  if (current?.[CK_INHERITED] === true) delete holder[name];
  else Object.defineProperty(holder, name, { value: original, writable: true, configurable: true, enumerable: false });
}

// ---- patches chained on upstream's module definitions --------------------------------------------

export interface ModulePatch {
  /** Module name as upstream declares it (`http`, `pg`, `@grpc/grpc-js`). */
  readonly module: string;
  /** A file of that module (`pg/lib/client.js`), matched by suffix; absent: the module itself. */
  readonly file?: string;
  /**
   * `outside`: applied after upstream's patch (ours is the outermost wrapper, exactly once);
   * `inside`: applied before it, so upstream's wrapper encloses ours.
   */
  readonly position: 'outside' | 'inside';
  /** Adds our patch to the (module or file) exports. */
  apply(exports: unknown): void;
  /** Removes it again. */
  remove(exports: unknown): void;
}

export interface UpstreamExtension {
  /** Our patches, chained on upstream's patch/unpatch of the named modules and files. */
  readonly patches?: readonly ModulePatch[];
  /**
   * Called with the name and options of every span the upstream is about to start; may return
   * an adjusted name and options (start attributes are decided before the span exists, so
   * nothing is ever removed from a span behind its back).
   */
  readonly beforeSpanStart?: SpanStartAdjuster;
  /** Called with every span the upstream starts, before upstream uses it. */
  readonly onSpanStart?: (span: Span) => void;
}

export type SpanStartAdjuster = (
  name: string,
  options: SpanOptions | undefined
) => { name: string; options: SpanOptions | undefined } | undefined;

interface PatchTarget {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- upstream's own signature
  patch?: ((exports: any, moduleVersion?: string) => any) | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- upstream's own signature
  unpatch?: ((exports: any, moduleVersion?: string) => void) | undefined;
}

/** Upstream instrumentation classes take one optional config argument. */
type UpstreamClass<C, I> = new (config?: C) => I;

/**
 * A subclass of `Upstream` carrying `extension`. `init()` runs inside upstream's constructor, so
 * the extension is captured by closure, not stored on the instance.
 */
export function extendUpstream<C, I>(Upstream: UpstreamClass<C, I>, extension: UpstreamExtension): UpstreamClass<C, I> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin over any upstream class
  const Base = Upstream as unknown as new (config?: C) => any;
  class Extended extends Base {
    init(): unknown {
      const result: unknown = super.init();
      const definitions = (Array.isArray(result) ? result : result ? [result] : []) as InstrumentationModuleDefinition[];
      for (const patch of extension.patches ?? []) chainOnDefinitions(definitions, patch);
      return result;
    }

    setTracerProvider(provider: TracerProvider): void {
      const hooked = extension.onSpanStart !== undefined || extension.beforeSpanStart !== undefined;
      super.setTracerProvider(hooked ? new StartHookTracerProvider(provider, extension) : provider);
    }
  }
  return Extended as unknown as UpstreamClass<C, I>;
}

function chainOnDefinitions(definitions: InstrumentationModuleDefinition[], patch: ModulePatch): void {
  for (const definition of definitions) {
    if (definition.name !== patch.module) continue;
    if (patch.file === undefined) {
      chainPatch(definition, patch);
      continue;
    }
    for (const file of definition.files) {
      if (file.name.endsWith(patch.file)) chainPatch(file, patch);
    }
  }
}

/**
 * `outside`: remove ours → upstream patch → apply ours; remove ours → upstream unpatch. Upstream
 * re-wraps a method it already wrapped by unwrapping first; removing ours before that keeps its
 * chain intact, and applying ours after keeps ours outermost, exactly once.
 * `inside`: apply ours → upstream patch; upstream unpatch → remove ours.
 */
function chainPatch(target: PatchTarget, ours: ModulePatch): void {
  const upstreamPatch = target.patch;
  const upstreamUnpatch = target.unpatch;
  if (typeof upstreamPatch !== 'function') return;
  const where = `${ours.module}${ours.file ? ` (${ours.file})` : ''}`;
  if (ours.position === 'outside') {
    target.patch = function chainedPatch(this: unknown, exports: unknown, moduleVersion?: string): unknown {
      safely(`patch removal on ${where}`, () => ours.remove(exports));
      const result: unknown = upstreamPatch.call(this, exports, moduleVersion);
      safely(`patch on ${where}`, () => ours.apply(result ?? exports));
      return result;
    };
    target.unpatch = function chainedUnpatch(this: unknown, exports: unknown, moduleVersion?: string): void {
      safely(`patch removal on ${where}`, () => ours.remove(exports));
      if (typeof upstreamUnpatch === 'function') upstreamUnpatch.call(this, exports, moduleVersion);
    };
  } else {
    target.patch = function chainedPatch(this: unknown, exports: unknown, moduleVersion?: string): unknown {
      safely(`patch on ${where}`, () => ours.apply(exports));
      return upstreamPatch.call(this, exports, moduleVersion);
    };
    target.unpatch = function chainedUnpatch(this: unknown, exports: unknown, moduleVersion?: string): void {
      if (typeof upstreamUnpatch === 'function') upstreamUnpatch.call(this, exports, moduleVersion);
      safely(`patch removal on ${where}`, () => ours.remove(exports));
    };
  }
}

function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    reportHookError(what, err);
  }
}

// ---- span start hook ------------------------------------------------------------------------------

/** A tracer that runs the extension's span start hooks (guarded) around the real startSpan. */
class StartHookTracer implements Tracer {
  constructor(
    private readonly tracer: Tracer,
    private readonly extension: UpstreamExtension
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    if (this.extension.beforeSpanStart) {
      try {
        const adjusted = this.extension.beforeSpanStart(name, options);
        if (adjusted) ({ name, options } = adjusted);
      } catch (err) {
        reportHookError('span start hook', err);
      }
    }
    const span = this.tracer.startSpan(name, options, ctx);
    if (this.extension.onSpanStart) {
      try {
        this.extension.onSpanStart(span);
      } catch (err) {
        reportHookError('span start hook', err);
      }
    }
    return span;
  }

  // Forwarded as is: the upstreams extended here only call startSpan.
  startActiveSpan: Tracer['startActiveSpan'] = (...args: unknown[]) =>
    (this.tracer.startActiveSpan as (...a: unknown[]) => unknown)(...args);
}

class StartHookTracerProvider implements TracerProvider {
  constructor(
    private readonly provider: TracerProvider,
    private readonly extension: UpstreamExtension
  ) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new StartHookTracer(this.provider.getTracer(name, version, options), this.extension);
  }
}
