/** CKSpan and CKTracer basics: ids, attributes and limits, status, end, time, path state, sampling flag. */
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, defaultTextMapGetter, trace, type Span } from '@opentelemetry/api';
import { hrTimeToMilliseconds, suppressTracing } from '@opentelemetry/core';
import { CKRoutePropagator, contextWithPathState, formatRoute, PathState, ROOT_KEY, FLAG_FORCE_CAPTURE } from '../../src/graph';
import { CKSpan, newSpanId, newTraceId } from '../../src/trace';
import { makeProvider } from './helpers';

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

function ck(span: Span): CKSpan {
  if (!(span instanceof CKSpan)) throw new Error('expected a CKSpan');
  return span;
}

test('ids: 16-byte trace ids and 8-byte span ids as lower-case hex, not repeating', (t) => {
  const traceIds = new Set<string>();
  const spanIds = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const traceId = newTraceId();
    const spanId = newSpanId();
    t.regex(traceId, HEX32);
    t.regex(spanId, HEX16);
    traceIds.add(traceId);
    spanIds.add(spanId);
  }
  t.is(traceIds.size, 5000);
  t.is(spanIds.size, 5000);
});

test('a root span gets a new trace id, a child inherits it and records its parent', (t) => {
  const { provider, recorder } = makeProvider();
  const tracer = provider.getTracer('test', '1.0.0', { schemaUrl: 'https://example.com/schema' });
  const parent = ck(tracer.startSpan('parent'));
  const child = ck(tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent)));
  t.regex(parent.spanContext().traceId, HEX32);
  t.regex(parent.spanContext().spanId, HEX16);
  t.is(parent.parentSpanContext, undefined);
  t.is(child.spanContext().traceId, parent.spanContext().traceId);
  t.not(child.spanContext().spanId, parent.spanContext().spanId);
  t.is(child.parentSpanContext?.spanId, parent.spanContext().spanId);
  t.deepEqual(child.instrumentationScope, { name: 'test', version: '1.0.0', schemaUrl: 'https://example.com/schema' });
  t.is(child.resource.attributes['service.name'], 'trace-test');
  t.is(child.kind, SpanKind.INTERNAL);
  t.deepEqual(recorder.started, [parent, child]);

  const root = ck(tracer.startSpan('root', { root: true }, trace.setSpan(ROOT_CONTEXT, parent)));
  t.not(root.spanContext().traceId, parent.spanContext().traceId);
  t.is(root.parentSpanContext, undefined);
});

test('an invalid parent span context starts a new trace', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 });
  const span = ck(tracer.startSpan('x', {}, ctx));
  t.regex(span.spanContext().traceId, HEX32);
  t.not(span.spanContext().traceId, '0'.repeat(32));
  t.is(span.parentSpanContext, undefined);
});

test('a remote parent (extracted trace context) is inherited with its trace state', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const remote = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
  const span = ck(tracer.startSpan('server', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, remote)));
  t.is(span.spanContext().traceId, remote.traceId);
  t.is(span.parentSpanContext?.spanId, remote.spanId);
  t.is(span.spanContext().traceFlags & TraceFlags.SAMPLED, TraceFlags.SAMPLED);
});

test('suppressed tracing gives a non-recording span and calls no processor', (t) => {
  const { provider, recorder } = makeProvider();
  const span = provider.getTracer('test').startSpan('x', {}, suppressTracing(ROOT_CONTEXT));
  t.false(span.isRecording());
  t.false(span instanceof CKSpan);
  span.end();
  t.is(recorder.started.length, 0);
  t.is(recorder.ended.length, 0);
});

test('attributes: valid values kept, invalid ignored, initial attributes from options', (t) => {
  const { provider } = makeProvider();
  const span = ck(provider.getTracer('test').startSpan('x', { attributes: { a: 1, b: 'two' } }));
  span.setAttribute('c', true);
  span.setAttributes({ d: [1, 2], e: ['x', 'y'], f: undefined });
  span.setAttribute('g', { nested: 1 } as never);
  span.setAttribute('h', [1, 'mixed'] as never);
  span.setAttribute('', 'empty key');
  span.setAttribute('i', null as never);
  t.deepEqual(span.attributes, { a: 1, b: 'two', c: true, d: [1, 2], e: ['x', 'y'] });
  t.is(span.droppedAttributesCount, 0);
  span.setAttribute('a', 'replaced');
  t.is(span.attributes.a, 'replaced');
});

test('attributes: count limit drops new keys (counted) but still updates existing ones', (t) => {
  const { provider } = makeProvider({ tracing: { attributeCountLimit: 3 } });
  const span = ck(provider.getTracer('test').startSpan('x'));
  for (let i = 0; i < 10; i++) span.setAttribute(`k${i}`, i);
  t.deepEqual(Object.keys(span.attributes), ['k0', 'k1', 'k2']);
  t.is(span.droppedAttributesCount, 7);
  span.setAttribute('k1', 'updated');
  t.is(span.attributes.k1, 'updated');
  t.is(span.droppedAttributesCount, 7);
});

