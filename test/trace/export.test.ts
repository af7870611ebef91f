/**
 * Span export through the real exporters into real receivers: OTLP gRPC and OTLP/HTTP protobuf
 * (fixtures/otlp receiver), Zipkin (a small HTTP server), LOGGING (a temp file); sampling and
 * force capture; an exporter that is down never throws and recovers when the endpoint comes back.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace } from '@opentelemetry/api';
import type { CKOptions } from '../../src/config/types';
import { CKRoutePropagator, FLAG_FORCE_CAPTURE, formatRoute } from '../../src/graph';
import {
  CKSpan,
  CKTracerProvider,
  createExportSpanProcessor,
  isExportSampled,
  otlpHttpTracesUrl,
  zipkinUrl,
  LoggingSpanExporter,
  DEFAULT_ZIPKIN_URL,
} from '../../src/trace';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../fixtures/otlp/receiver';
import { makeConfig, makeProvider, makeResource, RecordingProcessor } from './helpers';
import { captureAgentLog } from '../../fixtures/agent-log';
import { makeTempDir } from '../../fixtures/temp-dir';

const agentLog = captureAgentLog();

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const FAST_BATCH = { scheduleDelayMillis: 50, maxQueueSize: 1000, maxExportBatchSize: 100, exportTimeoutMillis: 3000 };

function setup(options: CKOptions) {
  const config = makeConfig({ ...options, tracing: { batch: FAST_BATCH, ...(options.tracing ?? {}) } });
  const resource = makeResource(config.serviceName);
  const exportProcessor = createExportSpanProcessor(config, resource);
  if (!exportProcessor) throw new Error('expected an export processor');
  const recorder = new RecordingProcessor();
  const provider = new CKTracerProvider({ config, resource, spanProcessors: [recorder, exportProcessor] });
  return { config, provider, recorder, exportProcessor };
}

/** A SERVER span with a CLIENT child, both ended. */
function makeRequestSpans(provider: CKTracerProvider): { server: CKSpan; client: CKSpan } {
  const tracer = provider.getTracer('ck-test-scope', '3.1.4', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const server = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
  }) as CKSpan;
  const client = tracer.startSpan(
    'SELECT orders',
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', tags: ['a', 'b'] } },
    trace.setSpan(ROOT_CONTEXT, server)
  ) as CKSpan;
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
  client.end();
  server.end();
  return { server, client };
}

function assertArrived(t: any, received: ReceivedSpan[], { server, client }: { server: CKSpan; client: CKSpan }) {
  const rs = received.find((s) => s.spanId === server.spanContext().spanId);
  const rc = received.find((s) => s.spanId === client.spanContext().spanId);
  t.truthy(rs);
  t.truthy(rc);
  if (!rs || !rc) return;
  t.is(rs.name, 'GET /orders/:id');
  t.is(rs.kind, 'SPAN_KIND_SERVER');
  t.is(rs.traceId, server.spanContext().traceId);
  t.is(rs.parentSpanId, '');
  t.deepEqual(rs.attributes, { 'http.request.method': 'GET', 'http.response.status_code': 200 });
  t.is(rc.name, 'SELECT orders');
  t.is(rc.kind, 'SPAN_KIND_CLIENT');
  t.is(rc.traceId, server.spanContext().traceId);
  t.is(rc.parentSpanId, server.spanContext().spanId);
  t.deepEqual(rc.attributes, { 'db.system.name': 'postgresql', tags: ['a', 'b'] });
  t.deepEqual(rc.status, { code: 'STATUS_CODE_ERROR', message: 'deadlock' });
  t.is(rs.resource['service.name'], 'trace-test');
  t.deepEqual([rs.scope.name, rs.scope.version, rs.scope.schemaUrl], ['ck-test-scope', '3.1.4', 'https://opentelemetry.io/schemas/1.30.0']);
  t.is(rs.startTimeUnixNano, hrToNanos(server.startTime));
  t.is(rs.endTimeUnixNano, hrToNanos(server.endTime));
}

