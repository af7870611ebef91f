/**
 * CKGraphSpanProcessor over real CK spans: element mapping for every library family (stable and
 * old semantic-convention names), path keys, ck.slow, errors, root recording outside requests.
 */
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { resolveConfig } from '../../src/config';
import { CKRoutePropagator, PathState, formatRoute, getPathState } from '../../src/graph';
import type { GraphElement } from '../../src/graph/types';
import type { GraphPathRecorder } from '../../src/metrics/types';
import { CKGraphSpanProcessor, MapperRegistry, defaultMapperRegistry } from '../../src/processors';
import { CKTracerProvider, type CKSpan } from '../../src/trace';
import { captureAgentLog } from '../../fixtures/agent-log';

const agentLog = captureAgentLog();

interface Recorded {
  pathKey: string;
  parentKey: string;
  element: GraphElement;
  seconds: number;
  error: boolean;
}

/** Collects what the processor hands to metrics (our own interface, not a library we instrument). */
class CollectingRecorder implements GraphPathRecorder {
  readonly records: Recorded[] = [];
  record(pathKey: string, parentKey: string, element: GraphElement, seconds: number, error: boolean): void {
    this.records.push({ pathKey, parentKey, element, seconds, error });
  }
  countInvalidRoute(): void {}
  countDroppedSpan(): void {}
}

function setup(options: Parameters<typeof resolveConfig>[0] = {}) {
  const config = resolveConfig({ serviceName: 'orders', strict: true, ...options }, {});
  const recorder = new CollectingRecorder();
  const provider = new CKTracerProvider({
    config,
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new CKGraphSpanProcessor(config, recorder)],
  });
  return { config, recorder, tracer: provider.getTracer('processor-test', '1.0.0') };
}

type Tracer = ReturnType<typeof setup>['tracer'];

function span(tracer: Tracer, kind: SpanKind, attributes: Attributes, parent = ROOT_CONTEXT, name = 'op'): CKSpan {
  return tracer.startSpan(name, { kind, attributes }, parent) as CKSpan;
}

test('HTTP server span: entry element from http.route, keyed from the root', (t) => {
  const { recorder, tracer } = setup();
  const server = span(tracer, SpanKind.SERVER, {
    'http.request.method': 'GET',
    'http.route': '/orders/:id',
    'http.response.status_code': 200,
  });
  server.end();
  t.is(recorder.records.length, 1);
  const [record] = recorder.records;
  t.deepEqual(record.element, { type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' });
  t.is(record.parentKey, '0000000000000000');
  t.regex(record.pathKey, /^[0-9a-f]{16}$/);
  t.not(record.pathKey, record.parentKey);
  t.is(server.attributes['ck.path.key'], record.pathKey);
  t.false(record.error);
});

test('old semantic-convention names map the same way, with the route template fallback', (t) => {
  const { recorder, tracer } = setup();
  span(tracer, SpanKind.SERVER, { 'http.method': 'post', 'http.target': '/orders/12345?x=1', 'http.status_code': 503 }).end();
  const [record] = recorder.records;
  t.is(record.element.name, 'POST /orders/{id}');
  t.true(record.error, 'a 5xx is a server error');
});

test('a 4xx server response is not an error; a 5xx is', (t) => {
  const { recorder, tracer } = setup();
  span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 403 }).end();
  span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 500 }).end();
  t.deepEqual(
    recorder.records.map((r) => r.error),
    [false, true]
  );
});

test('exit spans inside a request are recorded under the request path', (t) => {
  const { recorder, tracer } = setup();
  const server = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/checkout' });
  const inRequest = trace.setSpan(ROOT_CONTEXT, server);
  const client = span(
    tracer,
    SpanKind.CLIENT,
    { 'http.request.method': 'GET', 'server.address': 'inventory', 'server.port': 8080, 'url.path': '/stock/77' },
    inRequest
  );
  client.setStatus({ code: SpanStatusCode.ERROR });
  client.end();
  const db = span(
    tracer,
    SpanKind.CLIENT,
    { 'db.system.name': 'postgresql', 'db.query.text': "SELECT * FROM orders WHERE id = 'secret'", 'db.namespace': 'shop' },
    inRequest
  );
  db.end();
  const cache = span(tracer, SpanKind.CLIENT, { 'db.system': 'redis', 'db.statement': 'get cart:1' }, inRequest);
  cache.end();
  server.end();

  const [clientRec, dbRec, cacheRec, serverRec] = recorder.records;
  t.is(clientRec.element.type, 'HTTP_CLIENT');
  t.is(clientRec.element.name, 'GET inventory:8080/stock/{id}');
  t.true(clientRec.error, 'a failed call is an error');
  t.is(dbRec.element.type, 'DATABASE');
  t.is(dbRec.element.name, 'SELECT orders');
  t.false(JSON.stringify(dbRec.element).includes('secret'), 'no literal values in elements');
  t.is(dbRec.element.attributes?.['db.system.name'], 'postgresql');
  t.is(cacheRec.element.type, 'CACHE');
  t.is(cacheRec.element.name, 'redis GET');
  for (const exit of [clientRec, dbRec, cacheRec]) {
    t.is(exit.element.role, 'exit');
    t.is(exit.pathKey, serverRec.pathKey);
    t.is(exit.parentKey, serverRec.parentKey);
  }
  t.is(db.attributes['ck.path.key'], serverRec.pathKey);
});

