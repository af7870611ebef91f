/**
 * CKIORedisInstrumentation against the real Redis server: the same command sequence (plain,
 * MULTI, pipeline, binary, large values, errors) gives the same results with and without the
 * agent; spans carry the upper-cased command, write-command values never leave the process,
 * CACHE elements land under the request's path, and commands outside a request make no span
 * (upstream's requireParentSpan default).
 */
import { startTestAgent, spansWhere } from '../../fixtures/db/agent-harness';
import { REDIS_URL, serviceTest, uniqueName } from '../../fixtures/db/services';
import { CKIORedisInstrumentation, redisStatement } from '../../src/instrumentations/ioredis';
import test from 'ava';

const redisTest = serviceTest('Redis', REDIS_URL, 6379);

const harness = startTestAgent();
const instrumentation = new CKIORedisInstrumentation();
instrumentation.enable();

const Redis = (require('ioredis') as { default: typeof import('ioredis').default }).default;

const prefix = uniqueName('ck_redis');
const SECRET = 'value-that-must-stay-secret';

interface Outcome {
  step: string;
  value?: unknown;
  error?: string;
}

function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null, (_k, v) => (v && v.type === 'Buffer' ? `hex:${Buffer.from(v.data).toString('hex')}` : v))
  );
}

async function runSequence(): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      out.push({ step: name, value: plain(await fn()) });
    } catch (err) {
      out.push({ step: name, error: String((err as Error).message) });
    }
  };
  const redis = new Redis(REDIS_URL);
  const k = (name: string) => `${prefix}:${name}`;
  try {
    await step('set', () => redis.set(k('a'), SECRET));
    await step('get', () => redis.get(k('a')));
    await step('set with expiry', () => redis.set(k('b'), SECRET, 'EX', 60));
    await step('mset/mget', async () => [await redis.mset(k('m1'), SECRET, k('m2'), 'two'), await redis.mget(k('m1'), k('m2'), k('none'))]);
    await step('hash', async () => [await redis.hset(k('h'), 'password', SECRET, 'n', '1'), await redis.hgetall(k('h'))]);
    await step('list', async () => [await redis.lpush(k('l'), SECRET, 'x'), await redis.lrange(k('l'), 0, -1)]);
    await step('incr', async () => [await redis.incr(k('c')), await redis.incrby(k('c'), 5)]);
    await step('multi', () => redis.multi().set(k('t'), SECRET).get(k('t')).incr(k('c')).exec());
    await step('pipeline', () => redis.pipeline().get(k('a')).get(k('t')).del(k('t')).exec());
    await step('binary', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255, 0x80]);
      await redis.set(Buffer.from([0xff, 0x00, 0x01]), bytes);
      const back = await redis.getBuffer(Buffer.from([0xff, 0x00, 0x01]));
      await redis.del(Buffer.from([0xff, 0x00, 0x01]));
      return back;
    });
    await step('large value', async () => {
      const big = 'x'.repeat(1024 * 1024);
      await redis.set(k('big'), big);
      return (await redis.get(k('big')))?.length;
    });
    await step('wrong type', () => redis.lpush(k('a'), 'x'));
    await step('unknown command', () => redis.call('NOSUCHCOMMAND', 'x'));
    await step('eval', () => redis.eval('return ARGV[1]', 0, SECRET));
    await step('after errors', () => redis.ping());
  } finally {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  return out;
}

redisTest.serial('the app gets the same results and errors with and without the agent', async (t) => {
  instrumentation.disable();
  const without = await runSequence();
  instrumentation.enable();
  const { result: withAgent } = await harness.inRequest('/redis/sequence', runSequence);
  t.deepEqual(withAgent, without);
  t.regex(String(without.find((o) => o.step === 'wrong type')?.error), /WRONGTYPE/);
  t.is(without.find((o) => o.step === 'large value')?.value, 1024 * 1024);
});

