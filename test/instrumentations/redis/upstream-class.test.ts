/**
 * The redis version switch (src/instrumentations/redis/upstream-class.ts): whichever way the
 * installed upstream line allows, it is upstream's node-redis 4/5 class, patching `@redis/client`
 * and `@node-redis/client` only (not `redis` 2/3), and the way the newest line needs gives the
 * same class as the deep module where that module exists (the pinned line).
 */
import test from 'ava';
import { fromPublicClass, redisV4V5Class } from '../../../src/instrumentations/redis/upstream-class';

function deepModuleClass(): unknown {
  try {
    return (require('@opentelemetry/instrumentation-redis/build/src/v4-v5/instrumentation') as { RedisInstrumentationV4_V5: unknown })
      .RedisInstrumentationV4_V5;
  } catch {
    return undefined;
  }
}

test('it is the node-redis 4/5 instrumentation: its modules are @redis/client and @node-redis/client', (t) => {
  const Class = redisV4V5Class();
  t.is(Class.name, 'RedisInstrumentationV4_V5');
  const instance = new Class({ enabled: false });
  t.deepEqual(
    instance
      .getModuleDefinitions()
      .map((d) => d.name)
      .sort(),
    ['@node-redis/client', '@redis/client']
  );
  t.false(instance.isEnabled());
});

test('the public-export way gives the class the deep module gives (where the line has one)', (t) => {
  const deep = deepModuleClass();
  if (deep === undefined) {
    t.is(redisV4V5Class(), fromPublicClass(), 'newest line: the public-export way is the one used');
    return;
  }
  t.is<unknown, unknown>(fromPublicClass(), deep);
  t.is<unknown, unknown>(redisV4V5Class(), deep);
});
