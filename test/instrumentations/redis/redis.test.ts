/**
 * CKRedisInstrumentation against the real Redis server, with node-redis 4 and 5: inside a CK HTTP
 * request (a real server under CKHttpInstrumentation) every command is a CACHE element under that
 * request's path key, named as for ioredis (`redis GET`, `redis MULTI SET`, `redis PIPELINE GET`,
 * `redis CONNECT`); a failing command counts as an error; write values never leave the process;
 * commands and connects outside a request create no span; the app gets the same results and
 * errors with and without the agent.
 */
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { startTestAgent, spansWhere } from '../../../fixtures/db/agent-harness';
import { REDIS_URL, serviceTest, uniqueName } from '../../../fixtures/db/services';
import { clientVersion, loadRedis, REDIS_MAJORS, type RedisMajor } from '../../../fixtures/redis/clients';
import { getPathKey } from '../../../src/graph';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import { CKRedisInstrumentation } from '../../../src/instrumentations/redis';

const redisTest = serviceTest('Redis', REDIS_URL, 6379);

const harness = startTestAgent();
new CKHttpInstrumentation().enable();
const instrumentation = new CKRedisInstrumentation();
instrumentation.enable();

const SECRET = 'value-that-must-stay-secret';

interface Outcome {
  step: string;
  value?: unknown;
  error?: string;
}

/** The same commands for both majors: plain, failing, MULTI, a failing MULTI, a pipeline, a connect. */
async function runSequence(major: RedisMajor, prefix: string): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      out.push({ step: name, value: JSON.parse(JSON.stringify(await fn())) as unknown });
    } catch (err) {
      out.push({ step: name, error: `${(err as Error).constructor.name}: ${(err as Error).message}` });
    }
  };
  const client = loadRedis(major).createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  const k = (name: string) => `${prefix}:${name}`;
  try {
    await step('connect', () => client.connect().then(() => 'connected'));
    await step('set', () => client.set(k('a'), SECRET));
    await step('get', () => client.get(k('a')));
    await step('raw get', () => client.sendCommand(['get', k('a')]));
    await step('hash', async () => [await client.hSet(k('h'), { password: SECRET, n: '1' }), await client.hGetAll(k('h'))]);
    await step('wrong type', () => client.lPush(k('a'), 'x'));
    await step('multi', () => client.multi().set(k('t'), SECRET).get(k('t')).incr(k('c')).exec());
    await step('failing multi', () => client.multi().set(k('u'), 'v').lPush(k('u'), 'x').exec());
    await step('pipeline', () => client.multi().get(k('a')).get(k('t')).execAsPipeline());
    await step('after errors', () => client.ping());
  } finally {
    await client.del([k('a'), k('h'), k('t'), k('c'), k('u')]);
    await client.quit();
  }
  return out;
}

/** A real HTTP server: each request runs the sequence and answers with its own path key. */
async function startApp(): Promise<{ port: number; close(): void }> {
  const server = http.createServer((req, res) => {
    const [, , majorText, prefix] = (req.url ?? '').split('/');
    const pathKey = getPathKey(context.active());
    runSequence(Number(majorText) as RedisMajor, prefix).then(
      (outcomes) => res.end(JSON.stringify({ pathKey, outcomes })),
      (err: unknown) => res.end(JSON.stringify({ pathKey, error: String(err) }))
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function get(port: number, urlPath: string): Promise<{ pathKey: string; outcomes: Outcome[] }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(JSON.parse(body) as { pathKey: string; outcomes: Outcome[] }));
      })
      .on('error', reject);
  });
}

test('the two majors resolve to @redis/client 1.x and 5.x', (t) => {
  t.regex(clientVersion(4), /^1\./);
  t.regex(clientVersion(5), /^5\./);
});

