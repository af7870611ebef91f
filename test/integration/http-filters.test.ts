/**
 * Request filters end to end: header stage and body stage, plain http and Express 4 and 5.
 * A blocked request gets 403 with an empty body, the app's handler never runs (so nothing it
 * would do can leak), the span carries ck.blocked / ck.blocked.by, the connection stays usable,
 * and the graph path metrics count the request as a call, not an error.
 */
import test from 'ava';
import * as http from 'http';
import { caseId, comparable, send, sleep, startFixture, type Exchange, type Fixture } from '../../fixtures/http/harness';

const fixtures: Record<string, Fixture> = {};

test.before(async () => {
  const env = { CK_FIXTURE_FILTERS: '1', CK_FIXTURE_METRICS: '1' };
  const [e4, e5] = await Promise.all([
    startFixture({ instrumented: true, env: { ...env, CK_FIXTURE_EXPRESS: 'express' } }),
    startFixture({ instrumented: true, env: { ...env, CK_FIXTURE_EXPRESS: 'express5' } }),
  ]);
  fixtures.express = e4;
  fixtures.express5 = e5;
});

test.after.always(async () => {
  await Promise.all(Object.values(fixtures).map((f) => f.stop()));
});

/** A blocked response: 403, empty body, no app header (only what Node itself adds). */
function assertBlocked(t: import('ava').ExecutionContext, exchange: Exchange): void {
  t.is(exchange.status, 403);
  t.is(exchange.body.length, 0);
  const names = comparable(exchange).headers.map((h) => h.split(':')[0]);
  t.deepEqual(
    names.filter((n) => !['content-length', 'connection', 'keep-alive', 'date'].includes(n)),
    []
  );
}

for (const version of ['express', 'express5'] as const) {
  test(`${version}: header stage blocks before any app code, span marked, no error counted`, async (t) => {
    const f = fixtures[version];
    const id = caseId('hdr');
    const exchange = await send(f.ports.express, { path: '/orders/7', headers: { 'x-deny': 'yes', 'x-case-id': id } });
    assertBlocked(t, exchange);
    const span = await f.serverSpan(id);
    t.is(span.attributes['ck.blocked'], true);
    t.is(span.attributes['ck.blocked.by'], 'deny-header');
    t.is(span.attributes['http.response.status_code'], 403);
    t.is(span.status.code, 0, 'a 403 is not a server error');
    t.deepEqual(await f.observed(id), [], 'the handler never ran');
  });

  test(`${version}: header stage by URL; the handler's later 500 cannot leak`, async (t) => {
    const f = fixtures[version];
    const id = caseId('url');
    const exchange = await send(f.ports.express, { path: '/blocked-by-url', headers: { 'x-case-id': id } });
    assertBlocked(t, exchange);
    t.deepEqual(await f.observed(id), []);
  });

  test(`${version}: body stage blocks after express.json(), before the route handler`, async (t) => {
    const f = fixtures[version];
    const id = caseId('body');
    const exchange = await send(f.ports.express, {
      method: 'POST',
      path: '/late-writes',
      headers: { 'content-type': 'application/json', 'x-case-id': id },
      body: '{"q":"x; DROP TABLE users"}',
    });
    assertBlocked(t, exchange);
    const span = await f.serverSpan(id);
    t.is(span.attributes['ck.blocked.by'], 'deny-body');
    t.is(span.attributes['http.request.body'], '{"q":"x; DROP TABLE users"}');
    await sleep(30);
    t.deepEqual(await f.observed(id), [], 'the route handler never ran');
  });

  test(`${version}: clean requests pass both stages`, async (t) => {
    const f = fixtures[version];
    const id = caseId('clean');
    const exchange = await send(f.ports.express, {
      method: 'POST',
      path: '/observe-json',
      headers: { 'content-type': 'application/json', 'x-case-id': id },
      body: '{"q":"select"}',
    });
    t.is(exchange.status, 200);
    t.deepEqual(JSON.parse(exchange.body.toString()), { keys: ['q'] });
    t.deepEqual(await f.observed(id), ['handler']);
    const span = await f.serverSpan(id);
    t.is(span.attributes['ck.blocked'], undefined);
  });
}

