/**
 * Stream safety (docs/http-express.md, "Stream safety"): every case sends the same request to
 * the same app run twice as child processes, bare and with ck-agent, and asserts identical
 * status, headers (bar `date`) and body bytes, plus the captured attributes on the server span.
 * Where the app's own view matters (aborts, disconnects), what the handler observed is compared
 * too. Express version: CK_TEST_EXPRESS (express | express5), default express (4).
 */
import test, { type ExecutionContext } from 'ava';
import * as http from 'http';
import * as zlib from 'zlib';
import { WebSocket } from 'ws';
import {
  caseId,
  comparable,
  rawExchange,
  send,
  sleep,
  startFixture,
  type Exchange,
  type Fixture,
  type RequestSpec,
  type SpanLine,
} from '../../fixtures/http/harness';

const EXPRESS = process.env.CK_TEST_EXPRESS === 'express5' ? 'express5' : 'express';
let bare: Fixture;
let agent: Fixture;

test.before(async () => {
  const env = { CK_FIXTURE_EXPRESS: EXPRESS };
  [bare, agent] = await Promise.all([startFixture({ instrumented: false, env }), startFixture({ instrumented: true, env })]);
});

test.after.always(async () => {
  await Promise.all([bare?.stop(), agent?.stop()]);
});

type Target = 'express' | 'plain';

/** Sends `spec` to both apps, asserts identical responses, returns the instrumented side's span. */
async function same(
  t: ExecutionContext,
  target: Target,
  name: string,
  spec: RequestSpec
): Promise<{ span: SpanLine; exchange: Exchange; id: string }> {
  const id = caseId(name);
  const withId = { ...spec, headers: { ...spec.headers, 'x-case-id': id } };
  const [a, b] = await Promise.all([send(bare.ports[target], withId), send(agent.ports[target], withId)]);
  t.deepEqual(comparable(b), comparable(a), 'response differs with the agent');
  const span = await agent.serverSpan(id);
  return { span, exchange: b, id };
}

const JSON_TYPE = { 'content-type': 'application/json' };

function truncatedList(span: SpanLine): unknown {
  return span.attributes['ck.capture.truncated'] ?? [];
}

// ----- body parsers -------------------------------------------------------------------------

test('express.json(): request and response bodies captured, redacted', async (t) => {
  const { span } = await same(t, 'express', 'json', {
    method: 'POST',
    path: '/json',
    headers: JSON_TYPE,
    body: '{"user":"bob","password":"hunter2"}',
  });
  t.is(span.attributes['http.request.body'], '{"user":"bob","password":"[REDACTED]"}');
  t.is(span.attributes['http.response.body'], '{"received":{"user":"bob","password":"[REDACTED]"}}');
  t.is(span.attributes['http.request.header.content-type'], 'application/json');
  t.is(span.attributes['http.response.header.content-type'], 'application/json; charset=utf-8');
  t.deepEqual(truncatedList(span), []);
});

test('express.urlencoded(): form body captured with the password redacted', async (t) => {
  const { span } = await same(t, 'express', 'form', {
    method: 'POST',
    path: '/form',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=1&password=x&b=two',
  });
  t.is(span.attributes['http.request.body'], 'a=1&password=[REDACTED]&b=two');
  t.is(span.attributes['http.response.body'], undefined, 'text/html is not an allowed content type');
});

test('express.raw(): multi-chunk JSON body', async (t) => {
  const { span } = await same(t, 'express', 'raw', {
    method: 'POST',
    path: '/raw',
    headers: JSON_TYPE,
    body: ['{"a":', '[1,2', ',3],"b":', '"x"}'],
  });
  t.is(span.attributes['http.request.body'], '{"a":[1,2,3],"b":"x"}');
});

test('express.text(): text/plain both ways', async (t) => {
  const { span } = await same(t, 'express', 'text', {
    method: 'POST',
    path: '/text',
    headers: { 'content-type': 'text/plain' },
    body: 'hello é😀',
  });
  t.is(span.attributes['http.request.body'], 'hello é😀');
  t.is(span.attributes['http.response.body'], 'HELLO É😀');
});

// ----- handlers reading the raw stream -------------------------------------------------------

test('handler reads the raw stream (multi-chunk)', async (t) => {
  const { span } = await same(t, 'express', 'stream-read', {
    method: 'POST',
    path: '/stream-read',
    headers: JSON_TYPE,
    body: ['{"a":', '1,', '"b":2}'],
  });
  t.is(span.attributes['http.request.body'], '{"a":1,"b":2}');
});

