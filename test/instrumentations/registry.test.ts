/**
 * The one list of instrumentations (src/instrumentations/registry.ts) agrees with the public API
 * and the config schema: every entry loads its class, under the name the package root exports,
 * whose libraryName is the entry's config name.
 */
import test from 'ava';
import * as api from '../../src/index';
import { resolveConfig } from '../../src/config';
import { INSTRUMENTATION_NAMES, INSTRUMENTATIONS, isInstrumentationName } from '../../src/instrumentations/registry';

test('every registry entry is exported from the package root under its class name', (t) => {
  for (const name of INSTRUMENTATION_NAMES) {
    const entry = INSTRUMENTATIONS[name];
    const Loaded = entry.load();
    t.is(Loaded.name, entry.className, name);
    t.is((api as Record<string, unknown>)[entry.className], Loaded, `${entry.className} exported`);
    t.is(new Loaded().libraryName, name);
  }
  t.deepEqual(Object.keys(INSTRUMENTATIONS), [...INSTRUMENTATION_NAMES]);
});

test('config accepts exactly the registry names, in registry order by default', (t) => {
  const config = resolveConfig({ serviceName: 'x', strict: true }, {});
  t.deepEqual(config.instrumentations, [...INSTRUMENTATION_NAMES]);
  t.true(isInstrumentationName('http'));
  t.false(isInstrumentationName('kafka'));
  t.throws(() => resolveConfig({ serviceName: 'x', strict: true, instrumentations: ['kafka' as never] }, {}));
});
