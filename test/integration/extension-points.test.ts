/**
 * The public extension points end to end, in one agent started by init():
 * - registerMapper / unregisterMapper with a vanilla upstream instrumentation ck-agent does not
 *   wrap (@opentelemetry/instrumentation-net, given the agent's tracer provider), driven for real:
 *   an HTTP request whose handler talks to the real Redis server over a raw TCP socket. Its
 *   `tcp.connect` spans become CACHE elements under the request's path key only while the mapper
 *   is registered (registered after init, removed again);
 * - init({ sampler }): a custom Sampler decides which traces are exported (LOGGING span lines),
 *   while graph path metrics (LOGGING ck.path rows) still count every request.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SpanKind, TraceFlags, trace, type Attributes, type Context } from '@opentelemetry/api';
import { NetInstrumentation } from '@opentelemetry/instrumentation-net';
import { SamplingDecision, type ReadableSpan, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';
import { REDIS_URL, serviceTest } from '../../fixtures/db/services';
import { readLogLines } from '../../fixtures/log-lines';
import { CKHttpInstrumentation, init, registerMapper, unregisterMapper, type GraphElement, type SpanMapper } from '../../src';

const redisTest = serviceTest('Redis', REDIS_URL, 6379);
const REDIS = new URL(REDIS_URL);
const REDIS_PORT = Number(REDIS.port || 6379);

/** Exports the traces of /checkout requests only (and their children); everything else stays local. */
class CheckoutOnlySampler implements Sampler {
  shouldSample(context: Context, _traceId: string, _name: string, _kind: SpanKind, attributes: Attributes): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent)
      return {
        decision: (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD,
      };
    // The trace's root here is the test's own HTTP client call (url.full); a server would see url.path.
    const target = String(attributes['url.path'] ?? attributes['http.target'] ?? attributes['url.full'] ?? '');
    return { decision: target.includes('/checkout') ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }
  toString(): string {
    return 'CheckoutOnlySampler';
  }
}

/** Connections to Redis made with a raw socket (a hand-written RESP client) as CACHE elements. */
const redisConnectMapper: SpanMapper = {
  name: 'redis-over-tcp',
  kinds: [SpanKind.INTERNAL],
  markers: ['network.transport'],
  map(span: ReadableSpan): GraphElement | undefined {
    if (span.name !== 'tcp.connect' || Number(span.attributes['server.port']) !== REDIS_PORT) return undefined;
    return { type: 'CACHE', name: 'redis CONNECT', role: 'exit', attributes: { 'db.system.name': 'redis' } };
  },
  isError: (span) => span.status.code === 2,
};

redisTest('a vanilla upstream instrumentation mapped by registerMapper; a custom sampler for span export', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-extension-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'telemetry.jsonl');
  const agent = init({
    serviceName: 'extension-points',
    sampler: new CheckoutOnlySampler(),
    reporting: { traceReporterType: 'LOGGING', metricReporterType: 'LOGGING', logFile },
    metrics: { exportIntervalMs: 3_600_000 },
  });
  t.teardown(() => agent.shutdown());
  new CKHttpInstrumentation().enable();
  const netInstrumentation = new NetInstrumentation();
  netInstrumentation.setTracerProvider(agent.tracerProvider);
  netInstrumentation.enable();
  t.teardown(() => netInstrumentation.disable());
  const netModule = require('net') as typeof import('net'); // patched by the upstream instrumentation

  const redisPing = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = netModule.connect(REDIS_PORT, REDIS.hostname);
      socket.once('error', reject);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.end();
        resolve(data.toString('utf8').trim());
      });
    });
  const server = http.createServer((req, res) => {
    redisPing().then(
      (answer) => res.end(answer),
      (err) => {
        res.statusCode = 500;
        res.end(String(err));
      }
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const get = (urlPath: string): Promise<string> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  const rowsFor = (route: string) => {
    const { paths } = readLogLines(logFile);
    const entry = paths.find((r) => r.element.type === 'HTTP_SERVICE' && r.element.name === `GET ${route}`);
    const caches = entry ? paths.filter((r) => r.pathKey === entry.pathKey && r.element.type === 'CACHE') : [];
    return { entry, caches };
  };

  // 1. Registered nowhere yet: the connect spans exist (children of the request) but map to nothing.
  t.is(await get('/stock/before'), '+PONG');
  await agent.forceFlush();
  let rows = rowsFor('/stock/before');
  t.truthy(rows.entry, 'the request itself is recorded');
  t.deepEqual(rows.caches, []);

  // 2. Registered after init: the next request's Redis connection is a CACHE element on its path.
  registerMapper(redisConnectMapper);
  t.is(await get('/stock/during'), '+PONG');
  await agent.forceFlush();
  rows = rowsFor('/stock/during');
  t.truthy(rows.entry);
  t.is(rows.caches.length, 1);
  t.like(rows.caches[0], { element: { type: 'CACHE', name: 'redis CONNECT', role: 'exit' }, calls: 1, errors: 0 });

  // 3. Unregistered: recorded no more.
  unregisterMapper(redisConnectMapper);
  t.is(await get('/stock/after'), '+PONG');
  await agent.forceFlush();
  rows = rowsFor('/stock/after');
  t.truthy(rows.entry);
  t.deepEqual(rows.caches, []);

  // The custom sampler: only /checkout traces are exported; metrics saw every request.
  registerMapper(redisConnectMapper);
  t.teardown(() => unregisterMapper(redisConnectMapper));
  t.is(await get('/checkout/now'), '+PONG');
  await agent.forceFlush();
  const { spans, paths } = readLogLines(logFile);
  const servers = spans.filter((s) => s.kind === 'SERVER');
  t.is(servers.length, 1, `exported server spans: ${servers.map((s) => s.name).join(', ')}`);
  const checkoutTrace = servers[0].traceId;
  t.true(
    spans.every((s) => s.traceId === checkoutTrace),
    'nothing of the /stock requests was exported'
  );
  const connect = spans.find((s) => s.name === 'tcp.connect' && s.attributes['server.port'] === REDIS_PORT);
  t.truthy(connect, 'the upstream span of the sampled request is exported with it');
  t.is(connect!.parentSpanId, servers[0].spanId);
  for (const route of ['/stock/before', '/stock/during', '/stock/after', '/checkout/now']) {
    t.truthy(
      paths.find((r) => r.element.name === `GET ${route}`),
      `${route} counted in the metrics`
    );
  }
  t.is(rowsFor('/checkout/now').caches.length, 1);
});
