'use strict';
/**
 * CPU profile of one scenario's server under the macro load:
 *   node bench/profile.js [scenario=ck] [seconds=10] [--top=25] [--compare=bare]
 * A scenario suffixed `-2hop` (e.g. `ck-2hop`) profiles the gateway of the two-hop variant.
 * Starts bench/server.js with --cpu-prof (server pinned like the macro run), warms up, loads it
 * with autocannon for `seconds`, stops it gracefully (the profile is written at exit) and prints
 * the top self-time entries by function (file:function:line) and by file/package.
 * --compare=<scenario> profiles that scenario first and prints per-request self-time deltas
 * (by package and function): where the added CPU per request goes.
 * The .cpuprofile is kept in bench/results/profiles/ (git-ignored) for Chrome DevTools.
 */
const fs = require('node:fs');
const path = require('node:path');
const { startNode, pinSelfToLoadCore, SERVER_CPU, LOAD_CPU } = require('./lib/proc');
const { closedLoop, sanityCheck } = require('./lib/load');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const scenarioArg = args[0] || 'ck';
const seconds = Number(args[1] || 10);
const topArg = process.argv.find((a) => a.startsWith('--top='));
const TOP = topArg ? Number(topArg.slice(6)) : 25;
const ROOT = path.join(__dirname, '..');

/** Short, stable location of a frame: package/file relative to the repo or node_modules. */
function where(url) {
  if (!url) return '(native)';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm !== -1) return u.slice(nm + '/node_modules/'.length);
  if (u.startsWith(ROOT + '/')) return u.slice(ROOT.length + 1);
  return u;
}

function packageOf(loc) {
  if (loc.startsWith('node:')) return 'node (core)';
  if (loc.startsWith('(')) return loc.startsWith('(v8)') ? loc : '(native)';
  if (loc.startsWith('@')) return loc.split('/').slice(0, 2).join('/');
  if (loc.startsWith('build/')) return 'ck-agent (build/)';
  if (loc.startsWith('bench/') || loc.startsWith('/')) return loc;
  return loc.split('/')[0];
}

/** Self-time table from a V8 .cpuprofile: { byFunction, byFile, byPackage, totalMs }. */
function analyze(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas || [];
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = Math.max(0, deltas[i] ?? 0);
    self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + dt);
    total += dt;
  }
  const byFunction = new Map();
  const byFile = new Map();
  const byPackage = new Map();
  const bump = (map, key, v) => map.set(key, (map.get(key) || 0) + v);
  let idle = 0;
  for (const [id, us] of self) {
    const cf = nodes.get(id).callFrame;
    if (!cf.url && cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    // V8 pseudo-frames: (garbage collector), (program); other url-less frames are natives.
    const loc = cf.url ? where(cf.url) : /^\(.*\)$/.test(cf.functionName) ? `(v8) ${cf.functionName}` : '(native)';
    bump(
      byFunction,
      cf.url
        ? `${loc}:${cf.functionName || '(anonymous)'}:${cf.lineNumber + 1}`
        : `${loc}${loc === '(native)' ? ' ' + cf.functionName : ''}`,
      us
    );
    bump(byFile, loc, us);
    bump(byPackage, packageOf(loc), us);
  }
  total -= idle;
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, selfPct: Math.round((us / total) * 1000) / 10, selfMs: Math.round(us / 1000) }));
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byFunction: rank(byFunction),
    byFile: rank(byFile),
    byPackage: rank(byPackage),
  };
}

