/**
 * peer.service on client series, over real CK spans and the real graph span processor:
 * from peer_service_mapping (host:port, then host) or the span's peer.service attribute (which
 * wins); only HTTP_CLIENT / GRPC_CLIENT / DATABASE / CACHE elements get it; path keys are the same
 * with and without it.
 */
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, trace, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { resolveConfig } from '../../src/config';
import type { GraphElement } from '../../src/graph/types';
import type { GraphPathRecorder } from '../../src/metrics/types';
import { CKGraphSpanProcessor, PeerServiceResolver, defaultMapperRegistry, withPeerService } from '../../src/processors';
import { CKTracerProvider } from '../../src/trace';

class CollectingRecorder implements GraphPathRecorder {
  readonly records: Array<{ pathKey: string; element: GraphElement }> = [];
  record(pathKey: string, _parentKey: string, element: GraphElement): void {
    this.records.push({ pathKey, element });
  }
  countInvalidRoute(): void {}
  countDroppedSpan(): void {}
}

const MAPPING = {
  'billing.internal:8443': 'billing',
  'db.local:5432': 'orders-db',
  'cache.local': 'sessions',
  'inventory:50051': 'inventory',
};

function run(mapping: Record<string, string>, calls: Array<{ kind: SpanKind; attributes: Attributes }>) {
  const config = resolveConfig({ serviceName: 'orders', strict: true, peerServiceMapping: mapping }, {});
  const recorder = new CollectingRecorder();
  const provider = new CKTracerProvider({
    config,
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new CKGraphSpanProcessor(config, recorder, defaultMapperRegistry({ peerServiceMapping: config.peerServiceMapping }))],
  });
  const tracer = provider.getTracer('peer-service-test');
  const server = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.route': '/orders/:id', 'peer.service': 'not-for-entries' },
  });
  const ctx = trace.setSpan(ROOT_CONTEXT, server);
  for (const call of calls) tracer.startSpan('call', call, ctx).end();
  server.end();
  return recorder.records;
}

const CALLS = [
  {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': 'POST', 'server.address': 'billing.internal', 'server.port': 8443, 'url.path': '/charge' },
  },
  {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': 'GET', 'server.address': 'billing.internal', 'server.port': 9000, 'url.path': '/health' },
  },
  {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system.name': 'postgresql',
      'db.query.text': 'SELECT * FROM orders',
      'server.address': 'DB.local',
      'server.port': 5432,
    },
  },
  {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': 'redis', 'db.statement': 'GET k', 'net.peer.name': 'cache.local', 'net.peer.port': 6380 },
  },
  {
    kind: SpanKind.CLIENT,
    attributes: {
      'rpc.system': 'grpc',
      'rpc.service': 'shop.Inventory',
      'rpc.method': 'Reserve',
      'server.address': 'inventory',
      'server.port': 50051,
    },
  },
  {
    kind: SpanKind.CLIENT,
    attributes: { 'http.request.method': 'GET', 'url.full': 'http://billing.internal:8443/x', 'peer.service': 'billing-v2' },
  },
];

test('mapping by host:port, by host, case-insensitive host; the span attribute wins; entries never get it', (t) => {
  const records = run(MAPPING, CALLS);
  const peer = (type: string, name: string) =>
    records.find((r) => r.element.type === type && r.element.name.includes(name))?.element.attributes?.['peer.service'];
  t.is(peer('HTTP_CLIENT', '/charge'), 'billing');
  t.is(peer('HTTP_CLIENT', '/health'), undefined, 'another port of the host is not mapped');
  t.is(peer('DATABASE', 'SELECT orders'), 'orders-db');
  t.is(peer('CACHE', 'redis GET'), 'sessions', 'host-only entry matches any port');
  t.is(peer('GRPC_CLIENT', 'Reserve'), 'inventory');
  t.is(peer('HTTP_CLIENT', '/x'), 'billing-v2', 'the span attribute wins over the mapping');
  const entry = records.find((r) => r.element.type === 'HTTP_SERVICE')!;
  t.is(entry.element.attributes?.['peer.service'], undefined);
  t.like(records.find((r) => r.element.name.includes('/charge'))!.element.attributes, { 'server.address': 'billing.internal:8443' });
});

test('path keys are the same with and without peer.service', (t) => {
  const withMapping = run(MAPPING, CALLS);
  const without = run(
    {},
    CALLS.map((c) => ({ ...c, attributes: { ...c.attributes, 'peer.service': undefined as unknown as string } }))
  );
  t.deepEqual(
    withMapping.map((r) => r.pathKey),
    without.map((r) => r.pathKey)
  );
  t.true(without.every((r) => r.element.attributes?.['peer.service'] === undefined));
  t.true(new Set(withMapping.map((r) => r.pathKey)).size === 1, 'every call is under the request key');
});

test('no mapping and no attribute: elements are the plain cached ones', (t) => {
  const records = run({}, [CALLS[0], CALLS[0]]);
  t.is(records[0].element, records[1].element, 'the same cached element object');
  t.is(records[0].element.attributes?.['peer.service'], undefined);
});

test('withPeerService: one derived object per (element, name); the input is untouched', (t) => {
  const element: GraphElement = Object.freeze({
    type: 'DATABASE',
    name: 'SELECT orders',
    role: 'exit',
    attributes: Object.freeze({ 'db.system.name': 'postgresql' }),
  });
  const a = withPeerService(element, 'orders-db');
  t.is(withPeerService(element, 'orders-db'), a);
  t.deepEqual(a.attributes, { 'db.system.name': 'postgresql', 'peer.service': 'orders-db' });
  t.true(Object.isFrozen(a) && Object.isFrozen(a.attributes));
  t.deepEqual(element.attributes, { 'db.system.name': 'postgresql' });
  t.is(withPeerService(a, 'orders-db'), a);
});

test('PeerServiceResolver: IPv6 keys, junk keys and empty names are ignored safely', (t) => {
  const resolver = new PeerServiceResolver({ '[::1]:8080': 'local-v6', ':80': 'junk', 'x:1': '', 'fd00::5': 'bare-v6' });
  const span = (attributes: Attributes) => ({ attributes }) as Parameters<PeerServiceResolver['resolve']>[0];
  t.is(resolver.resolve(span({ 'server.address': '::1', 'server.port': 8080 })), 'local-v6');
  t.is(resolver.resolve(span({ 'server.address': 'fd00::5', 'server.port': 1 })), 'bare-v6');
  t.is(resolver.resolve(span({ 'server.address': 'x', 'server.port': 1 })), undefined);
  t.is(resolver.resolve(span({})), undefined);
  t.is(resolver.resolve(span({ 'peer.service': 'p'.repeat(1000) }))!.length, 256);
});
