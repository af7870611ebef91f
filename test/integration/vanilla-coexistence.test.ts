/**
 * ck-agent (CK http + express + undici) beside a vanilla sdk-node (docs/coexistence.md), in both
 * start orders, with getNodeAutoInstrumentations() defaults and with subsets of the vanilla
 * http / express / undici instrumentations: one CK server element per request named from the
 * Express route (also for a handler that makes no call), ck-route with the request's final key
 * on http.get and fetch, client elements under the request's key, vanilla spans still made, and
 * no agent warning.
 */
import test from 'ava';
import * as path from 'path';
import { send, startFixture, type Fixture } from '../../fixtures/http/harness';

const APP = path.join(__dirname, '..', '..', 'fixtures', 'http', 'vanilla-mix-app.ts');
const REQUESTS = 3;

const CASES: Array<[vanilla: string, order: 'ck-first' | 'sdk-first']> = [
  ['auto', 'ck-first'],
  ['auto', 'sdk-first'],
  // vanilla http patched first sits below ours and hides our span and RPC metadata
  ['http,express,undici', 'sdk-first'],
  // vanilla express enabled last replaces ours: the route comes from the RPC metadata
  ['express', 'ck-first'],
];

for (const [vanilla, order] of CASES) {
  test(`${vanilla} vanilla, ${order}: paths as without it`, async (t) => {
    const f: Fixture = await startFixture({
      instrumented: true,
      app: APP,
      env: {
        MIX_ORDER: order,
        MIX_VANILLA: vanilla,
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    try {
      const routes: unknown[] = [];
      for (let i = 1; i <= REQUESTS; i++) {
        const res = await send(f.ports.express, { path: `/orders/${i}` });
        t.is(res.status, 200, res.body.toString());
        routes.push(JSON.parse(res.body.toString()));
        t.is((await send(f.ports.express, { path: `/ping/${i}` })).status, 200);
      }
      await send(f.ports.express, { method: 'POST', path: '/__flush' });
      const rows = f.paths();
      const entries = rows.filter((r) => r.element.type === 'HTTP_SERVICE' && r.element.name.startsWith('GET /orders'));
      t.deepEqual(
        entries.map((r) => [r.element.name, r.calls]),
        [['GET /orders/:id', REQUESTS]],
        'one CK server element per request, named from the route'
      );
      const key = entries[0].pathKey;
      const ping = rows.filter((r) => r.element.type === 'HTTP_SERVICE' && r.element.name.startsWith('GET /ping'));
      t.deepEqual(
        ping.map((r) => [r.element.name, r.calls]),
        [['GET /ping/:id', REQUESTS]],
        'named from the route without any call'
      );
      for (const body of routes) t.deepEqual(body, { viaHttp: { route: `1-${key}-00` }, viaFetch: { route: `1-${key}-00` } });
      const clients = rows.filter((r) => r.element.type === 'HTTP_CLIENT');
      t.deepEqual(clients.map((r) => [r.element.name.replace(/:\d+/, ':PORT'), r.pathKey, r.calls]).sort(), [
        ['GET 127.0.0.1:PORT/prices/{id}', key, REQUESTS],
        ['GET 127.0.0.1:PORT/stock/{id}', key, REQUESTS],
      ]);
      const downstream = rows.filter((r) => r.element.type === 'HTTP_SERVICE' && /stock|prices/.test(r.element.name));
      t.true(downstream.length === 2 && downstream.every((r) => r.parentKey === key), 'the called server continues the path');

      const vanillaSpans = JSON.parse((await send(f.ports.express, { path: '/__vanilla' })).body.toString()) as Array<{
        kind: number;
        scope: string;
      }>;
      // Express: the instrumentation enabled last owns the Router patch (docs/coexistence.md).
      if (order === 'ck-first' && (vanilla === 'auto' || vanilla.includes('express')))
        t.true(
          vanillaSpans.some((s) => s.scope.includes('express')),
          'vanilla express spans'
        );
      if (vanilla.includes('undici') || vanilla === 'auto')
        t.true(
          vanillaSpans.some((s) => s.scope.includes('undici')),
          'vanilla fetch spans'
        );
      if (vanilla.includes('http') && order === 'sdk-first')
        t.true(
          vanillaSpans.some((s) => s.kind === 1),
          'vanilla server spans'
        );
      t.notRegex(f.stderr, /\[ck-agent\] (warn|error)/);
    } finally {
      await f.stop();
    }
  });
}