test('attributes: value length limit cuts strings and strings inside arrays', (t) => {
  const { provider } = makeProvider({ tracing: { attributeValueLengthLimit: 5 } });
  const span = ck(provider.getTracer('test').startSpan('x'));
  const input = ['abcdefgh', 'ab'];
  span.setAttributes({ s: '0123456789', short: 'abc', arr: input, n: 1234567890, b: false });
  t.deepEqual(span.attributes, { s: '01234', short: 'abc', arr: ['abcde', 'ab'], n: 1234567890, b: false });
  t.deepEqual(input, ['abcdefgh', 'ab'], 'the caller array is not modified');
});

test('status: UNSET never overrides, ERROR keeps a string message, OK is final', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const a = ck(tracer.startSpan('a'));
  t.deepEqual(a.status, { code: SpanStatusCode.UNSET });
  a.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  t.deepEqual(a.status, { code: SpanStatusCode.ERROR, message: 'boom' });
  a.setStatus({ code: SpanStatusCode.UNSET });
  t.deepEqual(a.status, { code: SpanStatusCode.ERROR, message: 'boom' });
  a.setStatus({ code: SpanStatusCode.OK, message: 'ignored message' });
  t.deepEqual(a.status, { code: SpanStatusCode.OK });
  a.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
  t.deepEqual(a.status, { code: SpanStatusCode.OK });
  const b = ck(tracer.startSpan('b'));
  b.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
  t.deepEqual(b.status, { code: SpanStatusCode.ERROR });
});

test('events and links are not kept but counted; recordException keeps type and message', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const other = tracer.startSpan('other').spanContext();
  const span = ck(tracer.startSpan('x', { links: [{ context: other }] }));
  span.addEvent('e1');
  span.addEvent('e2', { a: 1 });
  span.addLink({ context: other });
  span.addLinks([{ context: other }, { context: other }]);
  const err = new TypeError('bad input');
  span.recordException(err);
  span.recordException({ code: 'ECONNRESET', message: 'socket hang up' });
  t.deepEqual(span.events, []);
  t.deepEqual(span.links, []);
  t.is(span.droppedEventsCount, 4);
  t.is(span.droppedLinksCount, 4);
  t.is(span.attributes['exception.type'], 'ECONNRESET');
  t.is(span.attributes['exception.message'], 'socket hang up');
  t.is(span.status.code, SpanStatusCode.UNSET, 'recordException does not set the status');
  const s2 = ck(tracer.startSpan('y'));
  s2.recordException('plain string');
  t.is(s2.attributes['exception.message'], 'plain string');
});

test('end: once only, ReadableSpan fields filled, later changes ignored', (t) => {
  const { provider, recorder } = makeProvider();
  const span = ck(provider.getTracer('test').startSpan('x'));
  t.true(span.isRecording());
  t.false(span.ended);
  span.updateName('renamed');
  span.end();
  t.true(span.ended);
  t.false(span.isRecording());
  t.is(span.name, 'renamed');
  const firstEnd = span.endTime;
  span.end();
  t.is(span.endTime, firstEnd);
  t.is(recorder.ended.length, 1);
  span.setAttribute('late', 1);
  span.updateName('later');
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.addEvent('late');
  t.is(span.attributes.late, undefined);
  t.is(span.name, 'renamed');
  t.is(span.status.code, SpanStatusCode.UNSET);
  t.is(span.droppedEventsCount, 0);
  t.true(span.duration[0] >= 0 && span.duration[1] >= 0);
  t.true(hrTimeToMilliseconds(span.endTime) >= hrTimeToMilliseconds(span.startTime));
  t.true(Math.abs(hrTimeToMilliseconds(span.startTime) - Date.now()) < 60_000);
});

test('explicit start and end times (Date, epoch ms, HrTime); end before start clamps to zero', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const a = ck(tracer.startSpan('a', { startTime: new Date(1_700_000_000_000) }));
  a.end(1_700_000_000_250);
  t.deepEqual(a.startTime, [1_700_000_000, 0]);
  t.deepEqual(a.endTime, [1_700_000_000, 250_000_000]);
  t.deepEqual(a.duration, [0, 250_000_000]);
  const b = ck(tracer.startSpan('b', { startTime: [1_700_000_001, 5] }));
  b.end([1_700_000_000, 0]);
  t.deepEqual(b.duration, [0, 0]);
  t.deepEqual(b.endTime, b.startTime);
});

