/**
 * registerMapper / unregisterMapper over real CK spans and the real graph span processor: a
 * mapper registered after the processor exists (and after a built-in mapper was cached for the
 * same scope) takes the next span, unregistering drops it again, user mappers come before the
 * built-in ones, bad shapes are refused with a warning, and a throwing mapper never breaks a span.
 * The registry is process-wide: these tests run serially and unregister what they register.
 */
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { registerMapper, unregisterMapper, type SpanMapper } from '../../src';
import { resolveConfig } from '../../src/config';
import type { GraphElement } from '../../src/graph/types';
import { logger } from '../../src/logger';
import type { GraphPathRecorder } from '../../src/metrics/types';
import { CKGraphSpanProcessor, MapperRegistry, databaseMapper } from '../../src/processors';
import { CKTracerProvider, type CKSpan } from '../../src/trace';

class CollectingRecorder implements GraphPathRecorder {
  readonly records: Array<{ pathKey: string; element: GraphElement; error: boolean }> = [];
  record(pathKey: string, _parentKey: string, element: GraphElement, _seconds: number, error: boolean): void {
    this.records.push({ pathKey, element, error });
  }
  countInvalidRoute(): void {}
  countDroppedSpan(): void {}
}

function setup() {
  const config = resolveConfig({ serviceName: 'orders', strict: true }, {});
  const recorder = new CollectingRecorder();
  const provider = new CKTracerProvider({
    config,
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new CKGraphSpanProcessor(config, recorder)],
  });
  return { recorder, tracer: provider.getTracer('@acme/instrumentation-dynamo', '1.0.0') };
}

/** Spans as @opentelemetry/instrumentation-aws-sdk makes them for a DynamoDB call. */
const DYNAMO_ATTRIBUTES = {
  'rpc.system': 'aws-api',
  'rpc.service': 'DynamoDB',
  'rpc.method': 'GetItem',
  'db.system': 'dynamodb',
  'aws.dynamodb.table_names': ['orders'],
};

const dynamoMapper: SpanMapper = {
  name: 'dynamodb',
  kinds: [SpanKind.CLIENT],
  markers: ['aws.dynamodb.table_names'],
  map(span: ReadableSpan): GraphElement {
    const tables = span.attributes['aws.dynamodb.table_names'];
    const table = Array.isArray(tables) ? String(tables[0]) : undefined;
    return {
      type: 'DATABASE',
      name: `${String(span.attributes['rpc.method']).toUpperCase()}${table ? ` ${table}` : ''}`,
      role: 'exit',
      attributes: { 'db.system.name': 'dynamodb' },
    };
  },
  isError: (span) => span.status.code === SpanStatusCode.ERROR,
};

function dynamoCall(tracer: ReturnType<typeof setup>['tracer'], parent = ROOT_CONTEXT, failed = false): CKSpan {
  const span = tracer.startSpan('DynamoDB.GetItem', { kind: SpanKind.CLIENT, attributes: DYNAMO_ATTRIBUTES }, parent) as CKSpan;
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
  return span;
}

test.serial('a mapper registered after the processor (and after a built-in was cached) takes the next span; unregister drops it', (t) => {
  const { recorder, tracer } = setup();
  // Without the user mapper the span's rpc.system makes the built-in gRPC client mapper take it.
  dynamoCall(tracer);
  t.is(recorder.records[0].element.type, 'GRPC_CLIENT', 'built-in mapping (cached for this scope now)');

  registerMapper(dynamoMapper);
  t.teardown(() => unregisterMapper(dynamoMapper));
  dynamoCall(tracer);
  dynamoCall(tracer, ROOT_CONTEXT, true);
  t.deepEqual(recorder.records[1].element, {
    type: 'DATABASE',
    name: 'GETITEM orders',
    role: 'exit',
    attributes: { 'db.system.name': 'dynamodb' },
  });
  t.false(recorder.records[1].error);
  t.true(recorder.records[2].error, 'isError of the user mapper decides');

  unregisterMapper(dynamoMapper);
  dynamoCall(tracer);
  t.is(recorder.records[3].element.type, 'GRPC_CLIENT', 'back to the built-in mapper');
});

test.serial('user mappers are recorded under the request path key, like built-in ones', (t) => {
  const { recorder, tracer } = setup();
  registerMapper(dynamoMapper);
  t.teardown(() => unregisterMapper(dynamoMapper));
  const server = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.route': '/orders/:id', 'http.response.status_code': 200 },
  });
  dynamoCall(tracer, trace.setSpan(ROOT_CONTEXT, server));
  server.end();
  const db = recorder.records.find((r) => r.element.type === 'DATABASE')!;
  const entry = recorder.records.find((r) => r.element.type === 'HTTP_SERVICE')!;
  t.is(db.pathKey, entry.pathKey);
});

test.serial('registering twice is a no-op; unregistering an unknown mapper is a no-op', (t) => {
  const { recorder, tracer } = setup();
  registerMapper(dynamoMapper);
  registerMapper(dynamoMapper);
  unregisterMapper(dynamoMapper);
  unregisterMapper(dynamoMapper);
  unregisterMapper({ ...dynamoMapper });
  dynamoCall(tracer);
  t.is(recorder.records[0].element.type, 'GRPC_CLIENT', 'one unregister removed the one registration');
});

