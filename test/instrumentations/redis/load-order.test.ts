/**
 * node-redis required before the agent started (fixtures/redis/load-order-probe.ts, a fresh process
 * per major): the already-loaded module is patched in place, so named commands, MULTI and connect
 * of clients created before and after enable() are CACHE elements, with no warning.
 */
import * as path from 'node:path';
import { runProbe } from '../../../fixtures/child-probe';
import { REDIS_URL, serviceTest } from '../../../fixtures/db/services';

const PROBE = path.join(__dirname, '../../../fixtures/redis/load-order-probe.ts');

const redisTest = serviceTest('Redis', REDIS_URL, 6379);

for (const major of [4, 5]) {
  redisTest(`node-redis ${major} loaded before enable(): patched in place, commands recorded, no warning`, async (t) => {
    process.env.REDIS_URL = REDIS_URL;
    const result = await runProbe<{ elements: string[]; warnings: string[] }>(PROBE, [String(major)], 90_000);
    t.deepEqual([...result.elements].sort(), ['redis CONNECT x2', 'redis EXISTS x1', 'redis GET x1', 'redis MULTI TTL x1']);
    t.deepEqual(result.warnings, []);
  });
}
