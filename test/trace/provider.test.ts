/** CKTracerProvider: tracer cache and scopes, processor order and isolation, flush, shutdown. */
import test from 'ava';
import { SpanKind, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { logger } from '../../src/logger';
import { CKSpan, CKTracer } from '../../src/trace';
import { makeProvider } from './helpers';

function captureLog(t: { teardown(fn: () => void): void }): string[] {
  const lines: string[] = [];
  logger.setSink((level, message) => lines.push(`${level}: ${message}`));
  t.teardown(() => logger.setSink((level, message) => process.stderr.write(`[ck-agent] ${level}: ${message}\n`)));
  return lines;
}

test('getTracer caches per (name, version, schemaUrl) and records the scope', (t) => {
  const { provider } = makeProvider();
  const a = provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://s/1' });
  t.true(a instanceof CKTracer);
  t.is(provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://s/1' }), a);
  t.not(provider.getTracer('lib', '1.0.1', { schemaUrl: 'https://s/1' }), a);
  t.not(provider.getTracer('lib', '1.0.0', { schemaUrl: 'https://s/2' }), a);
  t.not(provider.getTracer('lib'), a);
  const span = a.startSpan('x') as CKSpan;
  t.deepEqual(span.instrumentationScope, { name: 'lib', version: '1.0.0', schemaUrl: 'https://s/1' });
});

test('processors see onStart (with the parent context) and onEnd, in order', (t) => {
  const calls: string[] = [];
  const make = (id: string): SpanProcessor => ({
    onStart: (span: Span, _ctx: Context) => void calls.push(`${id}:start:${span.name}`),
    onEnding: (span: Span) => void calls.push(`${id}:ending:${span.name}:${span.ended}`),
    onEnd: (span: ReadableSpan) => void calls.push(`${id}:end:${span.name}:${span.ended}`),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  });
  const { provider, recorder } = makeProvider({}, [make('a'), make('b')]);
  const span = provider.getTracer('t').startSpan('s');
  span.end();
  t.deepEqual(calls, ['a:start:s', 'b:start:s', 'a:ending:s:false', 'b:ending:s:false', 'a:end:s:true', 'b:end:s:true']);
  t.is(recorder.started[0], span as unknown as Span);
  t.is(recorder.ended[0], span as unknown as ReadableSpan);
});

test('a throwing processor is skipped and logged once; the others and the span are unaffected', (t) => {
  const log = captureLog(t);
  const broken: SpanProcessor = {
    onStart: () => {
      throw new Error('start broke');
    },
    onEnd: () => {
      throw new Error('end broke');
    },
    forceFlush: () => Promise.reject(new Error('flush broke')),
    shutdown: () => {
      throw new Error('shutdown broke');
    },
  };
  const { provider, recorder } = makeProvider({}, [broken]);
  const tracer = provider.getTracer('t');
  for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end();
  t.is(recorder.ended.length, 3);
  t.is(log.filter((l) => l.includes('start broke')).length, 1);
  t.is(log.filter((l) => l.includes('end broke')).length, 1);
  return (async () => {
    await t.notThrowsAsync(provider.forceFlush());
    t.true(log.some((l) => l.includes('flush broke')));
    await t.notThrowsAsync(provider.shutdown());
    t.true(log.some((l) => l.includes('shutdown broke')));
    t.is(recorder.shutdowns, 1);
  })();
});

test('forceFlush and shutdown reach every processor; shutdown runs once', async (t) => {
  const { provider, recorder } = makeProvider();
  await provider.forceFlush();
  await provider.forceFlush();
  t.is(recorder.flushes, 2);
  await Promise.all([provider.shutdown(), provider.shutdown()]);
  await provider.shutdown();
  t.is(recorder.shutdowns, 1);
});

test('after shutdown: valid non-recording spans, nothing processed, late ends counted as dropped', async (t) => {
  let dropped = 0;
  const { provider, recorder } = makeProvider({}, [], { onSpanDropped: () => dropped++ });
  const before = provider.getTracer('t');
  const open = before.startSpan('open before shutdown');
  await provider.shutdown();
  open.end();
  t.is(dropped, 1);
  t.is(recorder.ended.length, 0);

  for (const tracer of [before, provider.getTracer('t'), provider.getTracer('new')]) {
    const span = tracer.startSpan('late', { kind: SpanKind.SERVER });
    t.false(span.isRecording());
    t.regex(span.spanContext().traceId, /^[0-9a-f]{32}$/);
    t.regex(span.spanContext().spanId, /^[0-9a-f]{16}$/);
    span.setAttribute('a', 1);
    span.end();
  }
  t.is(recorder.started.length, 1);
  t.is(recorder.ended.length, 0);
});