test('handler reads the raw stream (single chunk)', async (t) => {
  const { span } = await same(t, 'express', 'stream-read-single', {
    method: 'POST',
    path: '/stream-read',
    headers: JSON_TYPE,
    body: '{"single":true}',
  });
  t.is(span.attributes['http.request.body'], '{"single":true}');
});

test('handler starts reading only after an await', async (t) => {
  const { span } = await same(t, 'express', 'after-await', {
    method: 'POST',
    path: '/read-after-await',
    headers: JSON_TYPE,
    body: ['{"late":', '"reader"}'],
  });
  t.is(span.attributes['http.request.body'], '{"late":"reader"}');
});

test('req.pipe(writable)', async (t) => {
  const big = JSON.stringify({ data: 'z'.repeat(200_000) });
  const { span } = await same(t, 'express', 'pipe', { method: 'POST', path: '/pipe', headers: JSON_TYPE, body: big });
  t.is(span.attributes['http.request.body'], big.slice(0, 4096));
  t.deepEqual(truncatedList(span), ['http.request.body']);
});

// ----- responses ------------------------------------------------------------------------------

test('res.write streaming, redaction of the JSON response', async (t) => {
  const { span, exchange } = await same(t, 'express', 'write-stream', { path: '/write-stream' });
  const expected = JSON.parse(exchange.body.toString()).map((o: { i: number }) => ({ i: o.i, token: '[REDACTED]' }));
  t.is(span.attributes['http.response.body'], JSON.stringify(expected));
});

test('res.json / res.send(string) / res.send(Buffer)', async (t) => {
  const json = await same(t, 'express', 'send-json', { path: '/send-json' });
  t.is(json.span.attributes['http.response.body'], '{"hello":"world","password":"[REDACTED]"}');
  const str = await same(t, 'express', 'send-string', { path: '/send-string' });
  t.is(str.span.attributes['http.response.body'], undefined, 'text/html not captured');
  const buf = await same(t, 'express', 'send-buffer', { path: '/send-buffer' });
  t.is(buf.span.attributes['http.response.body'], '{"buffer":true}');
});

test('stream.pipe(res): cut at the size limit and reported truncated', async (t) => {
  const { span } = await same(t, 'express', 'pipe-out', { path: '/pipe-out' });
  const body = span.attributes['http.response.body'] as string;
  t.is(Buffer.byteLength(body), 4096);
  t.true(body.startsWith('{"a":[1,2,3],"b":"xxx'));
  t.deepEqual(truncatedList(span), ['http.response.body']);
});

test('server-sent events: captured up to the limit, span ends when the response ends', async (t) => {
  const { span, exchange, id } = await same(t, 'express', 'sse', { path: '/sse' });
  t.true(exchange.body.toString().includes('id: 39'));
  t.true((span.attributes['http.response.body'] as string).startsWith('id: 0\ndata: {"i":0'));
  t.deepEqual(truncatedList(span), ['http.response.body']);
  t.deepEqual(await agent.observed(id), await bare.observed(id));
});

test('compression middleware: the client gets identical bytes, the span the decoded body', async (t) => {
  const { span, exchange } = await same(t, 'express', 'compressed', { path: '/compressed', headers: { 'accept-encoding': 'gzip' } });
  const decoded = zlib.gunzipSync(exchange.body).toString();
  t.true(decoded.startsWith('{"items":[{"i":0'));
  t.is(span.attributes['http.response.body'], decoded.slice(0, 4096));
  t.is(span.attributes['http.response.header.content-encoding'], 'gzip');
});

test('HEAD, 204 and 304 responses: identical, no body captured', async (t) => {
  const head = await same(t, 'express', 'head', { method: 'HEAD', path: '/send-json' });
  t.is(head.exchange.body.length, 0);
  t.is(head.span.attributes['http.response.body'], undefined);
  const noContent = await same(t, 'express', 'no-content', { path: '/no-content' });
  t.is(noContent.exchange.status, 204);
  t.is(noContent.span.attributes['http.response.body'], undefined);
  const first = await send(bare.ports.express, { path: '/etag' });
  const etagIndex = first.rawHeaders.findIndex((h) => h.toLowerCase() === 'etag');
  const notModified = await same(t, 'express', 'not-modified', {
    path: '/etag',
    headers: { 'if-none-match': first.rawHeaders[etagIndex + 1] },
  });
  t.is(notModified.exchange.status, 304);
  t.is(notModified.span.attributes['http.response.body'], undefined);
});

// ----- plain http -----------------------------------------------------------------------------

