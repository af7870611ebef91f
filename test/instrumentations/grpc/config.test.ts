/**
 * CKGrpcInstrumentation under different configurations (each a child-process run of
 * fixtures/grpc/app.ts): request filters at both stages, every rpc_metadata / rpc_body switch,
 * redaction lists, body size limit, a replaced global propagator, grpc-js required before
 * enable(), and metrics-only mode.
 */
import test from 'ava';
import { runGrpcApp, scenarioSpans } from '../../../fixtures/grpc/harness';
import type { Observation } from '../../../fixtures/grpc/scenarios';

const BLOCKED = [
  'blockHeaderUnary',
  'blockHeaderClientStream',
  'blockHeaderServerStream',
  'blockHeaderBidi',
  'blockBodyUnary',
  'blockBodyServerStream',
];

function errorCodeOf(obs: Observation): number | undefined {
  const callback = obs.callback as { error?: { code?: number } | null } | undefined;
  if (callback) return callback.error?.code ?? 0;
  const events = (obs.events ?? []) as Array<{ event: string; error?: { code: number }; status?: { code: number } }>;
  return events.find((e) => e.event === 'status')?.status?.code;
}

test('filters: header stage (all call types) and body stage (unary, server-streaming) answer PERMISSION_DENIED', async (t) => {
  const { results, spans } = await runGrpcApp({ style: 'dynamic', agent: {}, filter: true, scenarios: ['unary', ...BLOCKED] });
  t.is(errorCodeOf(results.unary), 0, 'an unblocked call passes');
  for (const scenario of BLOCKED) {
    t.is(errorCodeOf(results[scenario]), 7, scenario);
    const events = (results[scenario].events ?? []) as Array<{ event: string; metadata?: Record<string, unknown> }>;
    // The handler never ran: it would have sent response metadata (x-resp) first.
    t.false(
      events.some((e) => e.event === 'metadata' && e.metadata && 'x-resp' in e.metadata),
      `${scenario}: handler ran`
    );
    const server = scenarioSpans(spans, scenario, 'SERVER');
    t.is(server.length, 1, scenario);
    t.like(server[0].attributes, { 'ck.blocked': true, 'ck.blocked.by': 'test-block', 'rpc.grpc.status_code': 7 });
    t.is(server[0].status.code, 2);
  }
  for (const span of scenarioSpans(spans, 'unary')) t.is(span.attributes['ck.blocked'], undefined);
});

test('filters with the generated-style app too', async (t) => {
  const { results } = await runGrpcApp({ style: 'generated', agent: {}, filter: true, scenarios: ['unary', ...BLOCKED] });
  t.is(errorCodeOf(results.unary), 0);
  for (const scenario of BLOCKED) t.is(errorCodeOf(results[scenario]), 7, scenario);
});

const CAPTURE_KEYS = /^rpc\.(request|response)\.(metadata\.|body$)/;

test('rpc_metadata and rpc_body switched off: nothing captured, on either side', async (t) => {
  const { spans, results } = await runGrpcApp({
    style: 'dynamic',
    agent: { dataCapture: { rpcMetadata: { request: false, response: false }, rpcBody: { request: false, response: false } } },
    scenarios: ['unary', 'clientStream', 'serverStream', 'bidi', 'failError'],
  });
  t.is(errorCodeOf(results.unary), 0);
  t.true(spans.length >= 10);
  for (const span of spans)
    t.deepEqual(
      Object.keys(span.attributes).filter((k) => CAPTURE_KEYS.test(k)),
      [],
      span.name
    );
});

test('each switch is honoured on its own: request metadata + response body only', async (t) => {
  const { spans } = await runGrpcApp({
    style: 'dynamic',
    agent: { dataCapture: { rpcMetadata: { request: true, response: false }, rpcBody: { request: false, response: true } } },
    scenarios: ['unary', 'clientStream', 'serverStream', 'bidi'],
  });
  const byMethod = (m: string) => spans.filter((s) => s.attributes['rpc.method'] === m);
  for (const method of ['Unary', 'ClientStream', 'ServerStream', 'Bidi']) {
    const found = byMethod(method);
    t.is(found.length, 2, method);
    for (const span of found) {
      const keys = Object.keys(span.attributes);
      t.true(
        keys.some((k) => k.startsWith('rpc.request.metadata.')),
        `${method} ${span.kind} request metadata`
      );
      t.false(
        keys.some((k) => k.startsWith('rpc.response.metadata.')),
        `${method} ${span.kind} response metadata`
      );
      t.false(keys.includes('rpc.request.body'), `${method} ${span.kind} request body`);
      t.true(keys.includes('rpc.response.body'), `${method} ${span.kind} response body`);
    }
  }
});

