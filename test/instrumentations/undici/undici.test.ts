/**
 * CKUndiciInstrumentation against real servers, with the global `fetch` and the `undici` package:
 * ck-route injected inside a request (once, also beside a vanilla undici instrumentation that
 * injects through the same global propagator), none outside; HTTP_CLIENT elements named exactly
 * like `http` client calls to the same URL, under the request's key; header capture under the
 * http attribute names, request bodies the app handed over whole; user hooks chained.
 */
import test from 'ava';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { startTestAgent, type PathLine } from '../../../fixtures/db/agent-harness';
import { captureAgentLog } from '../../../fixtures/agent-log';
import { SdkTracerProvider } from '../../../fixtures/sdk-trace';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import { CKUndiciInstrumentation } from '../../../src/instrumentations/undici';

const agentLog = captureAgentLog();
const harness = startTestAgent({ serviceName: 'undici-test' });
const userHookSaw: string[] = [];
new CKHttpInstrumentation().enable();
const instrumentation = new CKUndiciInstrumentation({
  requestHook: (_span, request) => {
    userHookSaw.push(request.path);
    if (request.path.includes('user-hook-throws')) throw new Error('user hook failure is isolated');
  },
});
instrumentation.enable();

const undici = require('undici') as typeof import('undici');

interface Seen {
  route: string[];
  traceparent: string[];
  probe: string | undefined;
  body: string;
}

const seen = new Map<string, Seen>();
let origin = '';
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const values = (name: string) => req.rawHeaders.filter((_v, i) => i % 2 === 1 && req.rawHeaders[i - 1].toLowerCase() === name);
    const id = String(req.headers['x-case-id'] ?? '');
    seen.set(id, { route: values('ck-route'), traceparent: values('traceparent'), probe: req.headers['x-probe'] as string, body });
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-echo', 'echoed');
    res.end(JSON.stringify({ ok: true }));
  });
});

test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => {
  server.close();
  instrumentation.disable();
});

function httpGet(url: string, headers: http.OutgoingHttpHeaders): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function clientRows(paths: PathLine[], pathKey: string): PathLine[] {
  return paths.filter((p) => p.element.type === 'HTTP_CLIENT' && p.pathKey === pathKey);
}

test.serial('fetch, undici.request and undici.fetch inside a request: one ck-route each, client elements named like http', async (t) => {
  const { pathKey } = await harness.inRequest('/orders/:id', async () => {
    await (await fetch(`${origin}/items/41`, { headers: { 'x-case-id': 'fetch' } })).json();
    const res = await undici.request(`${origin}/items/42`, { headers: { 'x-case-id': 'undici-request' } });
    await res.body.json();
    await (await undici.fetch(`${origin}/items/43`, { headers: { 'x-case-id': 'undici-fetch' } })).json();
    await httpGet(`${origin}/items/44`, { 'x-case-id': 'http' });
  });
  for (const id of ['fetch', 'undici-request', 'undici-fetch', 'http']) {
    t.deepEqual(seen.get(id)?.route, [`1-${pathKey}-00`], `${id}: exactly one ck-route, the request's key`);
    t.is(seen.get(id)?.traceparent.length, 1, `${id}: one traceparent`);
  }
  const { paths, spans } = await harness.flush();
  const rows = clientRows(paths, pathKey);
  const name = `GET 127.0.0.1:${new URL(origin).port}/items/{id}`;
  t.deepEqual(
    rows.map((r) => r.element.name),
    [name],
    'one HTTP_CLIENT element for http and undici calls alike'
  );
  t.is(rows[0].calls, 4);
  const undiciSpans = spans.filter((s) => s.kind === 'CLIENT' && s.attributes['http.request.header.x-case-id'] !== undefined);
  t.true(undiciSpans.length >= 3);
  const fetchSpan = spans.find((s) => s.kind === 'CLIENT' && s.attributes['http.request.header.x-case-id'] === 'fetch');
  t.is(fetchSpan?.attributes['http.request.header.ck-route'], `1-${pathKey}-00`, 'request headers as sent');
  t.is(fetchSpan?.attributes['http.response.header.x-echo'], 'echoed');
  t.deepEqual(agentLog.lines, []);
});