for (const major of REDIS_MAJORS) {
  redisTest.serial(`node-redis ${major}: CACHE elements under the HTTP request's path key, errors, MULTI, pipeline, connect`, async (t) => {
    const app = await startApp();
    t.teardown(() => app.close());
    const prefix = uniqueName(`ck_noderedis${major}`);
    const { pathKey, outcomes } = await get(app.port, `/redis/${major}/${prefix}`);
    t.regex(pathKey, /^[0-9a-f]{16}$/);
    t.regex(String(outcomes.find((o) => o.step === 'wrong type')?.error), /WRONGTYPE/);

    const { spans, paths } = await harness.flush();
    const mine = paths.filter((p) => p.pathKey === pathKey && p.element.type === 'CACHE');
    const element = (name: string) => mine.find((p) => p.element.name === name);
    t.is(element('redis CONNECT')?.calls, 1);
    t.is(element('redis SET')?.calls, 1);
    t.is(element('redis GET')?.calls, 2, 'client.get and sendCommand([get]) alike');
    t.is(element('redis HSET')?.calls, 1);
    t.is(element('redis LPUSH')?.errors, 1, 'the failing command is an error');
    t.is(element('redis MULTI SET')?.calls, 2);
    t.is(element('redis MULTI GET')?.calls, 1);
    t.is(element('redis MULTI INCR')?.calls, 1);
    t.is(element('redis MULTI LPUSH')?.errors, 1, 'the failing command of a MULTI is an error');
    t.is(element('redis PIPELINE GET')?.calls, 2);
    t.is(element('redis PING')?.calls, 1);
    const entry = paths.find((p) => p.pathKey === pathKey && p.element.type === 'HTTP_SERVICE');
    t.truthy(entry, 'the request itself is the entry of this path');
    for (const p of mine) t.is(p.parentKey, entry?.parentKey ?? '');

    const commandSpans = spansWhere(spans, (a) => String(a['db.query.text']).includes(prefix));
    t.true(commandSpans.length >= 12);
    for (const span of spans) t.false(JSON.stringify(span).includes(SECRET), `no stored value in span ${span.name}`);
    t.truthy(commandSpans.find((s) => s.attributes['db.query.text'] === `SET ${prefix}:a [1 other arguments]`));
    t.truthy(commandSpans.find((s) => s.attributes['db.query.text'] === `get ${prefix}:a` && s.attributes['db.operation.name'] === 'GET'));
    t.truthy(commandSpans.find((s) => s.attributes['db.query.text'] === `HSET ${prefix}:h [4 other arguments]`));
  });

  redisTest.serial(`node-redis ${major}: no span outside a request (connect and commands); same results without the agent`, async (t) => {
    const before = await harness.flush();
    const newSpans = async () => (await harness.flush()).spans.slice(before.spans.length);
    const outside = await runSequence(major, uniqueName(`ck_outside${major}`));
    t.deepEqual(
      (await newSpans()).map((s) => s.name),
      [],
      'requireParentSpan (default true, as for ioredis)'
    );

    instrumentation.disable();
    try {
      const withoutAgent = await harness.inRequest('/redis/disabled', () => runSequence(major, uniqueName(`ck_off${major}`)));
      t.deepEqual(
        (await newSpans()).map((s) => s.name),
        ['GET /redis/disabled'],
        'disabled: no redis span, not even for connect'
      );
      const withAgent = await harness.inRequest('/redis/enabled', async () => {
        instrumentation.enable();
        return runSequence(major, uniqueName(`ck_on${major}`));
      });
      const strip = (outcomes: Outcome[]) => JSON.stringify(outcomes).replace(/ck_(off|on|outside)\d_\d+_[a-z0-9]+/g, 'P');
      t.is(strip(withAgent.result), strip(withoutAgent.result));
      t.is(strip(outside), strip(withoutAgent.result));
      const connects = (await newSpans()).filter((s) => s.attributes['db.operation.name'] === 'CONNECT');
      t.is(connects.length, 1, 'one connect span after disable/enable (no stacked wrappers)');
      t.is(connects[0]?.attributes['ck.path.key'], withAgent.pathKey);
    } finally {
      instrumentation.enable();
    }
  });
}
