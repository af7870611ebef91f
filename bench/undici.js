'use strict';
/**
 * Per-request overhead of CKUndiciInstrumentation (docs/undici.md), against the compiled build
 * (npm run build first):
 *
 *   node bench/undici.js [--quick]
 *
 * One client process makes sequential requests (global fetch and undici.request, keep-alive) to a
 * plain http server in a child process, all inside one CK request context (so ck-route is
 * injected), in slices that rotate between three states of the same process:
 *   bare      no undici instrumentation subscribed;
 *   upstream  the unmodified @opentelemetry/instrumentation-undici on the CK tracer provider
 *             (the floor: what any undici instrumentation costs with our spans);
 *   ck        CKUndiciInstrumentation (upstream + ck-route, duplicate-safe injection, capture
 *             policy; metrics-only defaults, so nothing is captured).
 * CPU microseconds (user + system) of the client per request, median over slices per state.
 * Prints one JSON object. Not part of npm test; figures depend on the machine.
 */
const { fork } = require('node:child_process');
const { tryRequire } = require('./lib/ck-build');

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 12;
const PER_SLICE = QUICK ? 150 : 400;

function serve() {
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  // Never outlive the bench process (it may die on an error): an orphan server would hold the
  // caller's pipes open.
  process.on('disconnect', () => process.exit(0));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  // Own stdio: the server has nothing to say, and must not share the caller's pipes.
  const server = fork(__filename, ['--server'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  try {
    await run(await new Promise((resolve) => server.once('message', resolve)));
  } finally {
    server.kill();
  }
}

async function run(port) {
  const origin = `http://127.0.0.1:${port}`;

  const ck = tryRequire('src/index.js');
  const { CKUndiciInstrumentation } = tryRequire('src/instrumentations/undici/index.js');
  const agent = ck.init({ serviceName: 'bench-undici', reporting: { metricReporterType: 'NONE', traceReporterType: 'NONE' } });
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
  const api = require('@opentelemetry/api');
  const undici = require('undici');

  // Built disabled; its request hooks read config.enabled, so that is set back to true.
  // (upstream's disable() throws when it was never enabled: `off()` checks.)
  const upstream = new UndiciInstrumentation({ enabled: false });
  upstream.setTracerProvider(agent.tracerProvider);
  upstream.setConfig({ enabled: true });
  const ckUndici = new CKUndiciInstrumentation();

  const requestSpan = agent.tracerProvider
    .getTracer('bench')
    .startSpan('GET /bench', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/bench' } });
  const requestContext = api.trace.setSpan(api.context.active(), requestSpan);

  const clients = {
    fetch: async () => (await fetch(`${origin}/items/1`)).json(),
    'undici.request': async () => (await undici.request(`${origin}/items/1`)).body.json(),
  };
  const states = {
    bare: () => {},
    upstream: () => upstream.enable(),
    ck: () => ckUndici.enable(),
  };
  const off = () => {
    if (upstream.isEnabled()) upstream.disable();
    ckUndici.disable();
  };

  const samples = {};
  for (const client of Object.keys(clients)) {
    samples[client] = { bare: [], upstream: [], ck: [] };
    // warm-up
    for (let i = 0; i < 200; i++) await api.context.with(requestContext, clients[client]);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const client of Object.keys(clients)) {
      for (const state of Object.keys(states)) {
        off();
        states[state]();
        const call = clients[client];
        const start = process.cpuUsage();
        await api.context.with(requestContext, async () => {
          for (let i = 0; i < PER_SLICE; i++) await call();
        });
        const used = process.cpuUsage(start);
        samples[client][state].push((used.user + used.system) / PER_SLICE);
      }
    }
  }
  off();
  requestSpan.end();
  const result = { node: process.version, rounds: ROUNDS, perSlice: PER_SLICE, cpuUsPerRequest: {}, overheadUs: {} };
  for (const client of Object.keys(clients)) {
    const m = Object.fromEntries(Object.entries(samples[client]).map(([state, v]) => [state, Math.round(median(v) * 10) / 10]));
    result.cpuUsPerRequest[client] = m;
    result.overheadUs[client] = {
      ckOverBare: Math.round((m.ck - m.bare) * 10) / 10,
      upstreamOverBare: Math.round((m.upstream - m.bare) * 10) / 10,
      ckOverUpstream: Math.round((m.ck - m.upstream) * 10) / 10,
    };
  }
  console.log(JSON.stringify(result, null, 2));
  await agent.shutdown();
}

if (process.argv[2] === '--server') serve();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
