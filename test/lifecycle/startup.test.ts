/**
 * First run (config.md "First run", docs/first-run.md): the one startup line, and the first
 * failed export of each signal logged once at `warn` with the endpoint and the error. The
 * zero-code start runs in child processes, as a new user would start it: an app in a folder of its
 * own with no node_modules, so only what the app itself can load is enabled (not gRPC, although
 * the agent's OTLP exporter brings @grpc/grpc-js).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLAIN_HTTP_APP, httpGet, startPlainApp } from '../../fixtures/apps/run-app';
import { resolveConfig } from '../../src/config';
import { startupLine } from '../../src/lifecycle/startup';
import { packageVersion } from '../../src/version';
import { makeTempDir } from '../../fixtures/temp-dir';
import { freePort } from '../metrics/helpers';

const version = packageVersion();

/** The fixture app copied into an empty folder: an app with no node_modules of its own. */
function appOfItsOwn(): { script: string; cwd: string } {
  const dir = makeTempDir('ck-first-run-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'first-run-app', version: '1.0.0' }));
  const script = path.join(dir, 'app.js');
  fs.copyFileSync(PLAIN_HTTP_APP, script);
  return { script, cwd: dir };
}

function agentLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('[ck-agent]'));
}

test('no collector: one startup line, then exactly one warning per signal with endpoint and error, however many exports fail', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const app = await startPlainApp({
    agent: true,
    ...appOfItsOwn(),
    env: {
      CK_LOG_STARTUP: undefined, // the default: on
      CK_SERVICE_NAME: undefined, // the app's package.json name
      CK_REPORTING_METRIC_ENDPOINT: closed,
      CK_REPORTING_TRACE_REPORTER_TYPE: 'OTLP_HTTP',
      CK_REPORTING_ENDPOINT: closed,
      CK_METRICS_EXPORT_INTERVAL_MS: '1000',
      CK_TRACING_BATCH_SCHEDULE_DELAY_MILLIS: '100',
      // The OTLP exporters retry a refused connection until their timeout: keep the final flush
      // (on SIGTERM below) within shutdown_timeout_ms, so it has nothing to say either.
      CK_TRACING_BATCH_EXPORT_TIMEOUT_MILLIS: '1000',
    },
  });
  await httpGet(app.port, '/orders');
  await app.waitFor(/metric export to .* failed/);
  await app.waitFor(/span export to .* failed/);
  await httpGet(app.port, '/orders'); // more spans to fail
  app.child.kill('SIGTERM'); // the final flush fails again
  await app.exited;
  const lines = agentLines(app.output().stderr);
  t.is(
    lines[0],
    `[ck-agent] info: ck-agent ${version} started: service "first-run-app"; instrumentations http, undici; ` +
      `metrics OTLP/gRPC ${closed} every 1s; spans OTLP/HTTP ${closed}/v1/traces`
  );
  const metricWarnings = lines.filter((l) => l.startsWith(`[ck-agent] warn: metric export to OTLP/gRPC ${closed} failed: `));
  const spanWarnings = lines.filter((l) => l.startsWith(`[ck-agent] warn: span export to OTLP/HTTP ${closed}/v1/traces failed: `));
  t.is(metricWarnings.length, 1, lines.join('\n'));
  t.is(spanWarnings.length, 1, lines.join('\n'));
  t.regex(metricWarnings[0], /ECONNREFUSED/);
  t.regex(spanWarnings[0], /ECONNREFUSED/);
  t.regex(metricWarnings[0], /Later failures are not logged, only counted in ck\.agent\.export\.failures\{signal="metrics"\}/);
  t.is(lines.length, 3, `nothing else is logged:\n${lines.join('\n')}`);
});

test('log_startup=false: no startup line; LOGGING to a file is named in the line otherwise', async (t) => {
  const own = appOfItsOwn();
  const logFile = path.join(own.cwd, 'ck.jsonl');
  for (const logStartup of ['false', 'true']) {
    const app = await startPlainApp({
      agent: true,
      ...own,
      env: { CK_LOG_STARTUP: logStartup, CK_REPORTING_METRIC_REPORTER_TYPE: 'LOGGING', CK_REPORTING_LOG_FILE: logFile },
    });
    await httpGet(app.port, '/x');
    app.child.kill('SIGTERM');
    await app.exited;
    const lines = agentLines(app.output().stderr);
    if (logStartup === 'false') t.deepEqual(lines, []);
    else
      t.deepEqual(lines, [
        `[ck-agent] info: ck-agent ${version} started: service "signal-app"; instrumentations http, undici; metrics LOGGING to file ${logFile} every 60s; spans not exported (trace_reporter_type NONE)`,
      ]);
  }
});

test('startupLine: Prometheus, OTLP/HTTP defaults, metrics off, disabled', (t) => {
  const prom = resolveConfig({ serviceName: 's', reporting: { metricReporterType: 'PROMETHEUS', traceReporterType: 'ZIPKIN' } }, {});
  t.is(
    startupLine(prom, ['http', 'pg']),
    `ck-agent ${version} started: service "s"; instrumentations http, pg; metrics Prometheus scrape endpoint http://0.0.0.0:9464/metrics; spans Zipkin http://localhost:9411/api/v2/spans`
  );
  const http = resolveConfig({ serviceName: 's' }, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_EXPORTER: 'otlp' });
  t.is(
    startupLine(http, []),
    `ck-agent ${version} started: service "s"; instrumentations none; metrics OTLP/HTTP http://localhost:4318/v1/metrics every 60s; spans OTLP/HTTP http://localhost:4318/v1/traces`
  );
  const off = resolveConfig({ serviceName: 's', telemetry: { metricsEnabled: false } }, {});
  t.regex(startupLine(off, ['http']), /; metrics not exported; spans not exported \(trace_reporter_type NONE\)$/);
  const disabled = resolveConfig({ enabled: false }, {});
  t.is(startupLine(disabled, []), `ck-agent ${version} is disabled by config (enabled=false): nothing is patched or exported`);
});
