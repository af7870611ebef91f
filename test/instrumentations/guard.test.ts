/**
 * The one guard around CK hooks (src/instrumentations/guard.ts): a throwing hook never reaches the
 * app, is logged once per kind, and is counted in the self-metric ck.agent.hook.errors (read here
 * from a real Prometheus scrape of a real agent).
 */
import test from 'ava';
import * as http from 'node:http';
import { init } from '../../src/agent';
import { chainHooks, guardHook, reportHookError } from '../../src/instrumentations/guard';
import { logger, type LogLevel } from '../../src/logger';
import { freePort } from '../metrics/helpers';

const lines: Array<[LogLevel, string]> = [];
logger.setSink((level, message) => lines.push([level, message]));

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test.serial('a throwing hook returns undefined, is logged once per kind and counted', async (t) => {
  const port = await freePort();
  const agent = init({
    serviceName: 'guard-test',
    metrics: { prometheusPort: port, prometheusHost: '127.0.0.1' },
    reporting: { metricReporterType: 'PROMETHEUS' },
  });
  try {
    lines.length = 0;
    const hook = guardHook('test hook', (value: number) => {
      if (value > 1) throw new Error(`too big: ${value}`);
      return value * 2;
    });
    t.is(hook(1), 2);
    t.is(hook(2), undefined);
    t.is(hook(3), undefined);
    reportHookError('another kind', new Error('x'));
    const warnings = lines.filter(([level]) => level === 'warn').map(([, message]) => message);
    t.deepEqual(warnings.length, 2, 'one line per kind');
    t.regex(warnings[0], /ck-agent test hook failed and was skipped \(the app is not affected\): too big: 2/);
    const body = await scrape(port);
    t.regex(
      body,
      /^ck_agent_hook_errors_total(\{[^}]*\})? 3$/m,
      body
        .split('\n')
        .filter((l) => l.includes('hook'))
        .join('\n')
    );
  } finally {
    await agent.shutdown();
  }
});

test.serial('chained hooks: ours first, then the user hook; each failure isolated', (t) => {
  lines.length = 0;
  const calls: string[] = [];
  const hook = chainHooks(
    'chained',
    (x: string) => {
      calls.push(`ours ${x}`);
      throw new Error('ours broke');
    },
    (x: string) => {
      calls.push(`user ${x}`);
      throw new Error('user broke');
    }
  );
  t.notThrows(() => hook('a'));
  t.deepEqual(calls, ['ours a', 'user a']);
  const warnings = lines.map(([, message]) => message);
  t.true(warnings.some((m) => m.includes('ck-agent chained failed')));
  t.true(warnings.some((m) => m.includes('user chained hook threw (ignored): user broke')));
  const ours = (y: string) => void calls.push(y);
  t.not(chainHooks('alone', ours, undefined), ours, 'ours is still guarded without a user hook');
});
