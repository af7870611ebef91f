/**
 * Where the node-redis 4/5 half of `@opentelemetry/instrumentation-redis` comes from (hooking;
 * version switch, README "Upstream compatibility"). ck-agent extends that half, the class
 * `RedisInstrumentationV4_V5`, not the public `RedisInstrumentation`: the public class only
 * bundles it with the redis 2/3 half and returns no module definitions from its own `init()`, so
 * our patches could not be chained on it.
 *
 * - Pinned line (0.71.x, `build/` layout, no `exports` map): the class's own module.
 * - Newest line (0.72 and later, bundled `dist/`, an `exports` map with `.` only: a deep import
 *   throws ERR_PACKAGE_PATH_NOT_EXPORTED): the constructor of the `instrumentationV4_V5`
 *   instance the public class builds, taken from one disabled instance (no hook registered).
 *
 * Both give the very same upstream class, so the wrapper behaves identically on both lines.
 */
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { RedisInstrumentation, type RedisInstrumentationConfig } from '@opentelemetry/instrumentation-redis';

export type RedisV4V5Class = new (config?: RedisInstrumentationConfig) => InstrumentationBase<RedisInstrumentationConfig>;

const DEEP_MODULE = '@opentelemetry/instrumentation-redis/build/src/v4-v5/instrumentation';

let resolved: RedisV4V5Class | undefined;

function fromDeepModule(): RedisV4V5Class | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path only the pinned line has
    const exports = require(DEEP_MODULE) as { RedisInstrumentationV4_V5?: RedisV4V5Class };
    return typeof exports.RedisInstrumentationV4_V5 === 'function' ? exports.RedisInstrumentationV4_V5 : undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** The newest line's way (exported for the test that both ways give the same class). */
export function fromPublicClass(): RedisV4V5Class {
  const bundle = new RedisInstrumentation({ enabled: false }) as unknown as { instrumentationV4_V5?: object };
  const Class = bundle.instrumentationV4_V5?.constructor;
  if (typeof Class !== 'function' || Class === Object) {
    throw new Error('@opentelemetry/instrumentation-redis: no node-redis 4/5 instrumentation found in RedisInstrumentation');
  }
  return Class as RedisV4V5Class;
}

/** The upstream node-redis 4/5 instrumentation class (resolved once). */
export function redisV4V5Class(): RedisV4V5Class {
  resolved ??= fromDeepModule() ?? fromPublicClass();
  return resolved;
}
