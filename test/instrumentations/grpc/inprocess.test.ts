/**
 * CKGrpcInstrumentation in the test process itself: calls made inside a CK request (ck-route
 * injection, force-capture flag), the app's own client interceptors, a bare grpc.Client, raw
 * HTTP/2 clients that disconnect or send odd metadata, and disable().
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { init } from '../../../src/agent';
import { FLAG_FORCE_CAPTURE, getPathKey } from '../../../src/graph';
import { adoptIncomingRoute, pathStateOf } from '../../../src/graph';
import { CKGrpcInstrumentation } from '../../../src/instrumentations/grpc';
import type { SpanLine } from '../../../fixtures/grpc/harness';
import { PROTO_PATH, loadService, startServer, type Grpc, type RunningServer } from '../../../fixtures/grpc/service';
import { makeTempDir } from '../../../fixtures/temp-dir';

const dir = makeTempDir('ck-grpc-inproc-');
const logFile = path.join(dir, 'ck.log');
const agent = init({
  serviceName: 'grpc-inprocess',
  reporting: { traceReporterType: 'LOGGING', metricReporterType: 'LOGGING', logFile },
  metrics: { exportIntervalMs: 3_600_000 },
});
const instrumentation = new CKGrpcInstrumentation();
instrumentation.enable();

const grpc = require('@grpc/grpc-js') as Grpc;

type AnyClient = import('@grpc/grpc-js').Client & Record<string, (...args: unknown[]) => unknown>;
let server: RunningServer;
let client: AnyClient;

test.before(async () => {
  server = await startServer(grpc, 'dynamic');
  const { Client } = loadService(grpc, 'dynamic');
  client = new Client(server.address, grpc.credentials.createInsecure()) as unknown as AnyClient;
});

test.after.always(async () => {
  client?.close();
  await server?.close();
  await agent.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function spans(): Promise<SpanLine[]> {
  await agent.forceFlush();
  const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  return text
    .split('\n')
    .filter((l) => l.startsWith('{"type":"span"'))
    .map((l) => JSON.parse(l) as SpanLine);
}

const marked = (all: SpanLine[], marker: string, kind?: string) =>
  all.filter((s) => s.attributes['rpc.request.metadata.x-marker'] === marker && (!kind || s.kind === kind));

function md(marker: string): import('@grpc/grpc-js').Metadata {
  const m = new grpc.Metadata();
  m.set('x-marker', marker);
  return m;
}

function unary(c: AnyClient, request: object, metadata: import('@grpc/grpc-js').Metadata, options: object = {}) {
  return new Promise<{ err: (Error & { code?: number }) | null; value: unknown }>((resolve) => {
    c.Unary(request, metadata, options, (err: Error | null, value: unknown) => resolve({ err, value }));
  });
}

/** Runs fn inside a CK SERVER span with an HTTP entry element (an incoming request). */
async function inRequest<T>(fn: () => Promise<T>, flags = 0): Promise<{ result: T; key: string }> {
  const tracer = agent.tracerProvider.getTracer('grpc-inprocess-request');
  const span = tracer.startSpan('GET /front', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.route': '/front' },
  });
  adoptIncomingRoute(span, flags ? `1-${'0'.repeat(15)}1-0${flags}` : undefined, () => undefined);
  const ctx = trace.setSpan(context.active(), span);
  try {
    return { result: await context.with(ctx, fn), key: getPathKey(ctx) as string };
  } finally {
    span.end();
  }
}

test.serial('a call inside a request carries ck-route; client span keyed by the request; server is its child path', async (t) => {
  const { result, key } = await inRequest(() => unary(client, { text: 'in-request' }, md('in-request')));
  t.is(result.err, null);
  const all = await spans();
  const [server] = marked(all, 'in-request', 'SERVER');
  const [clientSpan] = marked(all, 'in-request', 'CLIENT');
  t.is(clientSpan.attributes['ck.path.key'], key);
  t.is(clientSpan.attributes['rpc.request.metadata.ck-route'], `1-${key}-00`);
  t.is(server.attributes['ck.route.incoming'], `1-${key}-00`);
  t.not(server.attributes['ck.path.key'], key);
  // The server span is a child of the client span (trace context also propagated).
  t.is(server.parentSpanId, clientSpan.spanId);
});

