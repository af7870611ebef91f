/**
 * CKFastifyInstrumentation (@fastify/otel), Fastify 5 (`fastify`) and Fastify 4
 * (fixtures/fastify4): the route is known in the first onRequest hook, so the key is final before
 * the app's hooks and handler run (the handler's outgoing call carries it in ck-route);
 * `<METHOD> (unmatched)` for the not-found handler; hook spans off by default; user hooks
 * chained; body capture and body-stage filters through Fastify's own body parser;
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
import { CKFastifyInstrumentation } from '../../../src/instrumentations/fastify';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import type { SpanLine } from '../../../fixtures/http/harness';
import { makeTempDir } from '../../../fixtures/temp-dir';

const SERVICE = 'fastify-wrapper-test';
const logFile = path.join(makeTempDir('ck-fastify-wrapper-'), 'spans.jsonl');
const agent = init({ serviceName: SERVICE, reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' } });
new CKHttpInstrumentation().enable();
const hookCalls: string[] = [];
const fastifyInstrumentation = new CKFastifyInstrumentation({
  requestHook: (_span, request) => hookCalls.push(String((request as { url: string }).url)),
});
fastifyInstrumentation.enable();

interface FastifyApp {
  get(path: string, handler: (req: unknown, reply: unknown) => unknown): void;
  post(path: string, handler: (req: { body: unknown; headers: Record<string, string> }) => unknown): void;
  register(plugin: (app: FastifyApp, opts: unknown, done: () => void) => void, opts: { prefix: string }): void;
  addHook(name: string, hook: (req: unknown, reply: unknown, done: () => void) => void): void;
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
  server: http.Server;
}
type FastifyFactory = () => FastifyApp;

const versions: Record<string, FastifyFactory> = {
  fastify: require('fastify') as FastifyFactory,
  fastify4: require('ck-fixture-fastify4') as FastifyFactory,
};

const apps: FastifyApp[] = [];
const servers: http.Server[] = [];
const handlerRuns: string[] = [];
let downstreamPort = 0;
const downstreamRoutes: string[] = [];
let keyInFirstAppHook: string | undefined;

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
  await Promise.all(apps.map((a) => a.close()));
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

function buildApp(fastify: FastifyFactory): FastifyApp {
  const app = fastify();
  app.addHook('onRequest', (_req, _reply, done) => {
    keyInFirstAppHook = getPathKey();
    done();
  });
  app.get('/orders/:id', async () => {
    const keyBeforeCall = getPathKey();
    await callDownstream();
    return { key: keyBeforeCall };
  });
  app.post('/orders', async (req) => {
    handlerRuns.push(String(req.headers['x-probe']));
    return { key: getPathKey(), received: req.body };
  });
  app.register(
    (api, _opts, done) => {
      api.get('/items/:id', async () => ({ key: getPathKey() }));
      done();
    },
    { prefix: '/api' }
  );
  return app;
}

async function listen(app: FastifyApp): Promise<number> {
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
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

for (const [version, fastify] of Object.entries(versions)) {
  test.serial(`${version}: the key is final before the app's hooks; the handler's client call carries it`, async (t) => {
    const port = await listen(buildApp(fastify));
    const probe = `${version}-route`;
    downstreamRoutes.length = 0;
    const reply = await request(port, 'GET', '/orders/9', probe);
    const key = (JSON.parse(reply.body) as { key: string }).key;
    t.is(key, routeKey('GET', '/orders/:id'));
    t.is(keyInFirstAppHook, key, "the app's first onRequest hook sees the final key");
    t.deepEqual(downstreamRoutes, [`1-${key}-00`], 'ck-route of the handler call');
    const spans = await traceOf(probe);
    t.deepEqual(spans.map((s) => s.kind).sort(), ['INTERNAL', 'INTERNAL', 'SERVER'], 'request + handler spans, no hook spans');
    const server = spans.find((s) => s.kind === 'SERVER')!;
    t.is(server.name, 'GET /orders/:id');
    t.is(server.attributes['http.route'], '/orders/:id');
    t.is(server.attributes['ck.path.key'], key);
    t.is(server.attributes['ck.http.framework'], 'fastify');
    t.true(hookCalls.includes('/orders/9'), 'user requestHook chained');
  });

  test.serial(`${version}: prefixed plugin route`, async (t) => {
    const port = await listen(buildApp(fastify));
    const reply = await request(port, 'GET', '/api/items/5', `${version}-prefixed`);
    t.is((JSON.parse(reply.body) as { key: string }).key, routeKey('GET', '/api/items/:id'));
  });

  test.serial(`${version}: a URL no route matches is '<METHOD> (unmatched)', already in the hooks`, async (t) => {
    const port = await listen(buildApp(fastify));
    const probe = `${version}-unmatched`;
    const reply = await request(port, 'DELETE', '/nope/4f1c2a9be07d3318/x', probe);
    t.is(reply.status, 404);
    t.is(keyInFirstAppHook, routeKey('DELETE', '(unmatched)'));
    const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['http.route'], undefined);
    t.is(server.attributes['ck.path.key'], routeKey('DELETE', '(unmatched)'));
  });

  test.serial(`${version}: the body is captured through Fastify's parser`, async (t) => {
    const port = await listen(buildApp(fastify));
    const probe = `${version}-body`;
    const reply = await request(port, 'POST', '/orders', probe, '{"item":"book"}');
    t.is(reply.status, 200);
    t.deepEqual((JSON.parse(reply.body) as { received: unknown }).received, { item: 'book' });
    const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['http.request.body'], '{"item":"book"}');
    t.is(server.attributes['ck.path.key'], routeKey('POST', '/orders'));
  });

  test.serial(`${version}: a body-stage filter blocks before the handler runs`, async (t) => {
    const filter: CKFilter = { name: 'deny-drop', evaluateBodyAndHeaders: (_span, _headers, body) => body.includes('DROP TABLE') };
    registerFilter(filter);
    try {
      const port = await listen(buildApp(fastify));
      const probe = `${version}-blocked`;
      const reply = await request(port, 'POST', '/orders', probe, '{"q":"x; DROP TABLE users"}');
      t.is(reply.status, 403);
      t.is(reply.body, '');
      const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
      t.is(server.attributes['ck.blocked.by'], 'deny-drop');
      t.false(handlerRuns.includes(probe), 'the handler never ran');
      const clean = await request(port, 'POST', '/orders', `${version}-clean`, '{"q":"fine"}');
      t.is(clean.status, 200);
    } finally {
      unregisterFilter(filter);
    }
  });
}

test.serial('disable → enable', async (t) => {
  fastifyInstrumentation.disable();
  t.false(fastifyInstrumentation.isEnabled());
  const plainPort = await listen(buildApp(versions.fastify));
  const plain = await request(plainPort, 'GET', '/api/items/3', 'disabled');
  t.is((JSON.parse(plain.body) as { key: string }).key, routeKey('GET', '/api/items/{id}'), 'no route match: template key');
  t.deepEqual(
    (await traceOf('disabled')).map((s) => s.kind),
    ['SERVER']
  );

  fastifyInstrumentation.enable();
  const againPort = await listen(buildApp(versions.fastify4));
  const again = await request(againPort, 'GET', '/api/items/3', 'enabled-again');
  t.is((JSON.parse(again.body) as { key: string }).key, routeKey('GET', '/api/items/:id'));
  t.is((await traceOf('enabled-again')).length, 3);
});
