/**
 * CKGrpcInstrumentation against a real grpc-js server and client (fixtures/grpc), each run in a
 * child process with and without the agent: the app must observe exactly the same messages,
 * metadata, statuses and errors; the agent run's spans and graph path lines are then checked.
 * Apps are built both ways: proto-loader (dynamic) and makeGenericClientConstructor with
 * explicit serializers (generated).
 */
import test from 'ava';
import { runGrpcApp, scenarioSpans, type AppRun, type SpanLine } from '../../../fixtures/grpc/harness';
import { scenarios } from '../../../fixtures/grpc/scenarios';

const ALL = Object.keys(scenarios);

const memo = new Map<string, Promise<AppRun>>();
function run(key: string, start: () => Promise<AppRun>): Promise<AppRun> {
  let p = memo.get(key);
  if (!p) {
    p = start();
    memo.set(key, p);
  }
  return p;
}
const bare = (style: 'dynamic' | 'generated') => run(`bare-${style}`, () => runGrpcApp({ style }));
const withAgent = (style: 'dynamic' | 'generated') => run(`agent-${style}`, () => runGrpcApp({ style, agent: {}, relay: true }));

for (const style of ['dynamic', 'generated'] as const) {
  test(`${style}: every call type and failure looks the same to the app with and without the agent`, async (t) => {
    const [a, b] = await Promise.all([bare(style), withAgent(style)]);
    t.deepEqual(Object.keys(b.results).sort(), [...ALL, 'relay'].sort());
    for (const name of ALL) t.deepEqual(b.results[name], a.results[name], `scenario ${name}`);
    // The agent logs nothing for well-formed traffic (junk routes are counted, not logged).
    t.is(b.stderr.split('\n').filter((l) => l.includes('[ck-agent]')).length, 0, b.stderr);
  });
}

function one(spans: SpanLine[], scenario: string, kind: 'SERVER' | 'CLIENT'): SpanLine {
  const found = scenarioSpans(spans, scenario, kind);
  if (found.length !== 1) throw new Error(`${scenario} ${kind}: ${found.length} spans`);
  return found[0];
}

const json = (v: unknown) => JSON.parse(String(v));

test('unary: metadata (binary base64, repeated, redacted), messages as JSON, response metadata and trailers', async (t) => {
  for (const style of ['dynamic', 'generated'] as const) {
    const { spans } = await withAgent(style);
    const server = one(spans, 'unary', 'SERVER').attributes;
    const client = one(spans, 'unary', 'CLIENT').attributes;
    for (const a of [server, client]) {
      t.is(a['rpc.request.metadata.x-req-bin'], 'AQID+g==');
      t.is(a['rpc.request.metadata.authorization'], '[REDACTED]');
      t.is(a['rpc.response.metadata.set-cookie'], '[REDACTED]');
      t.is(a['rpc.response.metadata.x-resp-bin'], '3q2+7w==');
      t.is(a['rpc.response.metadata.x-trailer'], 'unary');
      t.is(a['rpc.response.metadata.x-trailer-bin'], Buffer.from('unary').toString('base64'));
      t.is(a['rpc.grpc.status_code'], 0);
      t.is(a['ck.capture.truncated'], undefined);
      const request = json(a['rpc.request.body']);
      t.like(request, { text: 'hello', count: 3, payload: Buffer.from('bytes-hello').toString('base64'), password: '[REDACTED]' });
      t.deepEqual(request.items, [
        { name: 'apple', qty: 2 },
        { name: 'pear', qty: 1 },
      ]);
      t.like(json(a['rpc.response.body']), { text: 'echo:hello', index: 0 });
    }
    // The client sent two values; HTTP/2 joins them for the server.
    t.deepEqual(client['rpc.request.metadata.x-req'], ['a', 'b']);
    t.is(server['rpc.request.metadata.x-req'], 'a, b');
    t.deepEqual(server['rpc.response.metadata.x-resp'], ['r1', 'r2']);
    t.regex(String(server['ck.path.key']), /^[0-9a-f]{16}$/);
    t.is(server['rpc.service'], 'ck.test.TestService');
    t.is(server['rpc.method'], 'Unary');
  }
});