test.serial('the force-capture flag travels with ck-route', async (t) => {
  const { key } = await inRequest(() => unary(client, { text: 'forced' }, md('forced')), FLAG_FORCE_CAPTURE);
  const all = await spans();
  const [server] = marked(all, 'forced', 'SERVER');
  t.is(server.attributes['ck.route.incoming'], `1-${key}-01`);
});

test.serial("the app's own client interceptors (client-level, call-level, providers) still run, ours sees their metadata", async (t) => {
  const seen: string[] = [];
  const appInterceptor = (tag: string) => (options: object, nextCall: (o: object) => unknown) =>
    new grpc.InterceptingCall(nextCall(options) as never, {
      start(metadata, listener, next) {
        seen.push(tag);
        metadata.set('x-added-by', tag);
        next(metadata, listener);
      },
    });
  const { Client } = loadService(grpc, 'dynamic');
  const withClientInterceptors = new Client(server.address, grpc.credentials.createInsecure(), {
    interceptors: [appInterceptor('client-level')],
  }) as unknown as AnyClient;
  const withProviders = new Client(server.address, grpc.credentials.createInsecure(), {
    interceptor_providers: [() => appInterceptor('provider')],
  }) as unknown as AnyClient;
  t.is((await unary(withClientInterceptors, { text: 'i1' }, md('icpt-client'))).err, null);
  t.is((await unary(client, { text: 'i2' }, md('icpt-call'), { interceptors: [appInterceptor('call-level')] })).err, null);
  t.is((await unary(withProviders, { text: 'i3' }, md('icpt-provider'))).err, null);
  t.deepEqual(seen, ['client-level', 'call-level', 'provider']);
  const all = await spans();
  t.is(marked(all, 'icpt-client', 'CLIENT')[0].attributes['rpc.request.metadata.x-added-by'], 'client-level');
  t.is(marked(all, 'icpt-call', 'CLIENT')[0].attributes['rpc.request.metadata.x-added-by'], 'call-level');
  t.is(marked(all, 'icpt-provider', 'CLIENT')[0].attributes['rpc.request.metadata.x-added-by'], 'provider');
  t.is(marked(all, 'icpt-call', 'SERVER')[0].attributes['rpc.request.metadata.x-added-by'], 'call-level');
  withClientInterceptors.close();
  withProviders.close();
});

test.serial('a bare grpc.Client with makeUnaryRequest and explicit serializers is instrumented too', async (t) => {
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  const root = protobuf.loadSync(PROTO_PATH);
  const Req = root.lookupType('ck.test.EchoRequest');
  const Rep = root.lookupType('ck.test.EchoReply');
  const bare = new grpc.Client(server.address, grpc.credentials.createInsecure());
  const reply = await new Promise<{ err: Error | null; value: unknown }>((resolve) =>
    bare.makeUnaryRequest(
      '/ck.test.TestService/Unary',
      (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish()),
      (b: Buffer) => Rep.toObject(Rep.decode(b)),
      { text: 'bare-client' },
      md('bare-client'),
      (err, value) => resolve({ err: err as Error | null, value })
    )
  );
  t.is(reply.err, null);
  t.like(reply.value, { text: 'echo:bare-client' });
  const all = await spans();
  const [c] = marked(all, 'bare-client', 'CLIENT');
  t.like(JSON.parse(String(c.attributes['rpc.response.body'])), { text: 'echo:bare-client' });
  t.is(c.attributes['rpc.grpc.status_code'], 0);
  bare.close();
});