/** Profiles one scenario (name, optional -2hop suffix); returns { analysis, requests, file }. */
async function profileScenario(scenarioArg, dir) {
  const twoHop = scenarioArg.endsWith('-2hop');
  const scenario = twoHop ? scenarioArg.slice(0, -5) : scenarioArg;
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${scenarioArg}.cpuprofile`;
  const sink = await startNode(path.join(__dirname, 'sink.js'), { cpu: LOAD_CPU, label: 'sink' });
  const sinkUrl = `http://127.0.0.1:${sink.ready.port}`;
  let service;
  let server;
  let requests;
  try {
    service = twoHop
      ? await startNode(path.join(__dirname, 'server.js'), {
          cpu: SERVER_CPU,
          label: `${scenario} service`,
          timeoutMs: 30000,
          env: { BENCH_SCENARIO: scenario, BENCH_ROLE: 'service', BENCH_SERVICE: `bench-${scenario}-svc`, BENCH_SINK: sinkUrl },
        })
      : undefined;
    server = await startNode(path.join(__dirname, 'server.js'), {
      cpu: SERVER_CPU,
      label: scenario,
      timeoutMs: 30000,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`],
      env: {
        BENCH_SCENARIO: scenario,
        BENCH_ROLE: twoHop ? 'gateway' : 'single',
        BENCH_SERVICE: `bench-${scenario}${twoHop ? '-gw' : ''}`,
        BENCH_SINK: sinkUrl,
        BENCH_UPSTREAM: service ? `http://127.0.0.1:${service.ready.port}` : '',
      },
    });
    const url = `http://127.0.0.1:${server.ready.port}`;
    await sanityCheck(url);
    const w = await closedLoop({ url, seconds: Math.min(5, seconds) });
    const r = await closedLoop({ url, seconds });
    requests = w.requests + r.requests + 2;
    console.log(
      `${scenarioArg}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (profile includes start-up and warm-up)`
    );
  } finally {
    if (server) await server.stop(15000);
    if (service) await service.stop();
    await sink.stop();
  }
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`no profile written at ${file}`);
  const analysis = analyze(JSON.parse(fs.readFileSync(file, 'utf8')));
  const summary = path.join(dir, name.replace(/\.cpuprofile$/, '.top.json'));
  fs.writeFileSync(
    summary,
    JSON.stringify(
      {
        scenario: scenarioArg,
        seconds,
        requests,
        ...analysis,
        byFunction: analysis.byFunction.slice(0, 60),
        byFile: analysis.byFile.slice(0, 40),
      },
      null,
      2
    )
  );
  return { analysis, requests, file, summary };
}

/** Per-request self time (us) by key, for comparing two profiles of different lengths. */
function perRequest(rows, requests) {
  return new Map(rows.map((r) => [r.name, (r.selfMs * 1000) / requests]));
}

function printDelta(title, base, target, n) {
  const keys = new Set([...base.keys(), ...target.keys()]);
  const rows = [...keys].map((k) => [k, base.get(k) || 0, target.get(k) || 0]).sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
  console.log(`\n${title}`);
  console.log(`${'baseline'.padStart(9)} ${'target'.padStart(8)} ${'delta'.padStart(8)}  (us per request)`);
  for (const [k, b, t] of rows.slice(0, n))
    console.log(`${b.toFixed(1).padStart(9)} ${t.toFixed(1).padStart(8)} ${(t - b).toFixed(1).padStart(8)}  ${k}`);
}

async function main() {
  pinSelfToLoadCore();
  const dir = path.join(__dirname, 'results', 'profiles');
  fs.mkdirSync(dir, { recursive: true });
  const compareArg = process.argv.find((x) => x.startsWith('--compare='));
  const baseline = compareArg ? await profileScenario(compareArg.slice(10), dir) : undefined;
  const { analysis: a, requests, file, summary } = await profileScenario(scenarioArg, dir);
  const print = (title, rows, n) => {
    console.log(`\n${title}`);
    for (const r of rows.slice(0, n)) console.log(`${String(r.selfPct).padStart(6)} %  ${String(r.selfMs).padStart(7)} ms  ${r.name}`);
  };
  console.log(`busy CPU per request: ${((a.totalMs * 1000) / requests).toFixed(1)} us (${requests} requests incl. warm-up and start-up)`);
  print(`top ${TOP} functions by self time (of ${a.totalMs} ms busy; ${a.idleMs} ms idle excluded)`, a.byFunction, TOP);
  print('top files', a.byFile, 15);
  print('by package', a.byPackage, 12);
  if (baseline) {
    const b = baseline.analysis;
    console.log(
      `\nbaseline ${compareArg.slice(10)}: ${((b.totalMs * 1000) / baseline.requests).toFixed(1)} us busy per request; ${scenarioArg}: ${((a.totalMs * 1000) / requests).toFixed(1)} us`
    );
    printDelta('by package, per request', perRequest(b.byPackage, baseline.requests), perRequest(a.byPackage, requests), 15);
    printDelta(
      `top ${TOP} functions by added time per request`,
      perRequest(b.byFunction, baseline.requests),
      perRequest(a.byFunction, requests),
      TOP
    );
  }
  console.log(`\nprofile: ${path.relative(process.cwd(), file)}\nsummary: ${path.relative(process.cwd(), summary)}`);
}

module.exports = { analyze };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
