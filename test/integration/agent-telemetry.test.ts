/**
 * The agent's own telemetry end to end: the startup span (telemetry.startup_span_enabled) and the
 * ck.agent.route.invalid self-metric, counted from junk ck-route headers on real HTTP requests and
 * read from a real Prometheus scrape.
 */
import test from 'ava';
import http from 'http';
import net from 'net';
import path from 'path';
import { readLogLines } from '../../fixtures/log-lines';
import { CKHttpInstrumentation, init } from '../../src';
import { makeTempDir } from '../../fixtures/temp-dir';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function request(port: number, urlPath: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('startup span and ck.agent.route.invalid from real requests', async (t) => {
  const dir = makeTempDir('ck-telemetry-');
  const logFile = path.join(dir, 'spans.jsonl');
  const prometheusPort = await freePort();
  const agent = init({
    serviceName: 'telemetry-test',
    telemetry: { startupSpanEnabled: true },
    reporting: { metricReporterType: 'PROMETHEUS', traceReporterType: 'LOGGING', logFile },
    metrics: { prometheusHost: '127.0.0.1', prometheusPort },
  });
  new CKHttpInstrumentation().enable();
  const server = http.createServer((req, res) => res.end(`ok ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const junk = ['garbage', '2-4f1c2a9be07d3318-00', `1-${'a'.repeat(80)}-00`];
    for (const value of junk) {
      const res = await request(port, '/items/1', { 'ck-route': value });
      t.is(res.body, 'ok /items/1', 'a junk ck-route never changes what the app sees');
    }
    await request(port, '/items/2', { 'ck-route': '1-4f1c2a9be07d3318-00' });
    await request(port, '/items/3');

    const scrape = await request(prometheusPort, '/metrics');
    t.is(scrape.status, 200);
    const invalid = /^ck_agent_route_invalid(?:_total)?(?:\{[^}]*\})? (\d+)/m.exec(scrape.body);
    t.truthy(invalid, scrape.body.slice(0, 400));
    t.is(Number(invalid?.[1]), junk.length, 'each junk value counted once; valid and absent ones not');

    await agent.forceFlush();
    const { spans } = readLogLines(logFile);
    const startup = spans.filter((s) => s.name === 'ck-agent startup');
    t.is(startup.length, 1, 'one startup span');
    t.is(startup[0].parentSpanId ?? '', '');
    const valid = spans.find((s) => s.kind === 'SERVER' && s.attributes['ck.route.incoming'] === '1-4f1c2a9be07d3318-00');
    t.truthy(valid, 'the valid route is recorded as ck.route.incoming');
    const junkSpans = spans.filter(
      (s) => s.kind === 'SERVER' && String(s.attributes['url.path'] ?? s.attributes['http.target']).includes('/items/1')
    );
    t.is(junkSpans.length, junk.length);
    t.true(
      junkSpans.every((s) => s.attributes['ck.route.incoming'] === undefined),
      'junk is never reflected into attributes'
    );
  } finally {
    server.close();
    await agent.shutdown();
  }
});