test.serial('invalid mappers are refused with one warning each', (t) => {
  const warnings: string[] = [];
  logger.setSink((level, message) => {
    if (level === 'warn') warnings.push(message);
  });
  t.teardown(() => logger.setSink(() => undefined));
  const bad: unknown[] = [
    null,
    { ...dynamoMapper, name: '' },
    { ...dynamoMapper, kinds: [] },
    { ...dynamoMapper, kinds: [42] },
    { ...dynamoMapper, markers: [] },
    { ...dynamoMapper, map: 'nope' },
    { ...dynamoMapper, isError: undefined },
  ];
  for (const mapper of bad) registerMapper(mapper as SpanMapper);
  t.is(warnings.length, bad.length);
  t.true(warnings.every((w) => w.startsWith('registerMapper:') && w.endsWith('mapper ignored')));
  const { recorder, tracer } = setup();
  dynamoCall(tracer);
  t.is(recorder.records[0].element.type, 'GRPC_CLIENT', 'nothing was registered');
});

test.serial('a mapper that throws is logged once and counts as declining; nothing breaks', (t) => {
  const warnings: string[] = [];
  logger.setSink((level, message) => {
    if (level === 'warn') warnings.push(message);
  });
  t.teardown(() => logger.setSink(() => undefined));
  const broken: SpanMapper = {
    ...dynamoMapper,
    name: 'broken',
    map() {
      throw new Error('boom');
    },
  };
  registerMapper(broken);
  t.teardown(() => unregisterMapper(broken));
  const { recorder, tracer } = setup();
  const server = tracer.startSpan('GET /x', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/x' } });
  const call1 = dynamoCall(tracer, trace.setSpan(ROOT_CONTEXT, server));
  dynamoCall(tracer, trace.setSpan(ROOT_CONTEXT, server));
  server.end();
  t.deepEqual(
    recorder.records.map((r) => r.element.type),
    ['GRPC_CLIENT', 'GRPC_CLIENT', 'HTTP_SERVICE'],
    'a throwing map() counts as declined: the built-in mappers take the spans'
  );
  t.is(call1.attributes['ck.path.key'], recorder.records[2].pathKey);
  t.is(warnings.length, 1);
  t.regex(warnings[0], /mapper broken: map\(\) threw.*boom/);
});

test.serial('a span the user mapper declines goes on to the built-in mappers', (t) => {
  // Keyed on the common db.system marker, but only for DynamoDB.
  const dynamoByDbSystem: SpanMapper = {
    ...dynamoMapper,
    name: 'dynamodb-by-db-system',
    markers: ['db.system'],
    map: (span) => (span.attributes['db.system'] === 'dynamodb' ? dynamoMapper.map(span) : undefined),
    isError: () => true,
  };
  registerMapper(dynamoByDbSystem);
  t.teardown(() => unregisterMapper(dynamoByDbSystem));
  const { recorder, tracer } = setup();
  dynamoCall(tracer);
  const pg = tracer.startSpan('SELECT', {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders WHERE id = $1' },
  });
  pg.setStatus({ code: SpanStatusCode.OK });
  pg.end();
  t.deepEqual(
    recorder.records.map((r) => [r.element.type, r.element.name, r.error]),
    [
      ['DATABASE', 'GETITEM orders', true],
      ['DATABASE', 'SELECT orders', false],
    ],
    'the PostgreSQL span is mapped (and judged) by the built-in database mapper'
  );
});

test.serial('a plain MapperRegistry does not see registered mappers; unregister on an instance works', (t) => {
  registerMapper(dynamoMapper);
  t.teardown(() => unregisterMapper(dynamoMapper));
  const { tracer } = setup();
  const span = dynamoCall(tracer);
  const registry = new MapperRegistry().register(databaseMapper);
  t.is(registry.mapperFor(span), databaseMapper, 'db.system: the database mapper');
  registry.unregister(databaseMapper);
  t.is(registry.mapperFor(span), undefined);
  const withRegistered = new MapperRegistry({ withRegisteredMappers: true });
  t.is(withRegistered.mapperFor(span)?.name, 'dynamodb');
  t.is(withRegistered.mapperFor(span)?.map(span)?.name, 'GETITEM orders');
});

test.serial('a declined span that no built-in mapper takes is judged by its status (ck.error), not recorded', (t) => {
  const picky: SpanMapper = {
    ...dynamoMapper,
    name: 'picky',
    kinds: [SpanKind.INTERNAL],
    markers: ['job.name'],
    map: () => undefined,
    isError: () => false,
  };
  registerMapper(picky);
  t.teardown(() => unregisterMapper(picky));
  const { recorder, tracer } = setup();
  const failed = tracer.startSpan('job', { kind: SpanKind.INTERNAL, attributes: { 'job.name': 'emails' } }) as CKSpan;
  failed.setStatus({ code: SpanStatusCode.ERROR });
  failed.end();
  const fine = tracer.startSpan('job', { kind: SpanKind.INTERNAL, attributes: { 'job.name': 'emails' } }) as CKSpan;
  fine.end();
  t.is(recorder.records.length, 0);
  t.is(failed.attributes['ck.error'], true);
  t.is(fine.attributes['ck.error'], undefined);
});