test('plain http: multi-chunk echo', async (t) => {
  const { span } = await same(t, 'plain', 'plain-multi', {
    method: 'POST',
    path: '/echo',
    headers: JSON_TYPE,
    body: ['{"x":', '"chunked",', '"secret":"s"}'],
  });
  t.is(span.attributes['http.request.body'], '{"x":"chunked","secret":"[REDACTED]"}');
  t.is(span.attributes['http.response.body'], '{"x":"chunked","secret":"[REDACTED]"}');
  t.is(span.name, 'POST');
});

test('plain http: single-chunk echo, binary content type not captured', async (t) => {
  const { span } = await same(t, 'plain', 'plain-binary', {
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.from([0, 1, 2, 255]),
  });
  t.is(span.attributes['http.request.body'], undefined);
  t.is(span.attributes['http.response.body'], undefined);
});

// ----- connections ----------------------------------------------------------------------------

test('HTTP keep-alive: several requests over one connection', async (t) => {
  const id = caseId('keep-alive');
  async function run(port: number): Promise<{ results: unknown[]; reused: boolean[] }> {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const results: unknown[] = [];
    const reused: boolean[] = [];
    const specs: RequestSpec[] = [
      { method: 'POST', path: '/json', headers: { ...JSON_TYPE, 'x-case-id': `${id}-1` }, body: '{"n":1}' },
      { path: '/send-json', headers: { 'x-case-id': `${id}-2` } },
      { method: 'POST', path: '/stream-read', headers: { ...JSON_TYPE, 'x-case-id': `${id}-3` }, body: ['{"n":', '3}'] },
    ];
    for (const spec of specs) {
      const exchange = await new Promise<Exchange>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, method: spec.method ?? 'GET', path: spec.path, headers: spec.headers, agent: keepAlive },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
          }
        );
        req.on('error', reject);
        reused.push(false);
        req.on('socket', () => (reused[reused.length - 1] = req.reusedSocket));
        if (Array.isArray(spec.body)) {
          for (const c of spec.body) req.write(c);
          req.end();
        } else req.end(spec.body);
      });
      results.push(comparable(exchange));
    }
    keepAlive.destroy();
    return { results, reused };
  }
  const [a, b] = await Promise.all([run(bare.ports.express), run(agent.ports.express)]);
  t.deepEqual(b, a);
  t.deepEqual(b.reused, [false, true, true]);
  const third = await agent.serverSpan(`${id}-3`);
  t.is(third.attributes['http.request.body'], '{"n":3}');
});

for (const target of ['express', 'plain'] as const) {
  test(`${target}: request aborted mid-body: the app sees the same events`, async (t) => {
    const id = caseId(`abort-${target}`);
    const head = `POST /observe HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nx-case-id: ${id}\r\n\r\n`;
    await Promise.all([
      rawExchange(bare.ports[target], [head, '{"partial":"', 'x'.repeat(100)], { destroyAfterWrite: true }),
      rawExchange(agent.ports[target], [head, '{"partial":"', 'x'.repeat(100)], { destroyAfterWrite: true }),
    ]);
    const span = await agent.serverSpan(id);
    let observedBare: unknown;
    let observedAgent: unknown;
    for (let i = 0; i < 50; i++) {
      [observedBare, observedAgent] = await Promise.all([bare.observed(id), agent.observed(id)]);
      if (JSON.stringify(observedBare).includes('resClose') && JSON.stringify(observedAgent).includes('resClose')) break;
      await sleep(20);
    }
    t.deepEqual(observedAgent, observedBare);
    t.true(JSON.stringify(observedBare).includes('req:aborted') || JSON.stringify(observedBare).includes('req:error'));
    const body = span.attributes['http.request.body'] as string | undefined;
    t.true(body === undefined || ('{"partial":"' + 'x'.repeat(100)).startsWith(body));
  });
}

test('client disconnects mid-response: the app sees the same events', async (t) => {
  const id = caseId('disconnect');
  const request = `GET /slow-stream HTTP/1.1\r\nhost: x\r\nx-case-id: ${id}\r\n\r\n`;
  await Promise.all([
    rawExchange(bare.ports.express, [request], { destroyAfterFirstBytes: true }),
    rawExchange(agent.ports.express, [request], { destroyAfterFirstBytes: true }),
  ]);
  let a: unknown;
  let b: unknown;
  for (let i = 0; i < 100; i++) {
    [a, b] = await Promise.all([bare.observed(id), agent.observed(id)]);
    if (JSON.stringify(a).includes('destroyed') && JSON.stringify(b).includes('destroyed')) break;
    await sleep(20);
  }
  t.deepEqual(b, a);
  t.true(JSON.stringify(a).includes('"destroyed":true'));
  const span = await agent.serverSpan(id);
  t.true((span.attributes['http.response.body'] as string).startsWith('[0'));
});