test('gRPC server and client spans map to GRPC_SERVICE / GRPC_CLIENT; non-OK status is an error', (t) => {
  const { recorder, tracer } = setup();
  const server = span(tracer, SpanKind.SERVER, {
    'rpc.system': 'grpc',
    'rpc.service': 'shop.Inventory',
    'rpc.method': 'Reserve',
    'rpc.grpc.status_code': 0,
  });
  const client = span(
    tracer,
    SpanKind.CLIENT,
    {
      'rpc.system': 'grpc',
      'rpc.service': 'shop.Pricing',
      'rpc.method': 'Quote',
      'net.peer.name': 'pricing',
      'net.peer.port': 50051,
      'rpc.grpc.status_code': 14,
    },
    trace.setSpan(ROOT_CONTEXT, server)
  );
  client.end();
  server.end();
  const [clientRec, serverRec] = recorder.records;
  t.deepEqual(serverRec.element, {
    type: 'GRPC_SERVICE',
    name: 'shop.Inventory/Reserve',
    role: 'entry',
    attributes: { 'rpc.service': 'shop.Inventory' },
  });
  t.false(serverRec.error);
  t.is(clientRec.element.type, 'GRPC_CLIENT');
  t.is(clientRec.element.attributes?.['server.address'], 'pricing:50051');
  t.true(clientRec.error);
});

