/**
 * Our patches around upstream's node-redis hooks (hooking; docs/datastores.md).
 *
 * 1. The connect span follows `requireParentSpan` (hooking; docs/datastores.md). Upstream wraps
 * `RedisClient.prototype.connect` unconditionally: every `client.connect()` at startup would be a
 * `redis CONNECT` element under the root path, where ioredis records none. Our wrapper, outside
 * upstream's, calls the driver's own connect directly when there is no parent span, so no span
 * is started and the context is left as it is.
 *
 * Upstream's unpatch also leaves its connect wrapper in place (a disabled instrumentation would go
 * on recording connects); removing our patch removes upstream's connect wrapper with it.
 *
 * 2. Commands stop being recorded when the instrumentation is disabled. With node-redis 4 upstream
 * wraps the command executor while `@redis/client` defines its client class, once, at load time;
 * unpatching cannot take that back, so the one function every traced command goes through
 * (`_traceClientCommand`) passes straight to the driver while upstream is disabled.
 */
import { context, trace } from '@opentelemetry/api';
import { isWrapped } from '@opentelemetry/instrumentation';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

/** The client files upstream patches, for both package names node-redis 4.0 and later use. */
const CLIENT_FILES = ['@redis/client', '@node-redis/client'].map((module) => ({ module, file: `${module}/dist/lib/client/index.js` }));

interface ClientExports {
  default?: { prototype?: Record<string, unknown> };
}

type Connect = ((this: unknown, ...args: unknown[]) => unknown) & { __original?: Connect };

function clientPrototype(exports: unknown): Record<string, unknown> | undefined {
  const prototype = (exports as ClientExports | undefined)?.default?.prototype;
  return prototype && typeof prototype === 'object' ? prototype : undefined;
}

export function connectPatches(requireParentSpan: boolean): ModulePatch[] {
  return CLIENT_FILES.map(({ module, file }) => ({
    module,
    file,
    position: 'outside' as const,
    apply(exports: unknown) {
      const prototype = clientPrototype(exports);
      if (!prototype || !requireParentSpan) return;
      wrapMethod(prototype, 'connect', (upstreamConnect) => {
        const driverConnect = isWrapped(upstreamConnect) ? (upstreamConnect as unknown as Connect).__original : undefined;
        return function connect(this: unknown, ...args: unknown[]): unknown {
          const target = driverConnect && !hasParentSpan() ? driverConnect : upstreamConnect;
          return target.apply(this, args);
        };
      });
    },
    remove(exports: unknown) {
      const prototype = clientPrototype(exports);
      if (!prototype) return;
      unwrapMethod(prototype, 'connect');
      const current = prototype.connect as Connect | undefined;
      if (isWrapped(current) && typeof current?.__original === 'function') {
        Object.defineProperty(prototype, 'connect', { value: current.__original, writable: true, configurable: true, enumerable: false });
      }
    },
  }));
}

/**
 * The scope of upstream's spans. A vanilla instance of it enabled after ck-agent wraps connect
 * around ours (docs/coexistence.md): the span active in our wrapper is then its connect span of
 * this very call, which is no parent.
 */
const UPSTREAM_SCOPE = '@opentelemetry/instrumentation-redis';

function hasParentSpan(): boolean {
  const span = trace.getSpan(context.active()) as { instrumentationScope?: { name?: unknown } } | undefined;
  return span !== undefined && span.instrumentationScope?.name !== UPSTREAM_SCOPE;
}

interface TracingUpstream {
  isEnabled(): boolean;
}

/** Makes upstream's per-command tracing a pass-through while it is disabled (see 2. above). */
export function passThroughWhenDisabled(upstream: TracingUpstream): void {
  wrapMethod(
    upstream,
    '_traceClientCommand',
    (traceClientCommand) =>
      function traceWhenEnabled(
        this: TracingUpstream,
        original: Connect,
        originalThis: unknown,
        originalArgs: unknown[],
        ...rest: unknown[]
      ) {
        if (this.isEnabled()) return traceClientCommand.call(this, original, originalThis, originalArgs, ...rest);
        return original.apply(originalThis, originalArgs);
      }
  );
}