test.serial('outside a request: no ck-route, the call is still recorded', async (t) => {
  await (await fetch(`${origin}/outside`, { headers: { 'x-case-id': 'outside' } })).json();
  t.deepEqual(seen.get('outside')?.route, []);
  t.is(seen.get('outside')?.traceparent.length, 1);
});

test.serial(
  'request body handed over whole is captured; a fetch body (a stream to undici) is not; the server gets both unchanged',
  async (t) => {
    const payload = JSON.stringify({ order: 7, note: 'é' });
    await harness.inRequest('/bodies', async () => {
      const res = await undici.request(`${origin}/body`, {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json', 'x-case-id': 'body-undici' },
      });
      await res.body.text();
      await (
        await fetch(`${origin}/body`, {
          method: 'POST',
          body: payload,
          headers: { 'content-type': 'application/json', 'x-case-id': 'body-fetch' },
        })
      ).text();
    });
    t.is(seen.get('body-undici')?.body, payload);
    t.is(seen.get('body-fetch')?.body, payload);
    const { spans } = await harness.flush();
    const byCase = (id: string) => spans.find((s) => s.kind === 'CLIENT' && s.attributes['http.request.header.x-case-id'] === id);
    t.is(byCase('body-undici')?.attributes['http.request.body'], payload);
    t.is(byCase('body-fetch')?.attributes['http.request.body'], undefined);
    t.is(byCase('body-fetch')?.attributes['http.request.header.content-type'], 'application/json');
  }
);

for (const order of ['ck-first', 'vanilla-first'] as const) {
  test.serial(`beside a vanilla undici instrumentation (${order}, same global propagator): one ck-route and one traceparent`, async (t) => {
    const vanilla = new UndiciInstrumentation({ enabled: false });
    vanilla.setTracerProvider(new SdkTracerProvider());
    vanilla.setConfig({ enabled: true });
    // Subscription order is the order the hooks see each request.
    if (order === 'vanilla-first') instrumentation.disable();
    vanilla.enable();
    if (order === 'vanilla-first') instrumentation.enable();
    try {
      const { pathKey } = await harness.inRequest('/mixed', async () => {
        await (await fetch(`${origin}/mixed`, { headers: { 'x-case-id': `${order}-fetch` } })).json();
        const res = await undici.request(`${origin}/mixed`, { headers: { 'x-case-id': `${order}-undici` } });
        await res.body.json();
      });
      for (const id of [`${order}-fetch`, `${order}-undici`]) {
        t.deepEqual(seen.get(id)?.route, [`1-${pathKey}-00`], id);
        t.is(seen.get(id)?.traceparent.length, 1, id);
      }
    } finally {
      vanilla.disable();
    }
  });
}

test.serial('user hooks run after ours; a throwing one is isolated and logged once', async (t) => {
  await harness.inRequest('/hooks', async () => {
    await (await fetch(`${origin}/user-hook-throws`, { headers: { 'x-case-id': 'hook' } })).json();
  });
  t.true(userHookSaw.includes('/user-hook-throws'));
  t.is(seen.get('hook')?.route.length, 1, 'our injection ran before the user hook threw');
  t.is(agentLog.matching('warn', /user undici requestHook hook threw \(ignored\): user hook failure is isolated/).length, 1);
  agentLog.lines.length = 0;
});

test.serial('disable stops recording and injection; enable again restores both', async (t) => {
  instrumentation.disable();
  await harness.inRequest('/off', async () => {
    await (await fetch(`${origin}/off`, { headers: { 'x-case-id': 'off' } })).json();
  });
  t.deepEqual(seen.get('off')?.route, []);
  instrumentation.enable();
  const { pathKey } = await harness.inRequest('/on', async () => {
    await (await fetch(`${origin}/on`, { headers: { 'x-case-id': 'on' } })).json();
  });
  t.deepEqual(seen.get('on')?.route, [`1-${pathKey}-00`]);
});
