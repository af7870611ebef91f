/**
 * A framework instrumentation enabled alone enables CK http (one info line), so it records paths;
 * an app's own CKHttpInstrumentation enabled afterwards takes over (the module is never patched
 * twice: one server span per request).
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { captureAgentLog } from '../../fixtures/agent-log';
import { init } from '../../src/agent';
import { getPathKey, httpServiceElement, pathKey } from '../../src/graph';
import { ROOT_KEY } from '../../src/graph/types';
import { CKExpressInstrumentation } from '../../src/instrumentations/express';
import { CKHttpInstrumentation } from '../../src/instrumentations/http';
import { CKKoaInstrumentation } from '../../src/instrumentations/koa';
import type { SpanLine } from '../../fixtures/http/harness';
import { makeTempDir } from '../../fixtures/temp-dir';

const log = captureAgentLog();
const SERVICE = 'requires-http-test';
const logFile = path.join(makeTempDir('ck-requires-http-'), 'spans.jsonl');
const agent = init({
  serviceName: SERVICE,
  logLevel: 'info',
  reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' },
});
const koa = new CKKoaInstrumentation();
koa.enable();
const express = new CKExpressInstrumentation();
express.enable();

type KoaClass = typeof import('koa');
type RouterClass = typeof import('@koa/router').default;
const Koa = require('koa') as KoaClass;
const Router = (require('@koa/router') as { default: RouterClass }).default;

const servers: http.Server[] = [];
test.after.always(async () => {
  for (const s of servers) s.close();
  await agent.shutdown();
});

async function koaServer(): Promise<number> {
  const app = new Koa();
  const router = new Router();
  router.get('/orders/:id', (ctx) => {
    ctx.body = { key: getPathKey() };
  });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function get(port: number, probe: string): Promise<{ key: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/orders/7', headers: { 'x-probe': probe }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve(JSON.parse(body) as { key: string }));
      })
      .on('error', reject);
  });
}

async function serverSpans(probe: string): Promise<SpanLine[]> {
  for (let i = 0; i < 50; i++) {
    await agent.forceFlush();
    await new Promise((r) => setTimeout(r, 20));
    const spans = fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as SpanLine)
      : [];
    const found = spans.filter((s) => s.kind === 'SERVER' && s.attributes['http.request.header.x-probe'] === probe);
    if (found.length > 0) return found;
  }
  return [];
}

const ROUTE_KEY = pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '/orders/:id'));

test.serial('Koa alone records paths: CK http was enabled for it, once, with one info line', async (t) => {
  const reply = await get(await koaServer(), 'alone');
  t.is(reply.key, ROUTE_KEY);
  const spans = await serverSpans('alone');
  t.is(spans.length, 1);
  t.is(spans[0].attributes['ck.path.key'], ROUTE_KEY);
  const lines = log.matching('info', /enabled CKHttpInstrumentation/);
  t.is(lines.length, 1, 'Express, enabled second, found CK http enabled');
  t.regex(lines[0], /CKKoaInstrumentation enabled CKHttpInstrumentation/);
});

test.serial("the app's own CKHttpInstrumentation replaces the implicit one: still one server span", async (t) => {
  const own = new CKHttpInstrumentation({ headersToSpanAttributes: { server: { requestHeaders: ['x-own'] } } });
  own.enable();
  t.true(own.isEnabled());
  const reply = await get(await koaServer(), 'own');
  t.is(reply.key, ROUTE_KEY);
  const spans = await serverSpans('own');
  t.is(spans.length, 1, 'http is patched once');
  t.is(log.matching('warn', /./).length, 0);
});
