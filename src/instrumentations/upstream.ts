/**
 * Decorating an unmodified upstream instrumentation from the outside (shared by the datastore
 * wrappers: pg, mysql2, mongodb):
 *
 * - `decorateUpstream(Class, { onInit, onSpanStart })` returns a subclass whose module
 *   definitions can be chained (our driver patch applied right after upstream's, on every
 *   require/enable, removed right before upstream's unpatch) and whose tracer calls a hook on
 *   every span it starts. The hook is how attributes get fixed at span start for upstreams that
 *   have no request hook (mysql2, mongodb): the upstream code itself is untouched.
 * - `chainPatch(target, hooks)` wraps one module definition's or file's patch/unpatch.
 */
import type { Context, Span, SpanOptions, Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { logger, describeError } from '../logger';

export type SpanStartHook = (span: Span) => void;

/** A tracer that hands every started span to `onStart` (exception-safe) before returning it. */
class StartHookTracer implements Tracer {
  constructor(private readonly tracer: Tracer, private readonly onStart: SpanStartHook) {}

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    const span = this.tracer.startSpan(name, options, ctx);
    try {
      this.onStart(span);
    } catch (err) {
      logger.once('warn', 'span-start-hook', `ck-agent span start hook failed: ${describeError(err)}`);
    }
    return span;
  }

  // startActiveSpan's overloads are awkward to forward one by one; upstreams here only use
  // startSpan, and this keeps the contract for anyone else.
  startActiveSpan: Tracer['startActiveSpan'] = ((...args: unknown[]) =>
    (this.tracer.startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'];
}

class StartHookTracerProvider implements TracerProvider {
  constructor(private readonly provider: TracerProvider, private readonly onStart: SpanStartHook) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new StartHookTracer(this.provider.getTracer(name, version, options), this.onStart);
  }
}

export interface UpstreamDecoration {
  /** Called with upstream's module definitions (once, from the constructor) to chain patches. */
  onInit?: (definitions: InstrumentationModuleDefinition[]) => void;
  /** Called with every span the upstream starts. */
  onSpanStart?: SpanStartHook;
}

// The upstream classes take one optional config argument.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type UpstreamClass<C, I> = new (config?: C) => I;

/**
 * A subclass of the upstream instrumentation class with the decoration applied. `init()` runs
 * inside upstream's constructor, so the decoration is captured by closure, not an instance field.
 */
export function decorateUpstream<C, I>(Upstream: UpstreamClass<C, I>, decoration: UpstreamDecoration): UpstreamClass<C, I> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Base = Upstream as unknown as new (config?: C) => any;
  class Decorated extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    init(): any {
      const result = super.init();
      if (decoration.onInit) {
        const definitions = Array.isArray(result) ? result : result ? [result] : [];
        try {
          decoration.onInit(definitions);
        } catch (err) {
          logger.warn(`ck-agent could not chain driver patches: ${describeError(err)}`);
        }
      }
      return result;
    }

    setTracerProvider(provider: TracerProvider): void {
      super.setTracerProvider(decoration.onSpanStart ? new StartHookTracerProvider(provider, decoration.onSpanStart) : provider);
    }
  }
  return Decorated as unknown as UpstreamClass<C, I>;
}

export interface PatchTarget {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  patch?: ((exports: any, moduleVersion?: string) => any) | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  unpatch?: ((exports: any, moduleVersion?: string) => void) | undefined;
}

export interface ChainedPatch {
  /** Adds our patch to the module's exports (runs after upstream's patch). */
  apply(exports: unknown): void;
  /** Removes it (runs before upstream's patch and unpatch, so upstream never sees our wrapper). */
  remove(exports: unknown): void;
}

/**
 * Chains `ours` around one module definition or file: remove ours → upstream patch → apply ours,
 * and remove ours → upstream unpatch. Upstream re-wraps a method it already wrapped by
 * unwrapping first; removing ours before that keeps its shimmer chain intact, and applying ours
 * after keeps it outermost, exactly once.
 */
export function chainPatch(target: PatchTarget, ours: ChainedPatch): void {
  const upstreamPatch = target.patch;
  const upstreamUnpatch = target.unpatch;
  if (typeof upstreamPatch !== 'function') return;
  target.patch = function chainedPatch(this: unknown, exports: unknown, moduleVersion?: string) {
    safeRun('remove', () => ours.remove(exports));
    const result = upstreamPatch.call(this, exports, moduleVersion);
    safeRun('apply', () => ours.apply(result ?? exports));
    return result;
  };
  target.unpatch = function chainedUnpatch(this: unknown, exports: unknown, moduleVersion?: string) {
    safeRun('remove', () => ours.remove(exports));
    if (typeof upstreamUnpatch === 'function') upstreamUnpatch.call(this, exports, moduleVersion);
  };
}

function safeRun(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.once('warn', `driver-patch-${what}`, `ck-agent driver patch (${what}) failed: ${describeError(err)}`);
  }
}
