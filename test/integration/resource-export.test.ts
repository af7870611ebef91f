/**
 * The exported resource end to end: an agent started by init() in a "pod" (OTEL_RESOURCE_ATTRIBUTES
 * as the OpenTelemetry Operator sets it, a sample cgroup file) exports metrics and spans over
 * real OTLP exporters; the receiver sees container.id and the k8s.* attributes on both signals.
 * This file runs in its own process (ava), so setting process.env here touches nothing else.
 */
import test from 'ava';
import * as path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { startOtlpReceiver } from '../../fixtures/otlp/receiver';
import { init } from '../../src';
import { overrideDetectionSources } from '../../src/resource';

const CGROUP = path.resolve(__dirname, '../../fixtures/resource/cgroup-v1-kubepods.txt');
const CONTAINER_ID = 'aca1beb664b6f1099d2e8d4b67de8d7ea035d1bb052b0a431435dcbe23d197be';

test('container.id, k8s.pod.name and k8s.namespace.name reach the collector on metrics and spans', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'k8s.pod.name=p,k8s.namespace.name=n';
  process.env.OTEL_TRACES_EXPORTER = 'otlp';
  process.env.OTEL_METRICS_EXPORTER = 'otlp';
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.grpcUrl;
  const restore = overrideDetectionSources({ cgroupFile: CGROUP, mountinfoFile: '/nonexistent' });
  t.teardown(restore);

  const agent = init({ serviceName: 'resource-export', metrics: { exportIntervalMs: 3_600_000 } });
  t.teardown(() => agent.shutdown());
  t.is(agent.config.reporting.traceReporterType, 'OTLP', 'OTEL_TRACES_EXPORTER=otlp turned span export on');

  const tracer = agent.tracerProvider.getTracer('resource-export-test');
  tracer.startSpan('GET /r', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/r' } }).end();
  await agent.forceFlush();

  const span = await receiver.waitFor((r) => r.spans().find((s) => s.name === 'GET /r'));
  const point = await receiver.waitFor((r) => r.metrics().find((p) => p.name === 'ck.path.calls'));
  for (const resource of [span.resource, point.resource]) {
    t.is(resource['container.id'], CONTAINER_ID);
    t.is(resource['k8s.pod.name'], 'p');
    t.is(resource['k8s.namespace.name'], 'n');
    t.is(resource['service.name'], 'resource-export');
    t.is(resource['telemetry.distro.name'], 'ck-agent');
    t.regex(String(resource['service.instance.id']), /^[0-9a-f-]{36}$/);
  }
  t.is(span.resource['service.instance.id'], point.resource['service.instance.id']);
});
