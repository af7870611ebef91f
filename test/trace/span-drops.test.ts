/**
 * The span export self-metrics through the real agent wiring: spans the SDK BatchSpanProcessor
 * drops on a full queue are counted in ck.agent.spans.dropped (1000 spans into a queue of 10
 * while the collector is unreachable), and failed span exports in
 * ck.agent.export.failures{signal="traces"}, both read from a real OTLP metrics export.
 */
import test from 'ava';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startOtlpReceiver } from '../../fixtures/otlp/receiver';
import { CKAgent } from '../../src/agent';
import { resolveConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { ExportSpanProcessor, GuardedSpanExporter, dropCountingMeterProvider } from '../../src/trace';
import { freePort } from '../metrics/helpers';

test('ck.agent.spans.dropped equals the spans the batch queue dropped; failed span exports are counted as signal=traces', async (t) => {
  const warnings: string[] = [];
  logger.setSink((level, message) => {
    if (level === 'warn' || level === 'error') warnings.push(message);
  });
  t.teardown(() => logger.setSink(() => undefined));

  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const unreachable = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const config = resolveConfig(
    {
      serviceName: 'drops',
      reporting: { traceReporterType: 'OTLP_HTTP', endpoint: unreachable, metricReporterType: 'OTLP', metricEndpoint: receiver.grpcUrl },
      tracing: { batch: { maxQueueSize: 10, maxExportBatchSize: 10, scheduleDelayMillis: 50, exportTimeoutMillis: 1000 } },
      metrics: { exportIntervalMs: 3_600_000 },
    },
    {}
  );
  const agent = new CKAgent(config);
  t.teardown(() => agent.shutdown());

  // Count the spans that reach the (real) exporter, to know independently how many were dropped.
  const exportProcessor = agent.tracerProvider.spanProcessors.find((p) => p instanceof ExportSpanProcessor) as ExportSpanProcessor;
  const guarded = exportProcessor.exporter as GuardedSpanExporter;
  const realExport = guarded.inner.export.bind(guarded.inner);
  let handedToExporter = 0;
  let exportCalls = 0;
  let exportResults = 0;
  guarded.inner.export = (spans: ReadableSpan[], done) => {
    handedToExporter += spans.length;
    exportCalls++;
    realExport(spans, (result) => {
      exportResults++;
      done(result);
    });
  };

  const tracer = agent.tracerProvider.getTracer('drops-test');
  for (let i = 0; i < 1000; i++) tracer.startSpan(`work ${i}`).end();
  await agent.tracerProvider.forceFlush(); // the exports fail: the endpoint is unreachable
  // A batch started by the processor's own timer may still be failing: wait for every result.
  while (exportResults < exportCalls) await new Promise((resolve) => setTimeout(resolve, 20));
  await agent.metrics.forceFlush();

  const points = await receiver.waitFor((r) => {
    const all = r.metrics();
    return all.some((p) => p.name === 'ck.agent.spans.dropped') ? all : undefined;
  });
  const dropped = points.find((p) => p.name === 'ck.agent.spans.dropped')!.value!;
  t.true(handedToExporter > 0 && handedToExporter < 1000, `spans handed to the exporter: ${handedToExporter}`);
  t.is(dropped, 1000 - handedToExporter, 'every span that did not reach the exporter was dropped and counted');
  t.true(dropped >= 900, `a queue of 10 keeps few of 1000 spans: ${dropped}`);

  const failures = points.filter((p) => p.name === 'ck.agent.export.failures');
  const traces = failures.find((p) => p.attributes.signal === 'traces');
  const metrics = failures.find((p) => p.attributes.signal === 'metrics');
  t.truthy(traces);
  t.true(traces!.value! >= 1, `span export failures: ${traces!.value}`);
  t.is(traces!.value, guarded.failures, 'one count per failed batch');
  t.is(metrics!.value, 0, 'metric exports succeeded');

  t.is(
    warnings.filter((w) => /^span export to OTLP\/HTTP http:\/\/127.0.0.1:\d+\/v1\/traces failed: \S/.test(w)).length,
    1,
    'the first failure is logged once, with the endpoint and the error'
  );
});

test('dropCountingMeterProvider counts only queue_full drops of the span processor metric', (t) => {
  const counts: number[] = [];
  const meter = dropCountingMeterProvider((n) => counts.push(n)).getMeter('@opentelemetry/sdk-trace');
  const processed = meter.createCounter('otel.sdk.processor.span.processed');
  processed.add(1, { 'error.type': 'queue_full' });
  processed.add(5, {});
  processed.add(2, { 'error.type': 'TimeoutError' });
  processed.add(3, { 'error.type': 'queue_full' });
  meter.createCounter('something.else').add(7, { 'error.type': 'queue_full' });
  meter.createUpDownCounter('otel.sdk.processor.span.queue.capacity').add(10);
  t.deepEqual(counts, [1, 3]);
});