/** A raw HTTP/2 gRPC request (what a non-grpc-js client or a broken peer sends). */
function rawCall(
  method: string,
  message: object,
  headers: Record<string, string>
): { session: http2.ClientHttp2Session; done: Promise<string>; firstData: Promise<void> } {
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  const root = protobuf.loadSync(PROTO_PATH);
  const type = root.lookupType(method === 'Slow' ? 'ck.test.SlowRequest' : 'ck.test.EchoRequest');
  const body = Buffer.from(type.encode(type.fromObject(message)).finish());
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  const session = http2.connect(`http://${server.address}`);
  session.on('error', () => undefined);
  const req = session.request({
    ':method': 'POST',
    ':path': `/ck.test.TestService/${method}`,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  req.on('error', () => undefined);
  req.end(frame);
  const firstData = new Promise<void>((resolve) => req.once('data', () => resolve()));
  const done = new Promise<string>((resolve) => {
    let status = 'none';
    req.on('trailers', (trailers) => (status = String(trailers['grpc-status'])));
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    req.on('close', () => resolve(status));
    req.resume();
  });
  return { session, done, firstData };
}

test.serial('a client that disconnects mid-call: the server span ends once, as CANCELLED', async (t) => {
  // A slow server stream: once its first message arrives the handler is surely running.
  const { session, done, firstData } = rawCall('ServerStream', { text: 'x', mode: 'slow', count: 1000 }, { 'x-marker': 'disconnect' });
  await firstData;
  session.destroy();
  await done;
  let server: SpanLine[] = [];
  for (let i = 0; i < 250 && server.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    server = marked(await spans(), 'disconnect', 'SERVER');
  }
  t.is(server.length, 1);
  t.is(server[0].attributes['rpc.grpc.status_code'], 1);
  t.is(server[0].status.code, 2);
});

test.serial('non-ASCII and junk metadata from a raw client: call served, nothing crashes', async (t) => {
  const { session, done } = rawCall(
    'Unary',
    { text: 'raw' },
    {
      'x-marker': 'raw-odd',
      'x-latin': 'caf\u00e9',
      'ck-route': '1-\u00e9\u00e9\u00e9-00',
      'x-bad-bin': '!!!not base64!!!',
    }
  );
  t.is(await done, '0');
  session.close();
  const [server] = marked(await spans(), 'raw-odd', 'SERVER');
  t.is(server.attributes['rpc.grpc.status_code'], 0);
  t.is(server.attributes['ck.route.incoming'], undefined);
  t.is(server.attributes['rpc.request.metadata.x-latin'], undefined, 'grpc-js drops it before the app sees it');
});

test.serial('junk and repeated ck-route values are counted once each in ck.agent.route.invalid', async (t) => {
  const invalid = () => (agent.metrics as unknown as { routeInvalid: number }).routeInvalid;
  const before = invalid();
  const junk = md('junk-route');
  junk.set('ck-route', 'not-a-route');
  t.is((await unary(client, { text: 'j' }, junk)).err, null);
  const repeated = md('repeated-route');
  repeated.add('ck-route', '1-4f1c2a9be07d3318-00');
  repeated.add('ck-route', '1-4f1c2a9be07d3318-00');
  t.is((await unary(client, { text: 'r' }, repeated)).err, null);
  t.is(invalid() - before, 2);
  const all = await spans();
  for (const marker of ['junk-route', 'repeated-route']) {
    const [server] = marked(all, marker, 'SERVER');
    t.is(server.attributes['ck.route.incoming'], undefined);
  }
});

test.serial('disable(): new servers and clients are left alone; enable() again instruments again', async (t) => {
  instrumentation.disable();
  t.false(instrumentation.isEnabled());
  const plainServer = await startServer(grpc, 'dynamic');
  const { Client } = loadService(grpc, 'dynamic');
  const plainClient = new Client(plainServer.address, grpc.credentials.createInsecure()) as unknown as AnyClient;
  const r = await unary(plainClient, { text: 'off' }, md('disabled'));
  t.is(r.err, null);
  t.is(marked(await spans(), 'disabled').length, 0);
  plainClient.close();
  await plainServer.close();

  instrumentation.enable();
  const again = await startServer(grpc, 'dynamic');
  const againClient = new (loadService(grpc, 'dynamic').Client)(again.address, grpc.credentials.createInsecure()) as unknown as AnyClient;
  t.is((await unary(againClient, { text: 'on' }, md('re-enabled'))).err, null);
  const all = await spans();
  t.is(marked(all, 're-enabled', 'SERVER').length, 1);
  t.is(marked(all, 're-enabled', 'CLIENT').length, 1);
  againClient.close();
  await again.close();
});

test.serial('span path state: the server span of a call is an entry with the GRPC_SERVICE element', async (t) => {
  let entry: unknown;
  const { Client, service } = loadService(grpc, 'dynamic');
  const probe = new grpc.Server();
  probe.addService(service, {
    Unary(_call: unknown, callback: (e: null, v: object) => void) {
      entry = pathStateOf(trace.getSpan(context.active()))?.entry;
      callback(null, { text: 'probe' });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    probe.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p)))
  );
  const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as AnyClient;
  t.is((await unary(c, { text: 'p' }, md('probe'))).err, null);
  t.like(entry, { type: 'GRPC_SERVICE', name: 'ck.test.TestService/Unary', role: 'entry' });
  c.close();
  probe.forceShutdown();
});
