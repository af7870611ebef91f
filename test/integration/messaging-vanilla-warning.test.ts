/**
 * amqplib and kafkajs beside a vanilla sdk-node (docs/coexistence.md, Limits): ck-agent cannot
 * keep both instrumentations' wrappers there, so it warns, once per library, naming the vanilla
 * instrumentation and the fix - in either start order - and says nothing when the vanilla ones
 * are disabled as the fix says, or absent (fixtures/messaging/vanilla-probe.ts).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = path.join(ROOT, 'fixtures', 'messaging', 'vanilla-probe.ts');

function warnings(mix: string): string[] {
  const result = spawnSync(process.execPath, ['--import', 'tsx', PROBE], {
    cwd: ROOT,
    env: { ...process.env, MIX: mix, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`probe exited with ${result.status}: ${result.stderr}`);
  return result.stderr.split('\n').filter((line) => /\[ck-agent\] (warn|error)/.test(line));
}

for (const mix of ['sdk-first', 'ck-first'] as const) {
  test(`vanilla amqplib and kafkajs ${mix}: one warning each, naming the instrumentation and the fix`, (t) => {
    const lines = warnings(mix);
    for (const library of ['amqplib', 'kafkajs']) {
      const name = `@opentelemetry/instrumentation-${library}`;
      const mine = lines.filter((line) => line.includes(name));
      t.is(mine.length, 1, lines.join('\n'));
      t.true(mine[0].includes(`Fix: getNodeAutoInstrumentations({ '${name}': { enabled: false } })`), mine[0]);
    }
    t.is(lines.length, 2, lines.join('\n'));
  });
}

for (const mix of ['none', 'ck-first-off'] as const) {
  test(`vanilla amqplib and kafkajs ${mix === 'none' ? 'absent' : 'disabled as the fix says'}: no warning`, (t) => {
    t.deepEqual(warnings(mix), []);
  });
}