function hrToNanos([s, ns]: [number, number]): string {
  return (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();
}

async function withReceiver(t: any): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  return receiver;
}

test('NONE: no export processor', (t) => {
  t.is(createExportSpanProcessor(makeConfig({ reporting: { traceReporterType: 'NONE' } }), makeResource()), undefined);
});

test('OTLP (gRPC): CK spans arrive intact, with the configured headers as metadata', async (t) => {
  const receiver = await withReceiver(t);
  const { provider } = setup({
    reporting: { traceReporterType: 'OTLP', endpoint: receiver.grpcUrl, traceHeaders: { 'x-api-key': 'k1' }, token: 'tok' },
  });
  const spans = makeRequestSpans(provider);
  await provider.forceFlush();
  await receiver.waitFor((r) => r.spans().length >= 2);
  assertArrived(t, receiver.spans(), spans);
  t.is(receiver.traceRequests[0].transport, 'grpc');
  t.is(receiver.traceRequests[0].metadata['x-api-key'], 'k1');
  t.is(receiver.traceRequests[0].metadata['authorization'], 'Bearer tok');
  await provider.shutdown();
});

test('OTLP_HTTP (protobuf): CK spans arrive intact at <endpoint>/v1/traces with headers', async (t) => {
  const receiver = await withReceiver(t);
  const { provider } = setup({
    reporting: { traceReporterType: 'OTLP_HTTP', endpoint: receiver.httpUrl, traceHeaders: { 'x-api-key': 'k2' } },
  });
  const spans = makeRequestSpans(provider);
  await provider.forceFlush();
  await receiver.waitFor((r) => r.spans().length >= 2);
  assertArrived(t, receiver.spans(), spans);
  t.is(receiver.traceRequests[0].transport, 'http');
  t.is(receiver.traceRequests[0].metadata['x-api-key'], 'k2');
  await provider.shutdown();
});

test('sampler traceidratio 0: not exported, but every processor still sees the span; force capture is exported', async (t) => {
  const receiver = await withReceiver(t);
  const { provider, recorder } = setup({
    reporting: { traceReporterType: 'OTLP', endpoint: receiver.grpcUrl },
    tracing: { sampler: 'traceidratio', samplerArg: 0 },
  });
  const tracer = provider.getTracer('t');
  const dropped = tracer.startSpan('not sampled', { kind: SpanKind.SERVER }) as CKSpan;
  dropped.end();
  t.false(isExportSampled(dropped));
  t.is(recorder.ended[0], dropped);

  // force capture known at start (incoming ck-route with flag 01)
  const forcedCtx = new CKRoutePropagator().extract(
    ROOT_CONTEXT,
    { 'ck-route': formatRoute('4f1c2a9be07d3318', FLAG_FORCE_CAPTURE) },
    defaultTextMapGetter
  );
  const forced = tracer.startSpan('forced', { kind: SpanKind.SERVER }, forcedCtx) as CKSpan;
  const forcedChild = tracer.startSpan('forced child', { kind: SpanKind.CLIENT }, trace.setSpan(forcedCtx, forced));
  forcedChild.end();
  forced.end();

  // force capture learned after start (a wrapper adopting the incoming route itself)
  const late = tracer.startSpan('late forced', { kind: SpanKind.SERVER }) as CKSpan;
  late.pathState!.setIncoming({ pathKey: '4f1c2a9be07d3318', flags: FLAG_FORCE_CAPTURE, raw: '1-4f1c2a9be07d3318-01' });
  late.end();
  t.true(isExportSampled(late));

  await provider.forceFlush();
  const names = await receiver.waitFor((r) =>
    r.spans().length >= 3
      ? r
          .spans()
          .map((s) => s.name)
          .sort()
      : undefined
  );
  t.deepEqual(names, ['forced', 'forced child', 'late forced']);
  t.is(recorder.ended.length, 4);
  await provider.shutdown();
});