test('WebSocket upgrade passes through untouched', async (t) => {
  async function echo(port: number): Promise<unknown[]> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const received: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => {
        ws.send('hello');
        ws.send(Buffer.from([1, 2, 3]));
      });
      ws.on('message', (data, isBinary) => {
        received.push(isBinary ? [...(data as Buffer)] : data.toString());
        if (received.length === 2) ws.close();
      });
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    return received;
  }
  const [a, b] = await Promise.all([echo(bare.ports.express), echo(agent.ports.express)]);
  t.deepEqual(b, a);
  t.deepEqual(b, ['hello', [1, 2, 3]]);
});

// ----- bad input --------------------------------------------------------------------------------

test('malformed, duplicate and huge ck-route: ignored, never reflected', async (t) => {
  for (const [name, value] of [
    ['garbage', 'garbage'],
    ['upper-hex', '1-0123456789ABCDEF-00'],
    ['huge', '1-' + 'a'.repeat(8000)],
    ['duplicate', ['1-0123456789abcdef-00', '1-0123456789abcdef-00']],
  ] as const) {
    const { span } = await same(t, 'express', `route-${name}`, { path: '/send-json', headers: { 'ck-route': value as string } });
    t.is(span.attributes['ck.route.incoming'], undefined, name);
  }
  const valid = await same(t, 'express', 'route-valid', { path: '/send-json', headers: { 'ck-route': '1-0123456789abcdef-00' } });
  t.is(valid.span.attributes['ck.route.incoming'], '1-0123456789abcdef-00');
});

test('huge headers: same response with and without the agent (accepted and rejected sizes)', async (t) => {
  const { span } = await same(t, 'express', 'big-header', { path: '/send-json', headers: { 'x-big': 'a'.repeat(12_000) } });
  t.is((span.attributes['http.request.header.x-big'] as string).length > 0, true);
  const id = caseId('too-big-header');
  const spec = { path: '/send-json', headers: { 'x-big': 'a'.repeat(20_000), 'x-case-id': id } };
  const [a, b] = await Promise.all([send(bare.ports.express, spec), send(agent.ports.express, spec)]);
  t.is(a.status, 431);
  t.deepEqual(comparable(b), comparable(a));
});

test('body larger than every limit: app unaffected, capture bounded and truncated', async (t) => {
  const huge = JSON.stringify({ blob: 'q'.repeat(3_000_000), password: 'at-the-end' });
  const { span } = await same(t, 'express', 'huge-body', { method: 'POST', path: '/raw', headers: JSON_TYPE, body: huge });
  const captured = span.attributes['http.request.body'] as string;
  t.is(Buffer.byteLength(captured), 4096);
  t.deepEqual(truncatedList(span), ['http.request.body']);
});

test('invalid JSON with a JSON content type: same 400, text captured with redaction', async (t) => {
  const { span, exchange } = await same(t, 'express', 'invalid-json', {
    method: 'POST',
    path: '/json',
    headers: JSON_TYPE,
    body: '{"password": "hunter2", oops',
  });
  t.is(exchange.status, 400);
  t.is(span.attributes['http.request.body'], '{"password": "[REDACTED]", oops');
});

test('binary body with a JSON content type: same response, U+FFFD in the capture', async (t) => {
  const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 151) % 256));
  const { span } = await same(t, 'express', 'binary-json', { method: 'POST', path: '/raw', headers: JSON_TYPE, body: binary });
  const captured = span.attributes['http.request.body'] as string;
  t.true(captured.includes('\uFFFD'));
  t.true(Buffer.byteLength(captured) <= 4096);
});

test('gzip request bodies: decoded for capture; a truncated gzip gives the same error and a partial capture', async (t) => {
  const json = JSON.stringify({ zipped: true, token: 't', list: Array.from({ length: 100 }, (_, i) => i) });
  const gz = zlib.gzipSync(json);
  const ok = await same(t, 'express', 'gzip-ok', {
    method: 'POST',
    path: '/json',
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: gz,
  });
  t.is(ok.exchange.status, 200);
  t.is(ok.span.attributes['http.request.body'], json.replace('"token":"t"', '"token":"[REDACTED]"'));
  const cut = await same(t, 'express', 'gzip-truncated', {
    method: 'POST',
    path: '/json',
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: gz.subarray(0, Math.floor(gz.length / 2)),
  });
  t.is(cut.exchange.status, 400);
  const partial = cut.span.attributes['http.request.body'] as string | undefined;
  t.true(partial === undefined || json.startsWith(partial.slice(0, 10)));
});

test('the instrumented app logged no agent errors', async (t) => {
  await sleep(10);
  t.false(/\[ck-agent\] (error|warn)/.test(agent.stderr), agent.stderr);
});
