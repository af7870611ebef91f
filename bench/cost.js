'use strict';
/**
 * Instructions per request of one scenario's server, counted by valgrind (callgrind): the figure
 * is the same however loaded the machine is, so before/after comparisons of ck's per-request
 * cost hold on a shared 2-core box where req/s and even CPU time swing.
 *
 *   node bench/cost.js [scenario...] [--app=realistic|hello] [--requests=1500] [--warmup=1500]
 *
 * Per scenario: bench/server.js under `valgrind --tool=callgrind` (JIT-friendly flags), a fixed
 * warm-up (so the hot code is optimised), counters zeroed (callgrind_control -z), a fixed number
 * of requests (the bench's request mix, 8 connections), counters dumped; prints instructions per
 * request (all threads of the process: main thread, GC helpers, libuv pool). Repeat runs agree to
 * about 1-2 % (GC and JIT timing); read differences above that. On a loaded machine they did
 * not (+-10 %: background JIT threads finish at different points of the measured window), so
 * `--node-flags=--single-threaded` runs the server without V8 background threads (compiles and
 * GC on the main thread, deterministic tier-up points): use the same flags for before and after.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const autocannon = require('autocannon');
const { requestMix } = require('./lib/load');
const { startNode } = require('./lib/proc');
const { realisticMix, sanityCheckRealistic } = require('./lib/realistic');

const { opt, positionals: scenarios } = require('./lib/args');
const APP = opt('app', 'realistic');
const REQUESTS = Number(opt('requests', 1500));
const WARMUP = Number(opt('warmup', 1500));
// Extra node flags for the server (space-separated), e.g. --node-flags=--single-threaded.
const NODE_FLAGS = opt('node-flags', '').split(' ').filter(Boolean);

function fire(url, amount) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 8, amount, requests: APP === 'realistic' ? realisticMix() : requestMix(), timeout: 120 }, (err, r) =>
      err ? reject(err) : resolve(r)
    );
  });
}

let sinkUrl;

function startUnderCallgrind(scenario, outFile) {
  const args = [
    '--tool=callgrind',
    '--smc-check=all',
    '--vex-iropt-register-updates=allregs-at-mem-access',
    `--callgrind-out-file=${outFile}`,
    '--dump-instr=no',
    process.execPath,
    ...NODE_FLAGS,
    path.join(__dirname, 'server.js'),
  ];
  const child = spawn('valgrind', args, {
    env: {
      ...process.env,
      BENCH_SCENARIO: scenario,
      BENCH_ROLE: 'single',
      BENCH_APP: APP === 'realistic' ? 'realistic' : '',
      BENCH_SERVICE: `bench-cost-${scenario}`,
      BENCH_SINK: sinkUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-4000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${scenario}: not ready under valgrind after 600 s\n${output}`));
    }, 600000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${scenario}: exited (${code}) before ready\n${output}`));
    });
    child.on('message', (m) => {
      if (m && m.type === 'ready') {
        clearTimeout(timer);
        resolve({ child, port: m.port, output: () => output });
      }
    });
  });
}

/** Total Ir of a callgrind dump (its `totals:` or `summary:` line). */
function totalIr(file) {
  const text = fs.readFileSync(file, 'utf8');
  const m = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${file}`);
  return Number(m[1]);
}

async function measure(scenario) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-cost-'));
  const outFile = path.join(dir, 'callgrind.out');
  const t0 = Date.now();
  const s = await startUnderCallgrind(scenario, outFile);
  const url = `http://127.0.0.1:${s.port}`;
  try {
    if (APP === 'realistic') await sanityCheckRealistic(url, 120000);
    await fire(url, WARMUP);
    execFileSync('callgrind_control', ['-z', String(s.child.pid)], { stdio: 'ignore' });
    const r = await fire(url, REQUESTS);
    const done = r.requests.total ?? REQUESTS;
    execFileSync('callgrind_control', ['-d', String(s.child.pid)], { stdio: 'ignore' });
    const dumps = fs.readdirSync(dir).filter((f) => f.startsWith('callgrind.out') && f !== 'callgrind.out');
    const latest = dumps.sort((a, b) => fs.statSync(path.join(dir, b)).mtimeMs - fs.statSync(path.join(dir, a)).mtimeMs)[0];
    const ir = totalIr(path.join(dir, latest));
    return { scenario, requests: done, non2xx: r.non2xx, instructionsPerRequest: ir / done, seconds: Math.round((Date.now() - t0) / 1000) };
  } finally {
    s.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const list = scenarios.length ? scenarios : ['upstream-noop', 'ck'];
  const results = [];
  const sink = await startNode(path.join(__dirname, 'sink.js'), { label: 'sink' });
  sinkUrl = `http://127.0.0.1:${sink.ready.port}`;
  try {
    for (const sc of list) {
      const r = await measure(sc);
      results.push(r);
      console.log(
        `${sc.padEnd(14)} ${(r.instructionsPerRequest / 1000).toFixed(1).padStart(8)} k instructions/request  (${r.requests} requests, non-2xx ${r.non2xx}, ${r.seconds} s)`
      );
    }
  } finally {
    await sink.stop();
  }
  const floor = results.find((r) => r.scenario === 'upstream-noop');
  if (floor)
    for (const r of results)
      if (r !== floor)
        console.log(`${r.scenario}: +${((r.instructionsPerRequest - floor.instructionsPerRequest) / 1000).toFixed(1)} k over the floor`);
  if (process.env.BENCH_COST_JSON) fs.writeFileSync(process.env.BENCH_COST_JSON, JSON.stringify({ app: APP, results }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
