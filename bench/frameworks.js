'use strict';
/**
 * Per-request CPU cost of the Koa and Fastify instrumentations (docs/frameworks.md), against the
 * compiled build (npm run build first):
 *
 *   node bench/frameworks.js [--quick]
 *
 * One server process per framework and mode, all started up front; this process is the client
 * (keep-alive, 8 requests in flight, `GET /orders/:id` whose handler returns a small JSON body).
 * Interleaved rounds: per round, every framework and mode in turn serves the same number of
 * requests, and the server reports the CPU time (user + system, process.cpuUsage) it spent on
 * them, so machine drift hits every mode alike. Modes:
 * - `bare`: no instrumentation;
 * - `upstream-only`: the upstream HTTP instrumentation and the framework's upstream
 *   (`@opentelemetry/instrumentation-koa` / `@fastify/otel`, same span settings as ck) on the CK
 *   tracer provider, graph path metrics recording every span; none of ck-agent's hooks: the floor;
 * - `ck`: CKHttpInstrumentation + CKKoaInstrumentation / CKFastifyInstrumentation, ck-agent
 *   defaults (metrics only; metric reporter NONE so no export work lands in a round).
 * Prints one JSON object: per framework and mode the median CPU µs per request, the ratio to bare,
 * µs over bare and over upstream-only. Not part of npm test; figures depend on the machine.
 */
const { fork } = require('node:child_process');
const http = require('node:http');
const os = require('node:os');
const { tryRequire } = require('./lib/ck-build');

const QUICK = process.argv.includes('--quick');
const PLAN = QUICK ? { warmup: 1000, requests: 2000, rounds: 3 } : { warmup: 3000, requests: 5000, rounds: 7 };
const FRAMEWORKS = ['koa', 'fastify'];
const MODES = ['bare', 'upstream-only', 'ck'];
const IN_FLIGHT = 8;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// ---- child: one server ------------------------------------------------------------------------

function instrument(framework, mode) {
  if (mode === 'bare') return;
  const ck = tryRequire('src/index.js');
  if (!ck) throw new Error('no ck-agent build: run npm run build first');
  const agent = ck.init({ serviceName: `bench-${framework}-${mode}`, reporting: { metricReporterType: 'NONE' } });
  if (mode === 'ck') {
    new ck.CKHttpInstrumentation().enable();
    new (framework === 'koa' ? ck.CKKoaInstrumentation : ck.CKFastifyInstrumentation)().enable();
    return;
  }
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const upstream = [new HttpInstrumentation({ enabled: false })];
  if (framework === 'koa') {
    const { KoaInstrumentation, KoaLayerType } = require('@opentelemetry/instrumentation-koa');
    upstream.push(new KoaInstrumentation({ enabled: false, ignoreLayersType: [KoaLayerType.MIDDLEWARE] }));
  } else {
    const { FastifyOtelInstrumentation } = require('@fastify/otel');
    upstream.push(new FastifyOtelInstrumentation({ enabled: false, registerOnInitialization: true, instrumentHooks: false }));
  }
  for (const i of upstream) {
    i.setTracerProvider(agent.tracerProvider);
    i.enable();
  }
}

async function serve(framework) {
  if (framework === 'koa') {
    const Koa = require('koa');
    const Router = require('@koa/router').default;
    const app = new Koa();
    const router = new Router();
    router.get('/orders/:id', (ctx) => {
      ctx.body = { id: ctx.params.id, status: 'shipped' };
    });
    app.use(router.routes());
    const server = http.createServer(app.callback());
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server.address().port;
  }
  const app = require('fastify')();
  app.get('/orders/:id', async (req) => ({ id: req.params.id, status: 'shipped' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

async function child() {
  const framework = process.env.BENCH_FW;
  instrument(framework, process.env.BENCH_FW_MODE);
  const port = await serve(framework);
  let mark = process.cpuUsage();
  process.on('message', (msg) => {
    if (msg === 'mark') mark = process.cpuUsage();
    if (msg === 'cpu') {
      const used = process.cpuUsage(mark);
      process.send({ cpuUs: used.user + used.system });
    }
  });
  process.send({ port });
}

// ---- parent: client and report ------------------------------------------------------------------

function ask(proc, msg) {
  return new Promise((resolve) => {
    proc.once('message', resolve);
    proc.send(msg);
  });
}

async function load(port, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/orders/${i}`, agent }, (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          })
          .on('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  agent.destroy();
}

async function main() {
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const servers = [];
  for (const framework of FRAMEWORKS) {
    for (const mode of MODES) {
      const proc = fork(__filename, ['--child'], {
        env: { ...process.env, BENCH_FW: framework, BENCH_FW_MODE: mode, CK_LOG_LEVEL: 'warn' },
      });
      const { port } = await new Promise((resolve, reject) => {
        proc.once('message', resolve);
        proc.once('exit', (code) => reject(new Error(`${framework} ${mode} exited with ${code}`)));
      });
      servers.push({ framework, mode, proc, port, rounds: [] });
    }
  }
  try {
    for (const s of servers) await load(s.port, PLAN.warmup);
    for (let r = 0; r < PLAN.rounds; r++) {
      for (const s of servers) {
        s.proc.send('mark');
        await load(s.port, PLAN.requests);
        const { cpuUs } = await ask(s.proc, 'cpu');
        s.rounds.push(cpuUs / PLAN.requests);
        process.stderr.write(
          `round ${r + 1}/${PLAN.rounds} ${s.framework} ${s.mode}: ${(cpuUs / PLAN.requests).toFixed(1)} µs CPU/request\n`
        );
      }
    }
  } finally {
    for (const s of servers) s.proc.kill();
  }
  const result = {
    node: process.version,
    cores: os.cpus().length,
    loadAverage: { start: loadAtStart, end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    plan: { ...PLAN, inFlight: IN_FLIGHT },
    frameworks: {},
  };
  for (const framework of FRAMEWORKS) {
    const modes = {};
    for (const s of servers.filter((x) => x.framework === framework))
      modes[s.mode] = { cpuUsPerRequest: median(s.rounds), rounds: s.rounds.map((x) => Math.round(x * 10) / 10) };
    const bare = modes.bare.cpuUsPerRequest;
    const floor = modes['upstream-only'].cpuUsPerRequest;
    // Paired: the median of per-round differences (each round's modes ran back to back).
    const paired = (m, base) => Math.round(median(m.rounds.map((x, i) => x - base.rounds[i])) * 10) / 10;
    for (const m of Object.values(modes)) {
      m.pairedUsOverBare = paired(m, modes.bare);
      m.pairedUsOverUpstream = paired(m, modes['upstream-only']);
    }
    for (const m of Object.values(modes)) {
      m.ratioToBare = Math.round((m.cpuUsPerRequest / bare) * 100) / 100;
      m.usOverBare = Math.round((m.cpuUsPerRequest - bare) * 10) / 10;
      m.usOverUpstream = Math.round((m.cpuUsPerRequest - floor) * 10) / 10;
      m.cpuUsPerRequest = Math.round(m.cpuUsPerRequest * 10) / 10;
    }
    result.frameworks[framework] = modes;
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

if (process.argv.includes('--child')) {
  child().catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  });
}
