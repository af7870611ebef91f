/**
 * The "module already loaded" routine (src/instrumentations/loaded-modules.ts): a module the app
 * loaded before enable() is patched in place, or the agent says once which module and how to fix
 * it. Each case runs in a fresh process (fixtures/load-order/probe.ts).
 */
import test from 'ava';
import * as path from 'node:path';
import { runProbe } from '../../fixtures/child-probe';
import { PG_URL, serviceTest } from '../../fixtures/db/services';

const PROBE = path.join(__dirname, '../../fixtures/load-order/probe.ts');

const pgTest = serviceTest('PostgreSQL', PG_URL, 5432);

pgTest('pg required before the agent started is patched: its query is a DATABASE element, no warning', async (t) => {
  process.env.PG_URL = PG_URL;
  const result = await runProbe<{ elements: string[]; warnings: string[] }>(PROBE, ['pg-first']);
  t.true(result.elements.includes('DATABASE SELECT'), result.elements.join(', '));
  t.true(result.elements.includes('HTTP_SERVICE GET /probe'));
  t.deepEqual(result.warnings, []);
});

test('a loaded module that cannot be patched gets one warning naming it and the fix', async (t) => {
  const result = await runProbe<{ unpatched: string[][]; warnings: string[] }>(PROBE, ['unsupported-first']);
  t.deepEqual(result.unpatched, [['shimmer'], ['shimmer']]);
  t.is(result.warnings.length, 1, 'warned once');
  t.regex(result.warnings[0], /shimmer was loaded before FutureShimmerInstrumentation\.enable\(\)/);
  t.regex(result.warnings[0], /--require ck-agent\/register/);
  t.regex(result.warnings[0], /--import ck-agent\/register/);
});
