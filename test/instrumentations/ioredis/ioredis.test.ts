/**
 * CKIORedisInstrumentation configuration: requireParentSpan false records commands outside a
 * request under the root path; a user serializer replaces ours; user hooks chained.
 */
import type { Span } from '@opentelemetry/api';
import { startTestAgent, spansWhere } from '../../../fixtures/db/agent-harness';
import { REDIS_URL, serviceTest, uniqueName } from '../../../fixtures/db/services';
import { ROOT_KEY } from '../../../src/graph/types';
import { CKIORedisInstrumentation } from '../../../src/instrumentations/ioredis';
import { captureAgentLog } from '../../../fixtures/agent-log';

const agentLog = captureAgentLog();

const redisTest = serviceTest('Redis', REDIS_URL, 6379);
const harness = startTestAgent();
const userHookSaw: unknown[] = [];
const instrumentation = new CKIORedisInstrumentation({
  requireParentSpan: false,
  dbStatementSerializer: (cmdName, cmdArgs) => `${cmdName} custom ${cmdArgs.length}`,
  requestHook: (span: Span) => {
    userHookSaw.push((span as unknown as { attributes: Record<string, unknown> }).attributes['db.operation.name']);
    throw new Error('user hook failure is isolated');
  },
});
instrumentation.enable();

const Redis = (require('ioredis') as { default: typeof import('ioredis').default }).default;

redisTest('outside a request with requireParentSpan false: recorded under the root path; user serializer and hooks', async (t) => {
  const redis = new Redis(REDIS_URL);
  const key = uniqueName('ck_redis_cfg');
  try {
    t.is(await redis.set(key, 'v'), 'OK');
    t.is(await redis.get(key), 'v');
    const { spans, paths } = await harness.flush();
    const get = spansWhere(spans, (a) => a['db.operation.name'] === 'GET');
    t.is(get[0]?.attributes['db.query.text'], 'get custom 1');
    t.true(userHookSaw.includes('GET'), 'user hook ran after ours (saw the upper-cased name)');
    t.is(agentLog.matching('warn', /user ioredis requestHook hook threw \(ignored\): user hook failure is isolated/).length, 1);
    const element = paths.find((p) => p.element.name === 'redis GET');
    t.is(element?.parentKey, ROOT_KEY);
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
});