test('startActiveSpan: all overloads pass options and parent context and return the callback result', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const r1 = tracer.startActiveSpan('one', (span) => {
    t.true(span instanceof CKSpan);
    span.end();
    return 1;
  });
  const r2 = tracer.startActiveSpan('two', { kind: SpanKind.CLIENT }, (span) => {
    t.is(ck(span).kind, SpanKind.CLIENT);
    span.end();
    return 2;
  });
  const parent = tracer.startSpan('parent');
  const r3 = tracer.startActiveSpan('three', {}, trace.setSpan(ROOT_CONTEXT, parent), (span) => {
    t.is(ck(span).parentSpanContext?.spanId, parent.spanContext().spanId);
    span.end();
    return 3;
  });
  t.deepEqual([r1, r2, r3], [1, 2, 3]);
});

test('path state: a SERVER span starts a root path state it owns', (t) => {
  const { provider } = makeProvider({ serviceName: 'orders' });
  const span = ck(provider.getTracer('test').startSpan('GET /x', { kind: SpanKind.SERVER }));
  const state = span.pathState;
  t.true(state instanceof PathState);
  t.is(state?.serviceName, 'orders');
  t.is(state?.parentKey, ROOT_KEY);
  t.is(state?.entrySpanId, span.spanContext().spanId);
  t.false(state?.forceCapture);
});

test('path state: a SERVER span takes the extracted ck-route as parent; children share its state', (t) => {
  const { provider } = makeProvider({ serviceName: 'inventory' });
  const tracer = provider.getTracer('test');
  const incoming = formatRoute('4f1c2a9be07d3318', 0);
  const extracted = new CKRoutePropagator().extract(ROOT_CONTEXT, { 'ck-route': incoming }, defaultTextMapGetter);
  const server = ck(tracer.startSpan('GET /stock', { kind: SpanKind.SERVER }, extracted));
  t.is(server.pathState?.parentKey, '4f1c2a9be07d3318');
  t.is(server.pathState?.incomingRoute, incoming);
  t.is(server.pathState?.serviceName, 'inventory');
  t.is(server.pathState?.entrySpanId, server.spanContext().spanId);

  const inRequest = trace.setSpan(extracted, server);
  const client = ck(tracer.startSpan('SELECT', { kind: SpanKind.CLIENT }, inRequest));
  t.is(client.pathState, server.pathState);
  const grandChild = ck(tracer.startSpan('inner', {}, trace.setSpan(inRequest, client)));
  t.is(grandChild.pathState, server.pathState);

  // a CONSUMER span is an entry too: a new state whose parent is the extracted one
  const consumer = ck(tracer.startSpan('process', { kind: SpanKind.CONSUMER }, inRequest));
  t.not(consumer.pathState, server.pathState);
  t.is(consumer.pathState?.entrySpanId, consumer.spanContext().spanId);
});

test('path state: a non-entry span without CK parent uses the extracted state, else none', (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('test');
  const state = new PathState('upstream', 'aaaaaaaaaaaaaaaa');
  const client = ck(tracer.startSpan('GET', { kind: SpanKind.CLIENT }, contextWithPathState(ROOT_CONTEXT, state)));
  t.is(client.pathState, state);
  const lone = ck(tracer.startSpan('timer'));
  t.is(lone.pathState, undefined);
});

test('sampling flag: force capture from ck-route samples even when the sampler drops', (t) => {
  const { provider } = makeProvider({ tracing: { sampler: 'always_off' } });
  const tracer = provider.getTracer('test');
  const plain = ck(tracer.startSpan('GET /a', { kind: SpanKind.SERVER }));
  t.is(plain.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
  t.true(plain.isRecording(), 'unsampled spans are still recorded');

  const forced = new CKRoutePropagator().extract(
    ROOT_CONTEXT,
    { 'ck-route': formatRoute('4f1c2a9be07d3318', FLAG_FORCE_CAPTURE) },
    defaultTextMapGetter
  );
  const server = ck(tracer.startSpan('GET /b', { kind: SpanKind.SERVER }, forced));
  t.true(server.pathState?.forceCapture);
  t.is(server.spanContext().traceFlags & TraceFlags.SAMPLED, TraceFlags.SAMPLED);
  const child = ck(tracer.startSpan('db', { kind: SpanKind.CLIENT }, trace.setSpan(forced, server)));
  t.is(child.spanContext().traceFlags & TraceFlags.SAMPLED, TraceFlags.SAMPLED);
});

test('markSampled replaces the span context with a SAMPLED copy', (t) => {
  const { provider } = makeProvider({ tracing: { sampler: 'always_off' } });
  const span = ck(provider.getTracer('test').startSpan('x'));
  const before = span.spanContext();
  span.markSampled();
  t.is(before.traceFlags, TraceFlags.NONE);
  t.is(span.spanContext().traceFlags, TraceFlags.SAMPLED);
  t.is(span.spanContext().spanId, before.spanId);
});
