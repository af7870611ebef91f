/**
 * CKExpressInstrumentation: spans per request (middleware skipped by default, configurable),
 * the route match updating the path key before the handler (nested routers too), user hooks
 * chained, enable → disable → enable. Express 4 (`express`) and 5 (fixtures/express5).
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { init } from '../../../src/agent';
import { getPathKey, httpServiceElement, pathKey } from '../../../src/graph';
import { ROOT_KEY } from '../../../src/graph/types';
import { CKExpressInstrumentation } from '../../../src/instrumentations/express';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import type { SpanLine } from '../../../fixtures/http/harness';
import { makeTempDir } from '../../../fixtures/temp-dir';

const SERVICE = 'express-wrapper-test';
const logFile = path.join(makeTempDir('ck-express-wrapper-'), 'spans.jsonl');
const agent = init({ serviceName: SERVICE, reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' } });
new CKHttpInstrumentation().enable();
const hookCalls: string[] = [];
const expressInstrumentation = new CKExpressInstrumentation({ requestHook: (_span, info) => hookCalls.push(info.layerType) });
expressInstrumentation.enable();

type ExpressFactory = typeof import('express');

const versions: Record<string, ExpressFactory> = {
  express: require('express') as ExpressFactory,
  express5: require('ck-fixture-express5') as ExpressFactory,
};

const servers: http.Server[] = [];
test.after.always(async () => {
  for (const s of servers) s.close();
  await agent.shutdown();
});

function buildApp(express: ExpressFactory): import('express').Express {
  const app = express();
  app.use(express.json());
  app.use((_req, _res, next) => next());
  const router = express.Router();
  router.get('/items/:id', (_req, res) => {
    res.json({ key: getPathKey() });
  });
  app.use('/api', router);
  app.get('/orders/:id', (_req, res) => {
    res.json({ key: getPathKey() });
  });
  return app;
}

async function listen(app: import('express').Express): Promise<number> {
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function get(port: number, urlPath: string, probe: string): Promise<{ key: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { 'x-probe': probe }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
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
    if (server) return spans.filter((s) => s.traceId === server.traceId && s.kind !== 'CLIENT');
  }
  throw new Error(`no spans for ${probe}`);
}

for (const [version, express] of Object.entries(versions)) {
  test.serial(`${version}: a route costs two spans; the key is final inside the handler`, async (t) => {
    const port = await listen(buildApp(express));
    const probe = `${version}-route`;
    const res = await get(port, '/orders/9', probe);
    t.is(res.key, pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '/orders/:id')));
    const spans = await traceOf(probe);
    t.deepEqual(spans.map((s) => s.kind).sort(), ['INTERNAL', 'SERVER']);
    const server = spans.find((s) => s.kind === 'SERVER')!;
    t.is(server.name, 'GET /orders/:id');
    t.is(server.attributes['ck.path.key'], res.key);
    t.true(hookCalls.includes('request_handler'), 'user requestHook chained');
  });

  test.serial(`${version}: nested router route`, async (t) => {
    const port = await listen(buildApp(express));
    const probe = `${version}-router`;
    const res = await get(port, '/api/items/5', probe);
    t.is(res.key, pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '/api/items/:id')));
    const spans = await traceOf(probe);
    const server = spans.find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['http.route'], '/api/items/:id');
    t.is(server.attributes['ck.path.key'], res.key);
  });
}

for (const [version, express] of Object.entries(versions)) {
  test.serial(`${version}: a URL no route matches is '<METHOD> (unmatched)'`, async (t) => {
    const port = await listen(buildApp(express));
    const probe = `${version}-unmatched`;
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/nope/abcdef/x', headers: { 'x-probe': probe }, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    t.is(status, 404);
    const server = (await traceOf(probe)).find((s) => s.kind === 'SERVER')!;
    t.is(server.attributes['ck.http.framework'], 'express');
    t.is(server.attributes['ck.path.key'], pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '(unmatched)')));
  });
}

test.serial('disable → enable', async (t) => {
  expressInstrumentation.disable();
  t.false(expressInstrumentation.isEnabled());
  const plainPort = await listen(buildApp(versions.express));
  const plain = await get(plainPort, '/orders/3', 'disabled');
  t.is(plain.key, pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '/orders/{id}')), 'no route match: template key');
  t.deepEqual(
    (await traceOf('disabled')).map((s) => s.kind),
    ['SERVER']
  );

  expressInstrumentation.enable();
  const againPort = await listen(buildApp(versions.express5));
  const again = await get(againPort, '/orders/3', 'enabled-again');
  t.is(again.key, pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '/orders/:id')));
  t.is((await traceOf('enabled-again')).length, 2);
});