test('client-streaming: request messages as a JSON array, one response message', async (t) => {
  const { spans } = await withAgent('dynamic');
  for (const kind of ['SERVER', 'CLIENT'] as const) {
    const a = one(spans, 'clientStream', kind).attributes;
    const request = json(a['rpc.request.body']);
    t.true(Array.isArray(request));
    t.deepEqual(
      request.map((m: { text: string }) => m.text),
      ['one', 'two', 'three']
    );
    t.is(request[0].password, '[REDACTED]');
    t.like(json(a['rpc.response.body']), { text: 'one+two+three', index: 3 });
    t.is(a['rpc.response.metadata.x-trailer'], 'client-stream');
  }
});

test('server-streaming: one request message, response messages as a JSON array', async (t) => {
  const { spans } = await withAgent('generated');
  for (const kind of ['SERVER', 'CLIENT'] as const) {
    const a = one(spans, 'serverStream', kind).attributes;
    t.like(json(a['rpc.request.body']), { text: 'many', count: 4 });
    const response = json(a['rpc.response.body']);
    t.deepEqual(
      response.map((m: { index?: number }) => m.index ?? 0),
      [0, 1, 2, 3]
    );
    t.is(a['rpc.response.metadata.x-trailer'], 'server-stream');
    t.is(a['rpc.grpc.status_code'], 0);
  }
});

test('bidi: both directions as JSON arrays, in order', async (t) => {
  const { spans } = await withAgent('dynamic');
  for (const kind of ['SERVER', 'CLIENT'] as const) {
    const a = one(spans, 'bidi', kind).attributes;
    t.deepEqual(
      json(a['rpc.request.body']).map((m: { text: string }) => m.text),
      ['b0', 'b1', 'b2']
    );
    t.deepEqual(
      json(a['rpc.response.body']).map((m: { text: string }) => m.text),
      ['echo:b0', 'echo:b1', 'echo:b2']
    );
    t.is(a['rpc.response.metadata.x-trailer'], 'bidi');
  }
});

test('errors: status codes recorded, non-OK is an error, each span ends exactly once', async (t) => {
  const { spans } = await withAgent('dynamic');
  const expected: Record<string, number> = {
    failError: 3,
    failCode: 5,
    failPlain: 2, // an Error without a code: grpc-js sends UNKNOWN (upstream records nothing)
    failThrow: 2, // handler threw: grpc-js sends UNKNOWN, upstream never ends the span
    failTrailers: 9,
    deadline: 4,
    cancel: 1,
    cancelServerStreamMidway: 1,
    serverShutdownMidStream: 1,
  };
  for (const [scenario, code] of Object.entries(expected)) {
    for (const kind of ['SERVER', 'CLIENT'] as const) {
      const span = one(spans, scenario, kind); // exactly one: ended once
      t.is(span.attributes['rpc.grpc.status_code'], code, `${scenario} ${kind}`);
      t.is(span.status.code, 2, `${scenario} ${kind} status ERROR`);
    }
  }
  // Trailers of failed calls are captured too (error.metadata and callback's third argument).
  t.is(one(spans, 'failError', 'SERVER').attributes['rpc.response.metadata.x-trailer'], 'fail');
  t.is(one(spans, 'failTrailers', 'SERVER').attributes['rpc.response.metadata.x-trailer'], 'fail');
  t.is(one(spans, 'failTrailers', 'CLIENT').attributes['rpc.response.metadata.x-trailer'], 'fail');
  // No span of a successful call is an error.
  for (const span of scenarioSpans(spans, 'unary')) t.is(span.status.code, 0);
});

