/**
 * 10 000 requests to random URLs that no route matches create at most one graph path series per
 * method and framework (`<METHOD> (unmatched)`), for Express, Koa and Fastify, counted in the
 * LOGGING output of the metrics. Each framework is flooded in its own export interval (a flush
 * before and after), so the rows of one interval belong to one framework.
 */
import test from 'ava';
import { randomBytes } from 'crypto';
import * as http from 'http';
import * as path from 'path';
import { init } from '../../src/agent';
import { routeTemplate } from '../../src/graph';
import { CKExpressInstrumentation } from '../../src/instrumentations/express';
import { CKFastifyInstrumentation } from '../../src/instrumentations/fastify';
import { CKHttpInstrumentation } from '../../src/instrumentations/http';
import { CKKoaInstrumentation } from '../../src/instrumentations/koa';
import { readLogLines, type PathLine } from '../../fixtures/log-lines';
import { makeTempDir } from '../../fixtures/temp-dir';

const REQUESTS = 10_000;
const METHODS = ['GET', 'POST'] as const;
const logFile = path.join(makeTempDir('ck-unmatched-'), 'metrics.jsonl');
const agent = init({
  serviceName: 'unmatched-test',
  reporting: { metricReporterType: 'LOGGING', logFile, traceReporterType: 'NONE' },
  metrics: { exportIntervalMs: 3_600_000 },
});
new CKHttpInstrumentation().enable();
new CKExpressInstrumentation().enable();
new CKKoaInstrumentation().enable();
new CKFastifyInstrumentation().enable();

const servers: http.Server[] = [];
const closers: (() => Promise<void>)[] = [];
test.after.always(async () => {
  for (const s of servers) s.close();
  for (const close of closers) await close();
  await agent.shutdown();
});

async function serve(listener: http.RequestListener): Promise<number> {
  const server = http.createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const apps: Record<string, () => Promise<number>> = {
  express: async () => {
    const express = require('express') as typeof import('express');
    const app = express();
    app.get('/orders/:id', (_req, res) => res.json({}));
    return serve(app);
  },
  koa: async () => {
    const Koa = require('koa') as typeof import('koa');
    const Router = (require('@koa/router') as { default: typeof import('@koa/router').default }).default;
    const app = new Koa();
    const router = new Router();
    router.get('/orders/:id', (ctx) => {
      ctx.body = {};
    });
    app.use(router.routes());
    return serve(app.callback());
  },
  fastify: async () => {
    const fastify = (
      require('fastify') as () => {
        get(p: string, h: () => unknown): void;
        listen(o: { port: number; host: string }): Promise<string>;
        close(): Promise<void>;
        server: http.Server;
      }
    )();
    fastify.get('/orders/:id', async () => ({}));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => fastify.close());
    return (fastify.server.address() as { port: number }).port;
  },
};

/** A path of letter-only random segments: a route template keeps every one of them distinct. */
function randomPath(): string {
  const word = (): string =>
    randomBytes(6)
      .toString('base64')
      .replace(/[^a-zA-Z]/g, 'q')
      .toLowerCase();
  return `/${word()}/${word()}`;
}

async function flood(port: number, paths: string[]): Promise<number[]> {
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      statuses.push(
        await new Promise<number>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port, method: METHODS[i % METHODS.length], path: paths[i], agent: keepAlive },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            }
          );
          req.on('error', reject);
          req.end();
        })
      );
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  keepAlive.destroy();
  return statuses;
}

let rowsSeen = 0;
async function rowsOfThisInterval(): Promise<PathLine[]> {
  await agent.forceFlush();
  const rows = readLogLines(logFile).paths;
  const fresh = rows.slice(rowsSeen);
  rowsSeen = rows.length;
  return fresh;
}

for (const [framework, start] of Object.entries(apps)) {
  test.serial(`${framework}: ${REQUESTS} random unmatched URLs make one series per method`, async (t) => {
    t.timeout(300_000, 'a loaded machine serves 10 000 requests slowly');
    const port = await start();
    await rowsOfThisInterval();
    const paths = Array.from({ length: REQUESTS }, randomPath);
    t.true(new Set(paths.map(routeTemplate)).size > REQUESTS / 2, 'named after their URLs they would be thousands of series');
    const statuses = await flood(port, paths);
    t.is(statuses.length, REQUESTS);
    t.true(
      statuses.every((s) => s === 404),
      'every request reached the framework and matched nothing'
    );
    const rows = (await rowsOfThisInterval()).filter((r) => r.element.type === 'HTTP_SERVICE');
    t.deepEqual(rows.map((r) => r.element.name).sort(), ['GET (unmatched)', 'POST (unmatched)']);
    t.is(
      rows.reduce((sum, r) => sum + r.calls, 0),
      REQUESTS
    );
  });
}