test('plain http: header stage and body stage', async (t) => {
  const f = fixtures.express;
  const headerId = caseId('plain-hdr');
  assertBlocked(
    t,
    await send(f.ports.plain, { method: 'POST', path: '/echo', headers: { 'x-deny': 'yes', 'x-case-id': headerId }, body: 'x' })
  );
  const bodyId = caseId('plain-body');
  const blocked = await send(f.ports.plain, {
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json', 'x-case-id': bodyId },
    body: ['{"sql":', '"DROP TABLE t"}'],
  });
  assertBlocked(t, blocked);
  const span = await f.serverSpan(bodyId);
  t.is(span.attributes['ck.blocked.by'], 'deny-body');
  await sleep(30);
  t.deepEqual(await f.observed(headerId), []);
  t.deepEqual(await f.observed(bodyId), [], "the handler never saw the body's end");
  const clean = await send(f.ports.plain, {
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json' },
    body: '{"ok":1}',
  });
  t.is(clean.body.toString(), '{"ok":1}');
});

test('plain http: a body-stage block after the app started its response cuts the response', async (t) => {
  const f = fixtures.express;
  const id = caseId('plain-early');
  const outcome = await new Promise<{ body: string; error?: string }>((resolve) => {
    let body = '';
    const req = http.request(
      {
        host: '127.0.0.1',
        port: f.ports.plain,
        method: 'POST',
        path: '/stream-early',
        headers: { 'content-type': 'application/json', 'x-case-id': id },
        agent: false,
      },
      (res) => {
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ body }));
        res.on('error', (err) => resolve({ body, error: err.message }));
      }
    );
    req.on('error', (err) => resolve({ body, error: err.message }));
    req.write('{"sql":');
    setTimeout(() => req.end('"DROP TABLE t"}'), 50);
  });
  t.false(outcome.body.includes('leaked-end'), JSON.stringify(outcome));
  const span = await f.serverSpan(id);
  t.is(span.attributes['ck.blocked.by'], 'deny-body');
  t.deepEqual(await f.observed(id), []);
});

test('a keep-alive connection stays usable after a blocked request', async (t) => {
  const f = fixtures.express;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const blocked = await send(f.ports.express, {
      method: 'POST',
      path: '/observe-json',
      headers: { 'content-type': 'application/json', 'x-deny': 'yes' },
      body: JSON.stringify({ big: 'b'.repeat(100_000) }),
      agent,
    });
    t.is(blocked.status, 403);
    const after = await send(f.ports.express, { path: '/send-json', agent });
    t.is(after.status, 200);
    t.deepEqual(JSON.parse(after.body.toString()), { hello: 'world', password: 'p' });
  } finally {
    agent.destroy();
  }
});

test('a throwing filter allows the request and is logged once', async (t) => {
  const f = fixtures.express;
  for (let i = 0; i < 3; i++) {
    const exchange = await send(f.ports.express, { path: '/send-json?throw=1' });
    t.is(exchange.status, 200);
  }
  await sleep(50);
  const lines = f.stderr.split('\n').filter((l) => l.includes('filter throws threw'));
  t.is(lines.length, 1, f.stderr);
});

test('blocked requests are counted as calls of their path, not as errors', async (t) => {
  const f = fixtures.express;
  for (let i = 0; i < 3; i++) {
    assertBlocked(t, await send(f.ports.express, { path: '/metrics-probe/1', headers: { 'x-deny': 'yes' } }));
  }
  let totals = { calls: 0, errors: 0 };
  for (let i = 0; i < 50 && totals.calls < 3; i++) {
    totals = await f.pathTotals('GET /metrics-probe/{id}');
  }
  t.is(totals.calls, 3);
  t.is(totals.errors, 0);
});