test('redaction lists from config replace the defaults; body_max_size_bytes applies', async (t) => {
  const { spans } = await runGrpcApp({
    style: 'dynamic',
    agent: { redaction: { headerNames: ['x-req'], bodyKeys: ['^text$'] }, dataCapture: { bodyMaxSizeBytes: 64 } },
    scenarios: ['unary'],
  });
  const server = scenarioSpans(spans, 'unary', 'SERVER')[0];
  const client = scenarioSpans(spans, 'unary', 'CLIENT')[0];
  t.is(server.attributes['rpc.request.metadata.x-req'], '[REDACTED]');
  t.deepEqual(client.attributes['rpc.request.metadata.x-req'], ['[REDACTED]', '[REDACTED]']);
  t.is(server.attributes['rpc.request.metadata.authorization'], 'Bearer secret-token');
  for (const span of [server, client]) {
    const body = String(span.attributes['rpc.request.body']);
    t.true(Buffer.byteLength(body) <= 64);
    t.true((span.attributes['ck.capture.truncated'] as string[]).includes('rpc.request.body'));
    t.false(body.includes('"hello"'));
  }
  t.true(String(client.attributes['rpc.request.body']).startsWith('{"text":"[REDACTED]"'));
});

test('ck-route still propagates when another SDK replaced the global propagator', async (t) => {
  const { spans, results } = await runGrpcApp({ style: 'dynamic', agent: {}, relay: true, replacePropagator: true, scenarios: ['unary'] });
  t.like(results.relay, { error: null });
  const backend = spans.filter((s) => s.kind === 'SERVER' && s.attributes['ck.route.incoming'] !== undefined);
  t.is(backend.length, 1);
  const frontKey = String(backend[0].attributes['ck.route.incoming']).split('-')[1];
  t.truthy(
    spans.find((s) => s.kind === 'SERVER' && s.attributes['ck.path.key'] === frontKey),
    'front server span'
  );
});

test('grpc-js required before enable(): patched in place, same app behaviour, spans and capture', async (t) => {
  const scenarios = ['unary', 'clientStream', 'serverStream', 'bidi', 'failThrow', 'cancel'];
  const [bare, agent] = await Promise.all([
    runGrpcApp({ style: 'dynamic', scenarios }),
    runGrpcApp({ style: 'dynamic', agent: {}, requireGrpcFirst: true, scenarios }),
  ]);
  for (const name of scenarios) t.deepEqual(agent.results[name], bare.results[name], name);
  for (const name of scenarios) {
    t.is(scenarioSpans(agent.spans, name, 'SERVER').length, 1, `${name} server`);
    t.is(scenarioSpans(agent.spans, name, 'CLIENT').length, 1, `${name} client`);
  }
  t.truthy(scenarioSpans(agent.spans, 'unary', 'SERVER')[0].attributes['rpc.request.body']);
});

test('metrics-only mode (no span export): same app behaviour, graph path metrics recorded', async (t) => {
  const scenarios = ['unary', 'clientStream', 'serverStream', 'bidi', 'failError', 'deadline'];
  const [bare, agent] = await Promise.all([
    runGrpcApp({ style: 'generated', scenarios }),
    runGrpcApp({ style: 'generated', agent: { reporting: { traceReporterType: 'NONE' } }, scenarios }),
  ]);
  for (const name of scenarios) t.deepEqual(agent.results[name], bare.results[name], name);
  t.is(agent.spans.length, 0);
  const services = agent.paths.filter((p) => p.element.type === 'GRPC_SERVICE').map((p) => p.element.name);
  t.deepEqual(
    [...new Set(services)].sort(),
    ['Bidi', 'ClientStream', 'Fail', 'ServerStream', 'Slow', 'Unary'].map((m) => `ck.test.TestService/${m}`)
  );
  const slow = agent.paths.find((p) => p.element.type === 'GRPC_SERVICE' && p.element.name.endsWith('/Slow'));
  t.like(slow, { calls: 1, errors: 1 });
});
