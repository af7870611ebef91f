/**
 * CKHttpInstrumentation lifecycle and policy, in one instrumented process:
 * enable → disable → enable, double enable patches once, the filter gate comes and goes with the
 * upstream patch, user hooks are chained (and a throwing one is isolated), capture is skipped
 * entirely when nothing consumes it (span not export-sampled, no filter, no force capture).
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { init } from '../../../src/agent';
import { registerFilter, unregisterFilter, type CKFilter } from '../../../src/filters/registry';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import type { SpanLine } from '../../../fixtures/http/harness';
import { captureAgentLog } from '../../../fixtures/agent-log';
import { makeTempDir } from '../../../fixtures/temp-dir';

const agentLog = captureAgentLog();

const logFile = path.join(makeTempDir('ck-http-wrapper-'), 'spans.jsonl');
// Export sampling off: spans are exported only when force capture is set, so capture has no
// consumer unless a filter is registered or the request carries the force-capture flag.
const agent = init({
  serviceName: 'http-wrapper-test',
  reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' },
  tracing: { sampler: 'always_off' },
});

const userCalls: string[] = [];
const instrumentation = new CKHttpInstrumentation({
  requestHook: (span) => {
    userCalls.push('request');
    span.setAttribute('user.request_hook', true);
  },
  responseHook: () => {
    throw new Error('user hook bug');
  },
});

const ORIGINAL_EMIT = http.Server.prototype.emit;
let port = 0;
const server = http.createServer((req, res) => {
  // What the app sees: are its request / response objects wrapped for capture?
  const wrapped = Object.prototype.hasOwnProperty.call(req, 'emit') || Object.prototype.hasOwnProperty.call(res, 'write');
  res.setHeader('content-type', 'application/json');
  req.resume();
  req.on('end', () => res.end(JSON.stringify({ wrapped })));
});

function call(headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: body ? 'POST' : 'GET', path: '/x', headers, agent: false }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function exportedSpans(): Promise<SpanLine[]> {
  await agent.forceFlush();
  await new Promise((r) => setTimeout(r, 30));
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as SpanLine);
}

test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

test.after.always(async () => {
  server.close();
  await agent.shutdown();
});

const deny: CKFilter = { name: 'deny', evaluateUrlAndHeaders: (_s, _u, headers) => headers['x-deny'] === '1' };

test.serial('nothing consumes captured data: no wrapping at all', async (t) => {
  instrumentation.enable();
  const res = await call({ 'content-type': 'application/json' }, '{"a":1}');
  t.deepEqual(JSON.parse(res.body), { wrapped: false });
});

test.serial('a registered filter or the force-capture flag turns capture on', async (t) => {
  registerFilter(deny);
  try {
    t.deepEqual(JSON.parse((await call({ 'content-type': 'application/json' }, '{"a":1}')).body), { wrapped: true });
    t.is((await call({ 'x-deny': '1' })).status, 403);
  } finally {
    unregisterFilter(deny);
  }
  const forced = await call(
    { 'content-type': 'application/json', 'ck-route': '1-0123456789abcdef-01', 'x-forced': 'yes' },
    '{"forced":true}'
  );
  t.deepEqual(JSON.parse(forced.body), { wrapped: true });
  const span = (await exportedSpans()).find((s) => s.kind === 'SERVER' && s.attributes['http.request.header.x-forced'] === 'yes');
  t.truthy(span, 'force capture exports the span although sampling is off');
  t.is(span?.attributes['http.request.body'], '{"forced":true}');
  t.is(span?.attributes['user.request_hook'], true, 'the user requestHook ran after ours');
  t.true(userCalls.length > 0);
  t.is(agentLog.matching('warn', /user http responseHook hook threw \(ignored\): user hook bug/).length, 1, 'logged once');
});

test.serial('double enable patches once; disable unpatches everything; enable again works', async (t) => {
  instrumentation.enable();
  instrumentation.enable();
  t.true(instrumentation.isEnabled());
  const before = (await exportedSpans()).length;
  await call({ 'ck-route': '1-0123456789abcdef-01', 'x-count': 'one' });
  const spans = (await exportedSpans()).slice(before).filter((s) => s.attributes['http.request.header.x-count'] === 'one');
  t.is(spans.filter((s) => s.kind === 'SERVER').length, 1);
  const request = http.request as unknown as { __wrapped?: boolean; __original?: { __wrapped?: boolean } };
  t.true(request.__wrapped === true && !request.__original?.__wrapped, 'http.request wrapped exactly once');

  instrumentation.disable();
  t.false(instrumentation.isEnabled());
  t.is(http.Server.prototype.emit, ORIGINAL_EMIT, 'gate and upstream patch removed');
  t.false(Object.prototype.hasOwnProperty.call(http.Server.prototype, 'emit'));
  t.falsy((http.request as unknown as { __wrapped?: boolean }).__wrapped);
  registerFilter(deny);
  try {
    t.is((await call({ 'x-deny': '1' })).status, 200, 'disabled: filters are not applied');
  } finally {
    unregisterFilter(deny);
  }
  const countBefore = (await exportedSpans()).length;
  await call({ 'ck-route': '1-0123456789abcdef-01' });
  t.is((await exportedSpans()).length, countBefore, 'disabled: no spans');

  instrumentation.enable();
  registerFilter(deny);
  try {
    t.is((await call({ 'x-deny': '1' })).status, 403, 'enabled again: gate back in place');
  } finally {
    unregisterFilter(deny);
  }
});
