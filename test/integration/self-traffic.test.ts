/**
 * The agent's own traffic is not the app's (config.md "First run"): Prometheus scrapes of the
 * agent's endpoint are never recorded as HTTP_SERVICE entries, and OTLP/HTTP export requests
 * never become HTTP_CLIENT elements or CLIENT spans. Zero-code start in a child process.
 */
import test from 'ava';
import { startOtlpReceiver } from '../../fixtures/otlp/receiver';
import { httpGet, startPlainApp } from '../../fixtures/apps/run-app';
import { freePort } from '../metrics/helpers';

test('scraping the Prometheus endpoint 10 times records no /metrics element; app requests are recorded', async (t) => {
  const promPort = await freePort();
  const app = await startPlainApp({
    agent: true,
    env: {
      CK_REPORTING_METRIC_REPORTER_TYPE: 'PROMETHEUS',
      CK_METRICS_PROMETHEUS_HOST: '127.0.0.1',
      CK_METRICS_PROMETHEUS_PORT: String(promPort),
    },
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  await httpGet(app.port, '/orders');
  let scrape = '';
  for (let i = 0; i < 10; i++) scrape = await httpGet(promPort, '/metrics');
  const calls = scrape.split('\n').filter((line) => line.startsWith('ck_path_calls_total{'));
  t.true(
    calls.some((line) => line.includes('ck_element_name="GET /orders"') && line.endsWith(' 1')),
    calls.join('\n')
  );
  t.false(
    calls.some((line) => line.includes('/metrics')),
    calls.join('\n')
  );
  t.is(calls.length, 1, 'the one app request is the only series');
});

test('OTLP/HTTP exports of metrics and spans produce no HTTP_CLIENT element and no CLIENT span', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const app = await startPlainApp({
    agent: true,
    env: {
      CK_REPORTING_METRIC_REPORTER_TYPE: 'OTLP_HTTP',
      CK_REPORTING_METRIC_ENDPOINT: `${receiver.httpUrl}/v1/metrics`,
      CK_REPORTING_TRACE_REPORTER_TYPE: 'OTLP_HTTP',
      CK_REPORTING_ENDPOINT: `${receiver.httpUrl}/v1/traces`,
      CK_METRICS_EXPORT_INTERVAL_MS: '500',
      CK_TRACING_BATCH_SCHEDULE_DELAY_MILLIS: '100',
    },
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  await httpGet(app.port, '/orders');
  // Several metric exports after the span export: any export request recorded as app traffic
  // would be in one of the later ones.
  await receiver.waitFor((r) => r.traceRequests.length >= 1 && r.metricRequests.length >= 4, 60_000);
  await httpGet(app.port, '/orders');
  const firstAfter = receiver.metricRequests.length;
  await receiver.waitFor((r) => r.metricRequests.length >= firstAfter + 3, 60_000);

  const elementTypes = new Set(
    receiver
      .metrics()
      .filter((p) => p.name.startsWith('ck.path'))
      .map((p) => String(p.attributes['ck.element.type']))
  );
  t.deepEqual([...elementTypes], ['HTTP_SERVICE'], 'only the app requests are elements');
  const spans = receiver.spans();
  t.true(spans.length >= 1);
  t.deepEqual([...new Set(spans.map((s) => s.kind))], ['SPAN_KIND_SERVER']);
});
