'use strict';
/**
 * One gRPC bench process: a grpc-js server and client in the same process (each call pays the
 * client and the server side), ck.test.TestService from fixtures/grpc/test.proto loaded with
 * @grpc/proto-loader. The mode's agent is set up before grpc-js is required, as an app would.
 * Talks to bench/run.js (bench/lib/grpc.js) over IPC:
 *   -> { type: 'ready' }
 *   <- { cmd: 'run', id, case, seconds }  -> { type: 'result', id, calls, cpuUs, wallUs }
 *   <- { cmd: 'stop' }                     agent shutdown (bounded), then exit
 * Env: BENCH_GRPC_MODE (see MODES), BENCH_SINK (OTLP/gRPC URL), BENCH_SERVICE (service.name).
 *
 * Standalone: `node bench/grpc.js [mode] [seconds]` prints every case's figures as JSON.
 */
const path = require('node:path');
const { loadAgent } = require('./lib/ck-build');

/**
 * bare: no agent. upstream-only: the upstream GrpcInstrumentation on the CK tracer provider
 * (ck-agent initialised, graph path metrics only, none of ck-agent's gRPC patches): the floor, what
 * ck-agent's own patches add is the difference to ck. ck: CKGrpcInstrumentation with the defaults
 * (graph path metrics, no span export). ck-capture: plus span export over OTLP/gRPC, so metadata
 * and message capture run (capture only runs when a consumer exists).
 */
const MODES = ['bare', 'upstream-only', 'ck', 'ck-capture'];
/** Cases: name -> { concurrency, call: 'unary' | 'stream' }. */
const CASES = {
  'unary x32 concurrent': { concurrency: 32, call: 'unary' },
  'unary sequential': { concurrency: 1, call: 'unary' },
  'server stream (10 messages)': { concurrency: 1, call: 'stream' },
};

function setupAgent(mode, sinkUrl, serviceName) {
  if (mode === 'bare') return async () => {};
  if (!MODES.includes(mode)) throw new Error(`unknown BENCH_GRPC_MODE ${mode}`);
  const ck = loadAgent();
  if (typeof ck.CKGrpcInstrumentation !== 'function') throw new Error('ck-agent build does not export CKGrpcInstrumentation');
  const capture = mode === 'ck-capture';
  const agent = ck.init({
    serviceName,
    logLevel: 'error',
    reporting: {
      metricReporterType: 'OTLP',
      metricEndpoint: sinkUrl,
      traceReporterType: capture ? 'OTLP' : 'NONE',
      endpoint: sinkUrl,
    },
    // As the macro ck scenario: metric exports really happen within a round.
    metrics: { exportIntervalMs: 10000 },
    // Full capture (the defaults, spelled out); it only runs with a consumer, i.e. in ck-capture.
    ...(capture ? { dataCapture: { rpcMetadata: { request: true, response: true }, rpcBody: { request: true, response: true } } } : {}),
  });
  if (mode === 'upstream-only') {
    const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc');
    const upstream = new GrpcInstrumentation({ enabled: false });
    upstream.setTracerProvider(ck.getAgent().tracerProvider);
    upstream.enable();
  } else {
    new ck.CKGrpcInstrumentation().enable();
  }
  return () => agent.shutdown();
}

async function startApp() {
  const grpc = require('@grpc/grpc-js');
  const protoLoader = require('@grpc/proto-loader');
  const definition = protoLoader.loadSync(path.join(__dirname, '..', 'fixtures', 'grpc', 'test.proto'), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const Client = grpc.loadPackageDefinition(definition).ck.test.TestService;
  const server = new grpc.Server();
  server.addService(Client.service, {
    Unary(call, callback) {
      const req = call.request;
      callback(null, { text: `echo:${req.text}`, index: 0, items: req.items });
    },
    ServerStream(call) {
      const req = call.request;
      for (let i = 0; i < req.count; i++) call.write({ text: `echo:${req.text}`, index: i, items: req.items });
      call.end();
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)))
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unaryRequest = { text: 'hello', count: 2, items: [{ name: 'apple', qty: 1 }] };
  const streamRequest = { text: 's', count: 10, items: [{ name: 'apple', qty: 1 }] };
  const calls = {
    unary: () =>
      new Promise((resolve, reject) => client.Unary(unaryRequest, new grpc.Metadata(), (err) => (err ? reject(err) : resolve()))),
    stream: () =>
      new Promise((resolve, reject) => {
        let n = 0;
        const call = client.ServerStream(streamRequest, new grpc.Metadata());
        call.on('data', () => n++);
        call.on('end', () => (n === 10 ? resolve() : reject(new Error(`stream ended after ${n} messages`))));
        call.on('error', reject);
      }),
  };
  const close = () => {
    client.close();
    return new Promise((resolve) => server.tryShutdown(() => resolve()));
  };
  return { calls, close };
}

/** Runs one case for `seconds` of wall time: calls made, CPU µs per call, wall µs per call. */
async function runCase(app, name, seconds) {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case ${name}`);
  const fn = app.calls[c.call];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: c.concurrency }, async () => {
      while (process.hrtime.bigint() < deadline) {
        await fn();
        calls++;
      }
    })
  );
  const used = process.cpuUsage(cpu);
  const wallUs = Number(process.hrtime.bigint() - start) / 1000;
  // CPU time (client + server side, one process) is far less sensitive than wall time to other
  // processes on a shared machine.
  return { calls, cpuUs: (used.user + used.system) / calls, wallUs: wallUs / calls, callsPerSec: calls / (wallUs / 1e6) };
}

async function main() {
  const mode = process.env.BENCH_GRPC_MODE || process.argv[2] || 'bare';
  const shutdown = setupAgent(mode, process.env.BENCH_SINK || 'http://127.0.0.1:4317', process.env.BENCH_SERVICE || `bench-grpc-${mode}`);
  const app = await startApp();
  await app.calls.unary(); // sanity: one call end to end before 'ready'
  await app.calls.stream();

  if (!process.send) {
    const seconds = Number(process.argv[3]) || 2;
    const out = {};
    for (const name of Object.keys(CASES)) {
      await runCase(app, name, seconds / 2); // warm-up
      out[name] = await runCase(app, name, seconds);
    }
    console.log(JSON.stringify({ mode, ...out }, null, 2));
    await app.close();
    await Promise.resolve(shutdown()).catch(() => {});
    return;
  }
  process.on('message', (msg) => {
    if (!msg || typeof msg !== 'object') return;
    if (msg.cmd === 'run') {
      runCase(app, msg.case, msg.seconds).then(
        (r) => process.send({ type: 'result', id: msg.id, ...r }),
        (err) => process.send({ type: 'result', id: msg.id, error: String((err && err.stack) || err) })
      );
    } else if (msg.cmd === 'stop') {
      const timer = setTimeout(() => process.exit(0), 3000);
      app
        .close()
        .then(() => shutdown())
        .catch(() => {})
        .finally(() => {
          clearTimeout(timer);
          process.exit(0);
        });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}

module.exports = { MODES, CASES };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