test('LOGGING: one JSON line per span in the graph-path.md format, appended to the log file', async (t) => {
  const dir = makeTempDir('ck-trace-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'ck.log');
  fs.writeFileSync(logFile, '{"type":"existing"}\n');
  const { provider } = setup({ reporting: { traceReporterType: 'LOGGING', logFile } });
  const { server, client } = makeRequestSpans(provider);
  await provider.shutdown();

  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
  t.is(lines[0], '{"type":"existing"}', 'appends');
  t.is(lines.length, 3);
  const byName = new Map(lines.slice(1).map((l) => [JSON.parse(l).name, l]));
  const clientLine = byName.get('SELECT orders')!;
  const c = client;
  t.is(
    clientLine,
    JSON.stringify({
      type: 'span',
      name: 'SELECT orders',
      kind: 'CLIENT',
      traceId: c.spanContext().traceId,
      spanId: c.spanContext().spanId,
      parentSpanId: server.spanContext().spanId,
      startTimeUnixNano: hrToNanos(c.startTime),
      durationNs: hrToNanos(c.duration),
      status: { code: 2, message: 'deadlock' },
      attributes: { 'db.system.name': 'postgresql', tags: ['a', 'b'] },
    })
  );
  const serverJson = JSON.parse(byName.get('GET /orders/:id')!);
  t.deepEqual(Object.keys(serverJson), [
    'type',
    'name',
    'kind',
    'traceId',
    'spanId',
    'startTimeUnixNano',
    'durationNs',
    'status',
    'attributes',
  ]);
  t.is(serverJson.kind, 'SERVER');
  t.deepEqual(serverJson.status, { code: 0 });
  t.regex(serverJson.startTimeUnixNano, /^\d{19}$/);
  t.regex(serverJson.durationNs, /^\d+$/);
});

test('LOGGING exporter: a backed-up output drops whole batches and counts them', async (t) => {
  const dir = makeTempDir('ck-trace-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const logFile = path.join(dir, 'ck.log');
  const counted: number[] = [];
  const exporter = new LoggingSpanExporter({ logFile, maxPendingBytes: 0, onDropped: (n) => counted.push(n) });
  const { server, client } = makeRequestSpans(makeProvider().provider);
  const results: number[] = [];
  exporter.export([server], (r) => results.push(r.code));
  exporter.export([server, client], (r) => results.push(r.code)); // first write still pending
  t.deepEqual(results, [0, 0]);
  t.is(exporter.droppedSpans, 2);
  t.deepEqual(counted, [2]);
  t.is(agentLog.matching('warn', /span log output cannot keep up; spans are being dropped/).length, 1);
  await exporter.shutdown();
  t.is(fs.readFileSync(logFile, 'utf8').trim().split('\n').length, 1);
});

test('ZIPKIN: spans are POSTed to the configured Zipkin endpoint', async (t) => {
  const bodies: any[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ url: req.url, headers: req.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const { provider } = setup({
    reporting: { traceReporterType: 'ZIPKIN', endpoint: `http://127.0.0.1:${port}/api/v2/spans`, traceHeaders: { 'x-z': 'z' } },
  });
  const spans = makeRequestSpans(provider);
  await provider.forceFlush();
  t.true(bodies.length >= 1);
  const all = bodies.flatMap((b) => b.json);
  t.is(bodies[0].url, '/api/v2/spans');
  t.is(bodies[0].headers['x-z'], 'z');
  const zc = all.find((s: any) => s.id === spans.client.spanContext().spanId);
  t.is(zc.traceId, spans.client.spanContext().traceId);
  t.is(zc.parentId, spans.server.spanContext().spanId);
  t.is(zc.name, 'SELECT orders');
  t.is(zc.kind, 'CLIENT');
  t.is(zc.localEndpoint.serviceName, 'trace-test');
  t.is(zc.tags['db.system.name'], 'postgresql');
  await provider.shutdown();
});

test('exporter down: no throw, no unhandled rejection; export recovers when the endpoint comes back', async (t) => {
  const receiver = await withReceiver(t);
  const grpcUrl = receiver.grpcUrl;
  const httpUrl = receiver.httpUrl;
  await receiver.stop(); // the collector is down; its ports stay known
  const grpcSetup = setup({ reporting: { traceReporterType: 'OTLP', endpoint: grpcUrl } });
  const httpSetup = setup({ reporting: { traceReporterType: 'OTLP_HTTP', endpoint: httpUrl } });
  for (const { provider } of [grpcSetup, httpSetup]) {
    t.notThrows(() => makeRequestSpans(provider));
    await t.notThrowsAsync(provider.forceFlush());
  }
  t.is(receiver.traceRequests.length, 0);
  t.true(agentLog.matching('warn', /OTLP span export failed/).length >= 1, 'the failure is visible at warn');
  t.true(agentLog.matching('warn', /OTLP_HTTP span export failed/).length >= 1);

  await receiver.start(); // back on the same ports
  t.is(receiver.grpcUrl, grpcUrl);
  const want = new Set<string>();
  for (let attempt = 0; attempt < 40; attempt++) {
    for (const { provider } of [grpcSetup, httpSetup]) {
      const { server } = makeRequestSpans(provider);
      want.add(server.spanContext().spanId);
      await provider.forceFlush();
    }
    const transports = new Set(receiver.spans().map((s) => s.transport));
    if (transports.has('grpc') && transports.has('http')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const transports = new Set(receiver.spans().map((s) => s.transport));
  t.true(transports.has('grpc'), 'gRPC export recovered');
  t.true(transports.has('http'), 'OTLP/HTTP export recovered');
  await Promise.all([grpcSetup.provider.shutdown(), httpSetup.provider.shutdown()]);
  t.deepEqual(unhandled, []);
});

test('an unreachable exporter never blocks span.end(): every span is processed, the batch queue stays bounded', async (t) => {
  const { provider, recorder, exportProcessor } = setup({ reporting: { traceReporterType: 'OTLP', endpoint: 'http://127.0.0.1:9' } });
  const tracer = provider.getTracer('t');
  for (let i = 0; i < 2000; i++) tracer.startSpan(`s${i}`).end();
  t.is(recorder.ended.length, 2000);
  const queued = (exportProcessor as unknown as { batch: { _finishedSpans: unknown[] } }).batch._finishedSpans.length;
  t.true(queued <= FAST_BATCH.maxQueueSize, `queue holds ${queued}`);
  await t.notThrowsAsync(provider.shutdown());
});

test('URL rules: OTLP/HTTP path and port, Zipkin default', (t) => {
  t.is(otlpHttpTracesUrl('http://localhost:4317'), 'http://localhost:4318/v1/traces');
  t.is(otlpHttpTracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
  t.is(otlpHttpTracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
  t.is(otlpHttpTracesUrl('https://collector.example.com/custom/traces'), 'https://collector.example.com/custom/traces');
  t.is(otlpHttpTracesUrl('http://collector:4318', true), 'https://collector:4318/v1/traces');
  t.is(zipkinUrl('http://localhost:4317'), DEFAULT_ZIPKIN_URL);
  t.is(zipkinUrl('http://zipkin:9411'), 'http://zipkin:9411/api/v2/spans');
  t.is(zipkinUrl('http://zipkin:9411/custom'), 'http://zipkin:9411/custom');
});

test('OTLP with secure=true: an unreadable CA file falls back to the system CAs with a warning', async (t) => {
  const lines = agentLog.lines;
  const { provider, exportProcessor } = setup({
    reporting: { traceReporterType: 'OTLP', endpoint: 'https://127.0.0.1:9', secure: true, certFile: '/nonexistent/ca.pem' },
  });
  t.truthy(exportProcessor.exporter);
  t.true(lines.some((l) => l.startsWith('warn:') && l.includes('/nonexistent/ca.pem')));
  await provider.shutdown();
});
