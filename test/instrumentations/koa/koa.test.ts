/**
 * CKKoaInstrumentation with @koa/router, Koa 3 (`koa`) and Koa 2 (fixtures/koa2): the route match
 * updates the path key before the route's middleware runs (so the handler's outgoing calls carry
 * it in ck-route), `<METHOD> (unmatched)` for requests the router passed on, route middleware spans
 * only by default, user hooks chained, body capture and body-stage filters through a body parser,
 * enable → disable → enable.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { init } from '../../../src/agent';
import { registerFilter, unregisterFilter, type CKFilter } from '../../../src/filters/registry';
import { getPathKey, httpServiceElement, pathKey } from '../../../src/graph';
import { ROOT_KEY } from '../../../src/graph/types';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import { CKKoaInstrumentation } from '../../../src/instrumentations/koa';
import type { SpanLine } from '../../../fixtures/http/harness';
import { makeTempDir } from '../../../fixtures/temp-dir';

const SERVICE = 'koa-wrapper-test';
const logFile = path.join(makeTempDir('ck-koa-wrapper-'), 'spans.jsonl');
const agent = init({ serviceName: SERVICE, reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' } });
new CKHttpInstrumentation().enable();
const hookCalls: string[] = [];
const koaInstrumentation = new CKKoaInstrumentation({ requestHook: (_span, info) => hookCalls.push(info.layerType) });
koaInstrumentation.enable();

type KoaClass = typeof import('koa');
type RouterClass = typeof import('@koa/router').default;
const Router = (require('@koa/router') as { default: RouterClass }).default;
const bodyParser = (require('@koa/bodyparser') as { bodyParser: () => import('koa').Middleware }).bodyParser;

const versions: Record<string, KoaClass> = {
  koa: require('koa') as KoaClass,
  koa2: require('ck-fixture-koa2') as KoaClass,
};

const servers: http.Server[] = [];
const handlerRuns: string[] = [];
let downstreamPort = 0;
const downstreamRoutes: string[] = [];

test.before(async () => {
  const downstream = http.createServer((req, res) => {
    downstreamRoutes.push(String(req.headers['ck-route']));
    res.end('ok');
  });
  servers.push(downstream);
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  downstreamPort = (downstream.address() as { port: number }).port;
});

test.after.always(async () => {
  for (const s of servers) s.close();
  await agent.shutdown();
});

function callDownstream(): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: downstreamPort, path: '/downstream', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}

function buildApp(Koa: KoaClass): import('koa') {
  const app = new Koa();
  app.use(async (_ctx, next) => next());
  app.use(bodyParser());
  const router = new Router();
  router.get('/orders/:id', async (ctx) => {
    const keyBeforeCall = getPathKey();
    await callDownstream();
    ctx.body = { key: keyBeforeCall };
  });
  router.post('/orders', async (ctx) => {
    handlerRuns.push(String(ctx.get('x-probe')));
    ctx.body = { key: getPathKey(), received: (ctx.request as { body?: unknown }).body };
  });
  const api = new Router({ prefix: '/api' });
  api.get('/items/:id', async (ctx) => {
    ctx.body = { key: getPathKey() };
  });
  app.use(router.routes());
  app.use(api.routes());
  return app;
}

async function listen(app: import('koa')): Promise<number> {
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

interface Reply {
  status: number;
  body: string;
}

function request(port: number, method: string, urlPath: string, probe: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'x-probe': probe };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function traceOf(probe: string): Promise<SpanLine[]> {
  for (let i = 0; i < 50; i++) {
    await agent.forceFlush();
    await new Promise((r) => setTimeout(r, 20));
    const lines = fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
      : [];
    const spans = lines.map((l) => JSON.parse(l) as SpanLine);
    const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.request.header.x-probe'] === probe);
    // The handler's downstream call (a CLIENT span and the downstream's SERVER span) is left out.
    const downstream = (s: SpanLine): boolean => s.kind === 'CLIENT' || s.attributes['url.path'] === '/downstream';
    if (server) return spans.filter((s) => s.traceId === server.traceId && !downstream(s));
  }
  throw new Error(`no spans for ${probe}`);
}

const routeKey = (method: string, route: string): string => pathKey(ROOT_KEY, SERVICE, httpServiceElement(method, route));

for (const [version, Koa] of Object.entries(versions)) {
  test.serial(`${version}: the key is final before the route runs; its client call carries it`, async (t) => {
    const port = await listen(buildApp(Koa));
    const probe = `${version}-route`;
    downstreamRoutes.length = 0;
    const reply = await request(port, 'GET', '/orders/9', probe);
    const key = (JSON.parse(reply.body) as { key: string }).key;
    t.is(key, routeKey('GET', '/orders/:id'));
    t.deepEqual(downstreamRoutes, [`1-${key}-00`], 'ck-route of the handler call');
    const spans = await traceOf(probe);
    t.deepEqual(spans.map((s) => s.kind).sort(), ['INTERNAL', 'SERVER'], 'one router span, no middleware spans');
    const server = spans.find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['http.route'], '/orders/:id');
    t.is(server.attributes['ck.path.key'], key);
    t.is(server.attributes['ck.http.framework'], 'koa');
    t.true(hookCalls.includes('router'), 'user requestHook chained');
  });

  test.serial(`${version}: prefixed router route`, async (t) => {
    const port = await listen(buildApp(Koa));
    const reply = await request(port, 'GET', '/api/items/5', `${version}-prefixed`);
    t.is((JSON.parse(reply.body) as { key: string }).key, routeKey('GET', '/api/items/:id'));
  });

  test.serial(`${version}: a URL no route matches is '<METHOD> (unmatched)'`, async (t) => {
    const port = await listen(buildApp(Koa));
    const probe = `${version}-unmatched`;
    const reply = await request(port, 'DELETE', '/nope/4f1c2a9be07d3318/x', probe);
    t.is(reply.status, 404);
    const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['http.route'], undefined);
    t.is(server.attributes['ck.path.key'], routeKey('DELETE', '(unmatched)'));
  });

  test.serial(`${version}: the body is captured through the body parser`, async (t) => {
    const port = await listen(buildApp(Koa));
    const probe = `${version}-body`;
    const reply = await request(port, 'POST', '/orders', probe, '{"item":"book"}');
    t.is(reply.status, 200);
    t.deepEqual((JSON.parse(reply.body) as { received: unknown }).received, { item: 'book' });
    const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['http.request.body'], '{"item":"book"}');
    t.is(server.attributes['ck.path.key'], routeKey('POST', '/orders'));
  });

  test.serial(`${version}: a body-stage filter blocks before the route runs`, async (t) => {
    const filter: CKFilter = { name: 'deny-drop', evaluateBodyAndHeaders: (_span, _headers, body) => body.includes('DROP TABLE') };
    registerFilter(filter);
    try {
      const port = await listen(buildApp(Koa));
      const probe = `${version}-blocked`;
      const reply = await request(port, 'POST', '/orders', probe, '{"q":"x; DROP TABLE users"}');
      t.is(reply.status, 403);
      t.is(reply.body, '');
      const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
      t.is(server.attributes['ck.blocked.by'], 'deny-drop');
      t.false(handlerRuns.includes(probe), 'the route never ran');
      const clean = await request(port, 'POST', '/orders', `${version}-clean`, '{"q":"fine"}');
      t.is(clean.status, 200);
    } finally {
      unregisterFilter(filter);
    }
  });
}

test.serial('disable → enable', async (t) => {
  koaInstrumentation.disable();
  t.false(koaInstrumentation.isEnabled());
  const plainPort = await listen(buildApp(versions.koa));
  const plain = await request(plainPort, 'GET', '/api/items/3', 'disabled');
  t.is((JSON.parse(plain.body) as { key: string }).key, routeKey('GET', '/api/items/{id}'), 'no route match: template key');
  t.deepEqual(
    (await traceOf('disabled')).map((s) => s.kind),
    ['SERVER']
  );

  koaInstrumentation.enable();
  const againPort = await listen(buildApp(versions.koa2));
  const again = await request(againPort, 'GET', '/api/items/3', 'enabled-again');
  t.is((JSON.parse(again.body) as { key: string }).key, routeKey('GET', '/api/items/:id'));
  t.is((await traceOf('enabled-again')).length, 2);
});
