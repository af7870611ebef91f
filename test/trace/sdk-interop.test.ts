/**
 * CK spans and vanilla OpenTelemetry SDK spans in one trace: an SDK span started inside a CK
 * span's context is its child, and the other way round; CK spans pass through SDK processors.
 */
import test from 'ava';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { newSimpleSpanProcessor, SdkTracerProvider } from '../../fixtures/sdk-trace';
import { CKSpan } from '../../src/trace';
import { makeProvider, makeResource } from './helpers';

const manager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(manager);
test.after.always(() => {
  context.disable();
});

test('an SDK span started inside a CK span is its child (same trace, parent = CK span)', async (t) => {
  const sdkExporter = new InMemorySpanExporter();
  const sdk = new SdkTracerProvider({ resource: makeResource('vanilla'), spanProcessors: [newSimpleSpanProcessor(sdkExporter)] });
  const sdkTracer = sdk.getTracer('vanilla-lib');
  const { provider } = makeProvider();
  const ckTracer = provider.getTracer('ck');

  const server = ckTracer.startSpan('GET /orders', { kind: SpanKind.SERVER });
  await context.with(trace.setSpan(context.active(), server), async () => {
    await new Promise((resolve) => setImmediate(resolve)); // across an async hop
    const sdkSpan = sdkTracer.startSpan('custom work');
    sdkSpan.end();
  });
  server.end();

  const [exported] = sdkExporter.getFinishedSpans();
  t.is(exported.spanContext().traceId, server.spanContext().traceId);
  t.is(exported.parentSpanContext?.spanId, server.spanContext().spanId);
  t.is(exported.spanContext().traceFlags, server.spanContext().traceFlags);
  await sdk.shutdown();
});

test('a CK span started inside an SDK span is its child', async (t) => {
  const sdk = new SdkTracerProvider({ resource: makeResource('vanilla') });
  const { provider } = makeProvider();
  const outer = sdk.getTracer('vanilla').startSpan('outer');
  const inner = context.with(trace.setSpan(context.active(), outer), () =>
    provider.getTracer('ck').startSpan('db', { kind: SpanKind.CLIENT })
  );
  t.true(inner instanceof CKSpan);
  t.is(inner.spanContext().traceId, outer.spanContext().traceId);
  t.is((inner as CKSpan).parentSpanContext?.spanId, outer.spanContext().spanId);
  inner.end();
  outer.end();
  await sdk.shutdown();
});

test('startActiveSpan makes the CK span active for the callback and its async continuations', async (t) => {
  const { provider } = makeProvider();
  const tracer = provider.getTracer('ck');
  const result = await tracer.startActiveSpan('outer', async (span) => {
    t.is(trace.getActiveSpan(), span);
    await new Promise((resolve) => setTimeout(resolve, 1));
    t.is(trace.getActiveSpan(), span);
    const child = tracer.startSpan('child') as CKSpan;
    t.is(child.parentSpanContext?.spanId, span.spanContext().spanId);
    child.end();
    span.end();
    return 'done';
  });
  t.is(result, 'done');
  t.is(trace.getActiveSpan(), undefined);
});

test('SDK SimpleSpanProcessor + InMemorySpanExporter accept CK spans as ReadableSpans', async (t) => {
  const exporter = new InMemorySpanExporter();
  const { provider } = makeProvider({}, [newSimpleSpanProcessor(exporter)]);
  const span = provider.getTracer('ck', '2.0.0').startSpan('op', { attributes: { k: 'v' } });
  span.end();
  await provider.forceFlush();
  const [got] = exporter.getFinishedSpans();
  t.is(got, span as unknown as typeof got);
  t.is(got.name, 'op');
  t.deepEqual(got.attributes, { k: 'v' });
  t.is(got.instrumentationScope.version, '2.0.0');
});