redisTest.serial('spans: command names, write values truncated, MULTI and pipeline marked', async (t) => {
  const { spans } = await harness.flush();
  const mine = spansWhere(spans, (a) => a['db.system.name'] === 'redis' && String(a['db.query.text']).includes(prefix));
  t.true(mine.length > 10);
  for (const span of spans) t.false(JSON.stringify(span).includes(SECRET), `no stored value in span ${span.name}`);
  const set = mine.find((s) => s.attributes['db.query.text'] === `set ${prefix}:a [1 other arguments]`);
  t.is(set?.attributes['db.operation.name'], 'SET');
  const get = mine.find((s) => s.attributes['db.query.text'] === `get ${prefix}:a`);
  t.is(get?.attributes['db.operation.name'], 'GET');
  t.truthy(mine.find((s) => s.attributes['db.operation.name'] === 'MULTI SET'));
  t.truthy(mine.find((s) => s.attributes['db.operation.name'] === 'PIPELINE GET'));
  const wrong = mine.find((s) => s.attributes['db.query.text'] === `lpush ${prefix}:a [1 other arguments]`);
  t.is(wrong?.status.code, 2);
  const evalSpan = spansWhere(spans, (a) => a['db.operation.name'] === 'EVAL');
  t.is(evalSpan[0]?.attributes['db.query.text'], 'eval [3 arguments]');
  t.truthy(spansWhere(spans, (a) => String(a['db.query.text']).startsWith('set [binary 3 bytes]')).length);
});

redisTest.serial('CACHE elements under the request path key; errors counted; no span outside a request', async (t) => {
  const redis = new Redis(REDIS_URL);
  const key = `${prefix}:elements`;
  try {
    await redis.set(`${prefix}:outside`, '1'); // outside any request: requireParentSpan (upstream default)
    const { pathKey } = await harness.inRequest('/redis/elements', async () => {
      await redis.set(key, 'v');
      await redis.get(key);
      await redis.get(key);
      await redis.lpush(key, 'x').catch(() => undefined);
    });
    const { spans, paths } = await harness.flush();
    const mine = paths.filter((p) => p.pathKey === pathKey && p.element.type === 'CACHE');
    t.is(mine.find((p) => p.element.name === 'redis GET')?.calls, 2);
    t.is(mine.find((p) => p.element.name === 'redis SET')?.calls, 1);
    t.is(mine.find((p) => p.element.name === 'redis LPUSH')?.errors, 1);
    t.is(spansWhere(spans, (a) => String(a['db.query.text']).includes(`${prefix}:outside`)).length, 0);
  } finally {
    await redis.del(key, `${prefix}:outside`);
    redis.disconnect();
  }
});

redisTest.serial('connection refused and a connection killed mid-command: same outcome with and without the agent', async (t) => {
  const refused = async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return 'connected';
    } catch (err) {
      return String((err as Error).message).includes('ECONNREFUSED') ? 'ECONNREFUSED' : String((err as Error).message);
    } finally {
      redis.disconnect();
    }
  };
  const killed = async () => {
    const victim = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const killer = new Redis(REDIS_URL);
    victim.on('error', () => undefined);
    try {
      const id = await victim.client('ID');
      const running = victim.blpop(`${prefix}:never`, 30).then(
        (v) => `value:${String(v)}`,
        (err) => String((err as Error).message)
      );
      for (let i = 0; i < 200; i++) {
        const list = String(await killer.client('LIST'));
        if (list.split('\n').some((line) => line.includes(`id=${id} `) && line.includes('cmd=blpop'))) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await killer.client('KILL', 'ID', String(id));
      return await running;
    } finally {
      victim.disconnect();
      killer.disconnect();
    }
  };
  instrumentation.disable();
  const baseline = [await refused(), await killed()];
  instrumentation.enable();
  const { result } = await harness.inRequest('/redis/bad', async () => [await refused(), await killed()]);
  t.deepEqual(result, baseline);
  t.not(baseline[0], 'connected');
  t.not(baseline[1], 'value:null');
});

test('redisStatement: reads keep keys, writes keep the key only, credentials never', (t) => {
  t.is(redisStatement('get', ['k']), 'get k');
  t.is(redisStatement('mget', ['a', 'b']), 'mget a b');
  t.is(redisStatement('set', ['k', 'secret', 'EX', 10]), 'set k [3 other arguments]');
  t.is(redisStatement('hset', ['h', 'f', 'secret']), 'hset h [2 other arguments]');
  t.is(redisStatement('auth', ['user', 'pw']), 'auth [2 arguments]');
  t.is(redisStatement('hello', [3, 'AUTH', 'u', 'pw']), 'hello [4 arguments]');
  t.is(redisStatement('ping', []), 'ping');
  t.is(redisStatement('get', [Buffer.from([0xff, 0xfe])]), 'get [binary 2 bytes]');
  t.is(redisStatement('get', ['k'.repeat(500)]).length, 'get '.length + 128 + 1);
  t.true(
    redisStatement(
      'mget',
      Array.from({ length: 10000 }, (_, i) => `key${i}`),
      200
    ).length <= 200
  );
});
