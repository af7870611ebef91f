'use strict';
/**
 * Per-command overhead of CKRedisInstrumentation (node-redis 4 and 5) against the real Redis
 * (REDIS_URL, default redis://127.0.0.1:6379). One process per mode, all started up front, then
 * interleaved rounds (per case, every mode in turn) so machine drift hits every mode alike.
 * Modes: `bare` (no agent); `upstream-only` (upstream's RedisInstrumentation on the CK tracer
 * provider with graph path metrics (LOGGING reader, every 10 s), none of ck-agent's redis hooks: the floor); `ck`
 * (CKRedisInstrumentation, defaults: metrics, no span export). Commands run inside one long-lived
 * SERVER span (modes with an agent), so each command pays its own span + CACHE element only.
 * Figures: CPU µs per command (user + system of the process), medians over the rounds.
 *
 *   node bench/redis.js [--rounds=5] [--seconds=2]       (after npm run build)
 */
const { fork } = require('node:child_process');
const path = require('node:path');

const MODES = ['bare', 'upstream-only', 'ck'];
const CASES = {
  'redis 5 GET sequential': { major: 5, concurrency: 1 },
  'redis 5 GET x16 in flight': { major: 5, concurrency: 16 },
  'redis 4 GET sequential': { major: 4, concurrency: 1 },
  'redis 5 MULTI (SET+GET) sequential': { major: 5, concurrency: 1, multi: true },
};

function arg(name, fallback) {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

// ---- child ---------------------------------------------------------------------------------------

async function child(mode) {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  let inParent = (fn) => fn();
  let shutdown = async () => {};
  if (mode !== 'bare') {
    const { loadAgent } = require('./lib/ck-build');
    const ck = loadAgent();
    const logFile = path.join(require('node:os').tmpdir(), `ck-bench-redis-${process.pid}.log`);
    const agent = ck.init({
      serviceName: `bench-redis-${mode}`,
      logLevel: 'error',
      // LOGGING to a temp file: a reader exists, so every command records its CACHE series.
      reporting: { metricReporterType: 'LOGGING', logFile },
      metrics: { exportIntervalMs: 10000 },
    });
    if (mode === 'upstream-only') {
      const { RedisInstrumentation } = require('@opentelemetry/instrumentation-redis');
      const upstream = new RedisInstrumentation({ enabled: false });
      upstream.setTracerProvider(agent.tracerProvider);
      upstream.enable();
    } else {
      new ck.CKRedisInstrumentation().enable();
    }
    const api = require('@opentelemetry/api');
    const span = agent.tracerProvider
      .getTracer('bench')
      .startSpan('GET /bench', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/bench' } });
    const ctx = api.trace.setSpan(api.context.active(), span);
    inParent = (fn) => api.context.with(ctx, fn);
    shutdown = () => agent.shutdown().finally(() => require('node:fs').rmSync(logFile, { force: true }));
  }
  const clients = {
    5: require('redis').createClient({ url }),
    4: require('ck-fixture-redis4').createClient({ url }),
  };
  for (const c of Object.values(clients)) await c.connect();
  await clients[5].set('ck:bench', 'v');
  process.on('message', async (msg) => {
    if (msg.cmd === 'stop') {
      for (const c of Object.values(clients)) await c.quit();
      await shutdown();
      process.exit(0);
    }
    const c = CASES[msg.case];
    const client = clients[c.major];
    const op = c.multi ? () => client.multi().set('ck:bench:m', 'v').get('ck:bench:m').exec() : () => client.get('ck:bench');
    const commands = c.multi ? 2 : 1;
    const result = await inParent(async () => {
      const deadline = process.hrtime.bigint() + BigInt(Math.round(msg.seconds * 1e9));
      let calls = 0;
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: c.concurrency }, async () => {
          while (process.hrtime.bigint() < deadline) {
            await op();
            calls++;
          }
        })
      );
      const used = process.cpuUsage(cpu);
      return { commands: calls * commands, cpuUs: used.user + used.system };
    });
    process.send({ type: 'result', id: msg.id, ...result });
  });
  process.send({ type: 'ready' });
}

// ---- parent --------------------------------------------------------------------------------------

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function parent() {
  const rounds = arg('rounds', 5);
  const seconds = arg('seconds', 2);
  const procs = {};
  for (const mode of MODES) {
    const p = fork(__filename, [], { env: { ...process.env, BENCH_REDIS_MODE: mode }, cwd: path.join(__dirname, '..') });
    procs[mode] = p;
    await new Promise((resolve, reject) => {
      p.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(String(m)))));
      p.once('exit', (code) => reject(new Error(`${mode} exited ${code}`)));
    });
  }
  let id = 0;
  const run = (mode, name) =>
    new Promise((resolve) => {
      const my = ++id;
      const onMessage = (m) => {
        if (m.type === 'result' && m.id === my) {
          procs[mode].off('message', onMessage);
          resolve(m);
        }
      };
      procs[mode].on('message', onMessage);
      procs[mode].send({ cmd: 'run', id: my, case: name, seconds });
    });
  const figures = {};
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(CASES)) {
      for (const mode of MODES) {
        const m = await run(mode, name);
        ((figures[name] ??= {})[mode] ??= []).push(m.cpuUs / m.commands);
      }
    }
  }
  for (const p of Object.values(procs)) p.send({ cmd: 'stop' });
  console.log(`| case | bare µs | upstream-only µs | ck µs | ck over bare | ck over upstream-only |`);
  console.log(`| --- | --- | --- | --- | --- | --- |`);
  for (const [name, byMode] of Object.entries(figures)) {
    const [bare, up, ck] = MODES.map((m) => median(byMode[m]));
    console.log(
      `| ${name} | ${bare.toFixed(1)} | ${up.toFixed(1)} | ${ck.toFixed(1)} | ${(ck - bare).toFixed(1)} | ${(ck - up).toFixed(1)} |`
    );
  }
  console.log(
    `\n${rounds} interleaved rounds of ${seconds} s per case and mode; CPU µs per Redis command, medians; Node ${process.version}; load ${require('node:os')
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

if (process.env.BENCH_REDIS_MODE) child(process.env.BENCH_REDIS_MODE);
else
  parent().catch((err) => {
    console.error(err);
    process.exit(1);
  });