test('oversized messages are cut at body_max_size_bytes on a character boundary and listed as truncated', async (t) => {
  const { spans } = await withAgent('dynamic');
  for (const kind of ['SERVER', 'CLIENT'] as const) {
    const a = one(spans, 'oversized', kind).attributes;
    t.deepEqual([...(a['ck.capture.truncated'] as string[])].sort(), ['rpc.request.body', 'rpc.response.body']);
    for (const key of ['rpc.request.body', 'rpc.response.body']) {
      const value = String(a[key]);
      t.true(Buffer.byteLength(value) <= 131072, key);
      t.true(Buffer.byteLength(value) > 131072 - 4, key);
      t.false(value.includes('\ufffd'));
    }
  }
});

test('junk, over-long and repeated ck-route metadata is ignored: external entry, nothing reflected', async (t) => {
  const { spans, paths } = await withAgent('dynamic');
  const rootKey = one(spans, 'unary', 'SERVER').attributes['ck.path.key'];
  for (const scenario of ['junkRoute', 'longRoute', 'multipleRoutes']) {
    const server = one(spans, scenario, 'SERVER').attributes;
    t.is(server['ck.route.incoming'], undefined, scenario);
    t.is(server['ck.path.key'], rootKey, `${scenario} keyed like an external entry`);
  }
  const unaryService = paths.find((p) => p.element.type === 'GRPC_SERVICE' && p.pathKey === rootKey);
  t.is(unaryService?.parentKey, '0000000000000000');
});

test('ck-route propagates client -> server: the server path parent is the caller path key', async (t) => {
  for (const style of ['dynamic', 'generated'] as const) {
    const { spans, paths, results } = await withAgent(style);
    t.like(results.relay, { error: null });
    // front: a server span (no x-scenario) that made the relayed client call
    const servers = spans.filter((s) => s.kind === 'SERVER' && s.attributes['ck.route.incoming'] !== undefined);
    t.is(servers.length, 1);
    const backend = servers[0];
    const incoming = String(backend.attributes['ck.route.incoming']);
    const [, frontKey, flags] = incoming.split('-');
    t.is(flags, '00');
    const relayClient = spans.find((s) => s.kind === 'CLIENT' && s.attributes['ck.path.key'] === frontKey);
    t.truthy(relayClient, 'the front service client span carries the front key');
    t.not(backend.attributes['ck.path.key'], frontKey);
    const backendPath = paths.find((p) => p.pathKey === backend.attributes['ck.path.key'] && p.element.type === 'GRPC_SERVICE');
    t.is(backendPath?.parentKey, frontKey);
    const clientPath = paths.find((p) => p.pathKey === frontKey && p.element.type === 'GRPC_CLIENT');
    t.is(clientPath?.element.name, 'ck.test.TestService/Unary');
    t.is(clientPath?.calls, 1);
  }
});

test('graph path metrics: GRPC_SERVICE and GRPC_CLIENT elements with calls and errors', async (t) => {
  const { paths } = await withAgent('dynamic');
  const byName = (type: string, name: string) => paths.filter((p) => p.element.type === type && p.element.name === name);
  const sum = (lines: typeof paths, f: 'calls' | 'errors') => lines.reduce((n, p) => n + p[f], 0);
  const failService = byName('GRPC_SERVICE', 'ck.test.TestService/Fail');
  t.is(sum(failService, 'calls'), 5);
  t.is(sum(failService, 'errors'), 5);
  t.is(failService[0].element.role, 'entry');
  const failClient = byName('GRPC_CLIENT', 'ck.test.TestService/Fail');
  t.is(sum(failClient, 'calls'), 5);
  t.is(sum(failClient, 'errors'), 5);
  t.is(failClient[0].element.role, 'exit');
  const slow = byName('GRPC_SERVICE', 'ck.test.TestService/Slow');
  t.is(sum(slow, 'calls'), 2);
  t.is(sum(slow, 'errors'), 2);
  const bidi = byName('GRPC_SERVICE', 'ck.test.TestService/Bidi');
  t.true(sum(bidi, 'calls') >= 3);
  for (const type of ['GRPC_SERVICE', 'GRPC_CLIENT']) {
    for (const method of ['Unary', 'ClientStream', 'ServerStream', 'Bidi']) {
      t.true(byName(type, `ck.test.TestService/${method}`).length > 0, `${type} ${method}`);
    }
  }
});
