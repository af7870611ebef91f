/**
 * Graph path through the HTTP / Express wrappers, in one instrumented process:
 * - the Express route match updates the path key before the handler runs, so the handler's
 *   outgoing calls carry the final key in ck-route;
 * - a downstream service adopts it as its parent (ck.route.incoming, parent key);
 * - the same holds after another SDK replaced the global propagator;
 * - HTTP client capture: headers both ways, request body written in chunks, response body.
 */
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import * as http from 'http';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { init } from '../../src/agent';
import { formatRoute, getPathKey, httpServiceElement, pathKey } from '../../src/graph';
import { ROOT_KEY } from '../../src/graph/types';
import { CKExpressInstrumentation } from '../../src/instrumentations/express';
import { CKHttpInstrumentation } from '../../src/instrumentations/http';
import type { SpanLine } from '../../fixtures/http/harness';
import { makeTempDir } from '../../fixtures/temp-dir';

const SERVICE = 'graph-test';
const logFile = path.join(makeTempDir('ck-graph-'), 'spans.jsonl');
const agent = init({
  serviceName: SERVICE,
  reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' },
});
new CKHttpInstrumentation().enable();
new CKExpressInstrumentation().enable();

const express = require('express') as typeof import('express');

let downstreamPort = 0;
let appPort = 0;
const servers: http.Server[] = [];

function get(port: number, urlPath: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function spans(): Promise<SpanLine[]> {
  await agent.forceFlush();
  await new Promise((r) => setTimeout(r, 30));
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"type":"span"'))
    .map((l) => JSON.parse(l) as SpanLine);
}

async function findSpan(match: (s: SpanLine) => boolean): Promise<SpanLine> {
  for (let i = 0; i < 50; i++) {
    const found = (await spans()).find(match);
    if (found) return found;
  }
  throw new Error('span not found');
}

test.before(async () => {
  const downstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(
        JSON.stringify({
          route: req.headers['ck-route'] ?? null,
          traceparent: req.headers.traceparent ?? null,
          echo: Buffer.concat(chunks).toString(),
        })
      );
    });
  });
  const app = express();
  app.get('/orders/:id', (_req, res) => {
    const keyInHandler = getPathKey();
    http
      .get({ host: '127.0.0.1', port: downstreamPort, path: '/echo-route', agent: false }, (down) => {
        let body = '';
        down.on('data', (c: Buffer) => (body += c));
        down.on('end', () => res.json({ keyInHandler, downstream: JSON.parse(body) }));
      })
      .on('error', (err) => res.status(502).send(String(err)));
  });
  app.post('/client-capture', (_req, res) => {
    const out = http.request(
      {
        host: '127.0.0.1',
        port: downstreamPort,
        method: 'POST',
        path: '/capture',
        headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' },
        agent: false,
      },
      (down) => {
        let body = '';
        down.on('data', (c: Buffer) => (body += c));
        down.on('end', () => res.type('application/json').send(body));
      }
    );
    out.write('{"part":1,');
    out.write(Buffer.from('"password":"pw",'));
    out.end('"last":true}');
  });
  for (const [server, set] of [
    [downstream, (p: number) => (downstreamPort = p)],
    [http.createServer(app), (p: number) => (appPort = p)],
  ] as const) {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    set((server.address() as { port: number }).port);
  }
});

test.after.always(async () => {
  for (const s of servers) s.close();
  await agent.shutdown();
});

const orderKey = pathKey(ROOT_KEY, SERVICE, httpServiceElement('GET', '/orders/:id'));

async function checkChain(t: import('ava').ExecutionContext, incoming?: string): Promise<void> {
  const headers: Record<string, string> = { 'x-probe': String(Math.random()) };
  if (incoming) headers['ck-route'] = incoming;
  const res = await get(appPort, '/orders/42', headers);
  t.is(res.status, 200);
  const body = JSON.parse(res.body) as { keyInHandler: string; downstream: { route: string; traceparent: string } };
  const parentKey = incoming ? incoming.slice(2, 18) : ROOT_KEY;
  const flags = incoming ? parseInt(incoming.slice(19), 16) : 0;
  const expectedKey = incoming ? pathKey(parentKey, SERVICE, httpServiceElement('GET', '/orders/:id')) : orderKey;
  t.is(body.keyInHandler, expectedKey, 'the route match updated the key before the handler ran');
  t.is(body.downstream.route, formatRoute(expectedKey, flags), 'the outgoing call carried the final key');
  t.truthy(body.downstream.traceparent);

  const server = await findSpan((s) => s.kind === 'SERVER' && s.attributes['http.request.header.x-probe'] === headers['x-probe']);
  t.is(server.attributes['ck.path.key'], expectedKey);
  t.is(server.attributes['ck.route.incoming'], incoming);
  const client = await findSpan((s) => s.kind === 'CLIENT' && s.traceId === server.traceId);
  t.is(client.attributes['http.request.header.ck-route'], body.downstream.route);
  const down = await findSpan((s) => s.kind === 'SERVER' && s.traceId === server.traceId && s.spanId !== server.spanId);
  t.is(down.attributes['ck.route.incoming'], body.downstream.route);
  t.is(down.attributes['ck.path.key'], pathKey(expectedKey, SERVICE, httpServiceElement('GET', '/echo-route')));
}

test.serial('Express route updates the key before the handler; outgoing calls carry ck-route', async (t) => {
  await checkChain(t);
});

test.serial('an incoming route is the parent; force-capture flags travel on', async (t) => {
  await checkChain(t, '1-00112233445566aa-01');
});

test.serial('HTTP client capture: headers both ways, chunked request body in order, response body', async (t) => {
  const res = await get(appPort, '/orders/1'); // warm-up, unrelated
  t.is(res.status, 200);
  const probe = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: appPort, method: 'POST', path: '/client-capture', agent: false }, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c));
      r.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  const echoed = JSON.parse(probe) as { echo: string };
  t.is(echoed.echo, '{"part":1,"password":"pw","last":true}');
  const client = await findSpan((s) => s.kind === 'CLIENT' && String(s.attributes['url.full']).endsWith('/capture'));
  t.is(client.attributes['http.request.body'], '{"part":1,"password":"[REDACTED]","last":true}');
  t.is(client.attributes['http.request.header.authorization'], '[REDACTED]');
  t.is(client.attributes['http.request.header.content-type'], 'application/json');
  t.deepEqual(client.attributes['http.response.header.set-cookie'], ['[REDACTED]', '[REDACTED]']);
  t.is(JSON.parse(client.attributes['http.response.body'] as string).echo, '{"part":1,"password":"pw","last":true}');
});

test.serial('another SDK replaced the global propagator: ck-route still sent and adopted', async (t) => {
  // A plain setGlobalPropagator after init is refused by the API (duplicate registration)...
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  await checkChain(t);
  // ...so an SDK that really replaces it disables the API first.
  propagation.disable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    t.false(propagation.fields().includes('ck-route'));
    await checkChain(t);
    await checkChain(t, '1-0a0b0c0d0e0f1011-00');
  } finally {
    propagation.disable();
    propagation.setGlobalPropagator(agent.propagator);
  }
});
