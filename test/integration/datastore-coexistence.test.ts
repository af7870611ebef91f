/**
 * ck-agent's datastore instrumentations (pg, node-redis, ioredis, mysql2, mongodb) beside a
 * vanilla sdk-node with getNodeAutoInstrumentations() defaults, started before and after ck-agent
 * (docs/coexistence.md, "Datastore drivers"; src/instrumentations/coexist-wrap.ts): in every
 * order the same CK elements under the request's key as without sdk-node, the vanilla db spans
 * still made and never children of the CK span of the same call, and no agent warning.
 * Real PostgreSQL, Redis and MariaDB; mongodb against the wire-protocol server in fixtures/mongo.
 */
import * as path from 'path';
import { send, startFixture, type PathLine } from '../../fixtures/http/harness';
import { MYSQL_URL, PG_URL, REDIS_URL, serviceTest, tcpReachable } from '../../fixtures/db/services';

const APP = path.join(__dirname, '..', '..', 'fixtures', 'datastore-mix', 'app.ts');
const REQUESTS = 3;
const pgTest = serviceTest('PostgreSQL', PG_URL, 5432);
const withMysql = tcpReachable(MYSQL_URL, 3306);

/** What each library's vanilla span name starts with (sdk-node's scope suffix -> name). */
const VANILLA_DB_SPANS: Array<[scope: string, name: RegExp]> = [
  ['pg', /^pg\.query/],
  ['redis', /^redis-(SET|GET)$/],
  ['ioredis', /^get$/],
  ['mongodb', /^find /],
  ...(withMysql ? ([['mysql2', /^SELECT/]] as Array<[string, RegExp]>) : []),
];

interface VanillaSpan {
  name: string;
  scope: string;
  parentSpanId?: string;
}

for (const order of ['none', 'sdk-first', 'ck-first'] as const) {
  pgTest.serial(`datastores, vanilla auto-instrumentations ${order}: CK elements under the request key`, async (t) => {
    t.timeout(240_000);
    const f = await startFixture({
      instrumented: true,
      app: APP,
      env: {
        MIX_ORDER: order,
        PG_URL,
        REDIS_URL,
        MYSQL_URL: withMysql ? MYSQL_URL : '',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    try {
      for (let i = 1; i <= REQUESTS; i++) {
        const res = await send(f.ports.express, { path: `/work/${i}` });
        t.is(res.status, 200, res.body.toString());
        t.deepEqual(JSON.parse(res.body.toString()), { cached: '1', io: '1', id: i, my: 1, docs: 0 });
      }
      await send(f.ports.express, { method: 'POST', path: '/__flush' });
      const rows = f.paths();
      const entries = rows.filter((r) => r.element.type === 'HTTP_SERVICE' && r.element.name === 'GET /work/:id');
      t.deepEqual(
        entries.map((r) => r.calls),
        [REQUESTS],
        'one CK server element per request'
      );
      const key = entries[0].pathKey;
      const exits = (type: string, name: string): PathLine[] =>
        rows.filter((r) => r.element.type === type && r.element.name === name && r.pathKey === key);
      const calls = (type: string, name: string): number => exits(type, name).reduce((n, r) => n + r.calls, 0);
      t.is(calls('CACHE', 'redis SET'), REQUESTS, 'node-redis SET');
      t.is(calls('CACHE', 'redis GET'), 2 * REQUESTS, 'node-redis GET and ioredis GET');
      t.is(calls('DATABASE', 'SELECT'), (withMysql ? 2 : 1) * REQUESTS, 'pg (and mysql2) SELECT');
      t.is(calls('DATABASE', 'FIND items'), REQUESTS, 'mongodb find');
      const outside = rows.filter((r) => r.element.type !== 'HTTP_SERVICE' && r.pathKey !== key);
      t.deepEqual(
        outside.map((r) => `${r.element.type} ${r.element.name}`),
        [],
        'nothing outside the request (connects at startup included)'
      );

      if (order !== 'none') {
        const vanilla = JSON.parse((await send(f.ports.express, { path: '/__vanilla' })).body.toString()) as VanillaSpan[];
        const ckClientSpans = new Set(
          f
            .spans()
            .filter((s) => s.kind === 'CLIENT')
            .map((s) => s.spanId)
        );
        t.true(ckClientSpans.size > 0, 'CK client spans are in the span file');
        for (const [scope, name] of VANILLA_DB_SPANS) {
          const spans = vanilla.filter((s) => s.scope === `@opentelemetry/instrumentation-${scope}` && name.test(s.name));
          t.true(spans.length >= REQUESTS, `vanilla ${scope} spans still made: ${JSON.stringify(spans.map((s) => s.name))}`);
          // Whichever wrapper is outermost, the vanilla span's parent is what the app's call ran
          // in, never the CK span of the same call (sdk-node never exports CK spans).
          t.false(
            spans.some((s) => s.parentSpanId !== undefined && ckClientSpans.has(s.parentSpanId)),
            `vanilla ${scope} spans are not children of CK client spans`
          );
        }
      }
      if (order !== 'none') {
        // sdk-node's datastore instrumentations disabled while the app runs on: their wrappers go, CK's stay.
        t.is((await send(f.ports.express, { method: 'POST', path: '/__vanilla_disable' })).status, 200);
        for (let i = 1; i <= REQUESTS; i++) t.is((await send(f.ports.express, { path: `/work/${i}` })).status, 200);
        await send(f.ports.express, { method: 'POST', path: '/__flush' });
        const after = f.paths().filter((r) => r.pathKey === key && r.element.type !== 'HTTP_SERVICE');
        const total = (type: string, name: string): number =>
          after.filter((r) => r.element.type === type && r.element.name === name).reduce((n, r) => n + r.calls, 0);
        t.is(total('CACHE', 'redis SET'), 2 * REQUESTS, 'node-redis after vanilla disable()');
        t.is(total('DATABASE', 'SELECT'), (withMysql ? 2 : 1) * 2 * REQUESTS, 'pg (and mysql2) after vanilla disable()');
        t.is(total('DATABASE', 'FIND items'), 2 * REQUESTS, 'mongodb after vanilla disable()');
      }
      t.notRegex(f.stderr, /\[ck-agent\] (warn|error)/, 'no agent warning');
    } finally {
      await f.stop();
    }
  });
}