test('MongoDB and messaging spans', (t) => {
  const { recorder, tracer } = setup();
  span(tracer, SpanKind.CLIENT, {
    'db.system': 'mongodb',
    'db.operation': 'find',
    'db.mongodb.collection': 'orders',
    'db.name': 'shop',
  }).end();
  span(tracer, SpanKind.PRODUCER, { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' }).end();
  span(tracer, SpanKind.CONSUMER, { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' }).end();
  const [mongo, producer, consumer] = recorder.records;
  t.is(mongo.element.type, 'DATABASE');
  t.regex(mongo.element.name, /^find orders$/i);
  t.is(mongo.element.attributes?.['db.namespace'], 'shop');
  t.is(producer.element.type, 'MESSAGING_PRODUCER');
  t.is(consumer.element.type, 'MESSAGING_CONSUMER');
  t.is(consumer.element.role, 'entry');
});

test('work outside any request is recorded under the root path', (t) => {
  const { recorder, tracer } = setup();
  span(tracer, SpanKind.CLIENT, { 'db.system': 'redis', 'db.operation': 'PING' }).end();
  t.is(recorder.records[0].pathKey, '0000000000000000');
  t.is(recorder.records[0].parentKey, '0000000000000000');
});

test('spans without a graph element (internal) are not recorded but still get the path key', (t) => {
  const { recorder, tracer } = setup();
  const server = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/x' });
  const internal = span(tracer, SpanKind.INTERNAL, { 'express.type': 'middleware' }, trace.setSpan(ROOT_CONTEXT, server));
  internal.end();
  server.end();
  t.is(recorder.records.length, 1);
  t.is(internal.attributes['ck.path.key'], recorder.records[0].pathKey);
});

test('an incoming ck-route makes the server span a child path with that parent key', (t) => {
  const { recorder, tracer } = setup();
  const parentKey = '4f1c2a9be07d3318';
  const extracted = new CKRoutePropagator().extract(
    ROOT_CONTEXT,
    { 'ck-route': formatRoute(parentKey, 1) },
    {
      get: (carrier, key) => (carrier as Record<string, string>)[key],
      keys: (carrier) => Object.keys(carrier as object),
    }
  );
  const server = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/stock/:sku' }, extracted);
  t.true(getPathState(trace.setSpan(ROOT_CONTEXT, server))?.forceCapture, 'flags travel with the path');
  server.end();
  t.is(recorder.records[0].parentKey, parentKey);
  t.not(recorder.records[0].pathKey, parentKey);
});

test('a route learned after the span started re-keys the path at end', (t) => {
  const { recorder, tracer } = setup();
  const server = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'url.path': '/orders/5' });
  const state = server.pathState as PathState;
  const expected = new PathState('orders');
  expected.setEntry({ type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' });
  server.setAttribute('http.route', '/orders/:id');
  server.end();
  t.is(recorder.records[0].element.name, 'GET /orders/:id');
  t.is(state.key, expected.key);
  t.is(recorder.records[0].pathKey, expected.key);
});

test('ck.slow marks spans at or over the threshold', (t) => {
  const { tracer } = setup({ slowSpanThresholdMs: 100 });
  const start = Date.now();
  const slow = tracer.startSpan('slow', { kind: SpanKind.INTERNAL, startTime: start - 150 }, ROOT_CONTEXT) as CKSpan;
  slow.end(start);
  const fast = tracer.startSpan('fast', { kind: SpanKind.INTERNAL, startTime: start - 10 }, ROOT_CONTEXT) as CKSpan;
  fast.end(start);
  t.is(slow.attributes['ck.slow'], true);
  t.is(fast.attributes['ck.slow'], undefined);
});

test('the registry dispatches by kind and marker, and is open to new mappers', (t) => {
  const registry = defaultMapperRegistry();
  const { tracer } = setup();
  const custom = new MapperRegistry().register({
    name: 'queue',
    kinds: [SpanKind.CONSUMER],
    markers: ['queue.name'],
    map: (s) => ({ type: 'MESSAGING_CONSUMER', name: `jobs ${String(s.attributes['queue.name'])}`, role: 'entry' }),
    isError: () => false,
  });
  const job = span(tracer, SpanKind.CONSUMER, { 'queue.name': 'emails' });
  t.is(registry.mapperFor(job), undefined, 'no built-in mapper claims an unknown shape');
  t.is(custom.mapperFor(job)?.map(job)?.name, 'jobs emails');
  const httpServer = span(tracer, SpanKind.SERVER, { 'http.method': 'GET' });
  const grpcServer = span(tracer, SpanKind.SERVER, { 'rpc.system': 'grpc' });
  t.is(registry.mapperFor(httpServer)?.name, 'http-server');
  t.is(registry.mapperFor(grpcServer)?.name, 'grpc-server', 'the cached mapper for a scope is re-checked by marker');
});

test('a throwing mapper never reaches the span owner', (t) => {
  const config = resolveConfig({ serviceName: 'orders' }, {});
  const recorder = new CollectingRecorder();
  const broken = new MapperRegistry().register({
    name: 'broken',
    kinds: [SpanKind.SERVER],
    markers: ['http.method'],
    map: () => {
      throw new Error('mapper bug');
    },
    isError: () => false,
  });
  const provider = new CKTracerProvider({
    config,
    resource: resourceFromAttributes({}),
    spanProcessors: [new CKGraphSpanProcessor(config, recorder, broken)],
  });
  const s = provider.getTracer('t').startSpan('x', { kind: SpanKind.SERVER, attributes: { 'http.method': 'GET' } }, ROOT_CONTEXT);
  t.notThrows(() => s.end());
  t.is(recorder.records.length, 0);
  t.is(agentLog.matching('warn', /graph path naming failed at span start: mapper bug/).length, 1);
  t.is(agentLog.matching('warn', /graph path processing failed for a span: mapper bug/).length, 1);
});

test('ck.error marks spans with error status; HTTP servers only for 5xx', (t) => {
  const { tracer } = setup();
  const ok = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 404 });
  ok.setStatus({ code: SpanStatusCode.ERROR });
  ok.end();
  const failed = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/b', 'http.response.status_code': 503 });
  failed.end();
  const internal = span(tracer, SpanKind.INTERNAL, {});
  internal.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  internal.end();
  const fine = span(tracer, SpanKind.CLIENT, { 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT' });
  fine.end();
  t.is(ok.attributes['ck.error'], undefined, "a 404 is the client's error, not ours");
  t.is(failed.attributes['ck.error'], true);
  t.is(internal.attributes['ck.error'], true);
  t.is(fine.attributes['ck.error'], undefined);
});

test('graph attributes are set through the span before it ends, within its attribute limit', (t) => {
  const { tracer } = setup({ tracing: { attributeCountLimit: 2 } });
  const server = span(tracer, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/full' });
  server.end();
  t.true(server.ended);
  t.is(server.attributes['ck.path.key'], undefined, 'no room left: not forced into the map');
  t.is(server.droppedAttributesCount, 1);
  const roomy = setup().tracer;
  const other = span(roomy, SpanKind.SERVER, { 'http.request.method': 'GET', 'http.route': '/room' });
  other.end();
  t.regex(String(other.attributes['ck.path.key']), /^[0-9a-f]{16}$/);
  other.setAttribute('ck.path.key', 'changed after end');
  t.not(other.attributes['ck.path.key'], 'changed after end');
});

test('annotateSpans: false (metrics only) records the same elements without writing graph attributes', (t) => {
  const config = resolveConfig({ serviceName: 'orders', strict: true, slowSpanThresholdMs: 100 }, {});
  const quiet = new CollectingRecorder();
  const provider = new CKTracerProvider({
    config,
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new CKGraphSpanProcessor(config, quiet, defaultMapperRegistry(), { annotateSpans: false })],
  });
  const tracer = provider.getTracer('processor-test', '1.0.0');
  const start = Date.now();
  const server = tracer.startSpan(
    'GET',
    {
      kind: SpanKind.SERVER,
      startTime: start - 150,
      attributes: { 'http.request.method': 'GET', 'http.route': '/q', 'http.response.status_code': 503 },
    },
    ROOT_CONTEXT
  ) as CKSpan;
  server.end(start);
  const [record] = quiet.records;
  t.is(record.element.name, 'GET /q');
  t.true(record.error);
  t.regex(record.pathKey, /^[0-9a-f]{16}$/);
  for (const key of ['ck.path.key', 'ck.slow', 'ck.error']) t.is(server.attributes[key], undefined, key);
});
