'use strict';
/**
 * Idle memory of the benchmarked Express app, bare vs with ck-agent (defaults: init() +
 * CKHttpInstrumentation + CKExpressInstrumentation, metrics over OTLP/gRPC, no span export).
 *
 *   node bench/idle-memory.js [--runs=3] [--requests=200] [--scenarios=bare,ck] [--modules] [--json]
 *
 * Each run is a fresh `node --expose-gc` child: set up the scenario, require express, listen on an
 * ephemeral port, GC and sample ("started"), serve `--requests` requests of both routes, let the
 * process settle, GC and sample again ("after requests"). The figures are medians over the runs
 * (scenarios interleaved). RSS, heap used, external memory, and the number of loaded CommonJS
 * modules (`require.cache`); `--modules` also lists the telemetry packages each scenario loaded
 * (@opentelemetry/*, @grpc/*, protobufjs, hdr-histogram-js, pako, ...), to check lazy loading.
 *
 * CK_BENCH_BUILD=<dir> measures another compiled copy (see bench/lib/ck-build.js), e.g. the
 * previous commit's build for a before/after comparison.
 */
const { spawn } = require('node:child_process');
const http = require('node:http');

const CHILD_FLAG = '--child=';

if (process.argv.some((a) => a.startsWith(CHILD_FLAG))) {
  child(process.argv.find((a) => a.startsWith(CHILD_FLAG)).slice(CHILD_FLAG.length)).catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
}

function arg(name, fallback) {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

// ---------------------------------------------------------------------------------------------
// Parent: runs the children, prints medians.

async function main() {
  const runs = Math.max(1, Number(arg('runs', 3)) || 3);
  const requests = Math.max(0, Number(arg('requests', 200)) || 0);
  const scenarios = arg('scenarios', 'bare,ck').split(',').filter(Boolean);
  const results = Object.fromEntries(scenarios.map((s) => [s, []]));
  for (let r = 0; r < runs; r++) {
    for (const scenario of scenarios) results[scenario].push(await runChild(scenario, requests));
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  const build = process.env.CK_BENCH_BUILD || 'build/';
  console.log(`idle memory, median of ${runs} run(s), ${requests} requests, ck build: ${build}, node ${process.version}`);
  console.log('');
  console.log('| scenario | point | RSS MB | heap used MB | external MB | modules |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const scenario of scenarios) {
    for (const point of ['started', 'afterRequests']) {
      const samples = results[scenario].map((r) => r[point]);
      const m = (key) => median(samples.map((s) => s[key]));
      console.log(
        `| ${scenario} | ${point === 'started' ? 'started (GC)' : 'after requests (GC)'} | ${mb(m('rss'))} | ${mb(m('heapUsed'))} | ${mb(m('external'))} | ${m('modules')} |`
      );
    }
  }
  if (scenarios.includes('bare')) {
    for (const scenario of scenarios.filter((s) => s !== 'bare')) {
      const delta = (key) =>
        median(results[scenario].map((r) => r.afterRequests[key])) - median(results.bare.map((r) => r.afterRequests[key]));
      console.log('');
      console.log(
        `${scenario} over bare (after requests, GC): RSS +${mb(delta('rss'))} MB, heap used +${mb(delta('heapUsed'))} MB, modules +${delta('modules')}`
      );
    }
  }
  if (process.argv.includes('--modules')) {
    for (const scenario of scenarios) {
      console.log('');
      console.log(`${scenario}: telemetry packages loaded (modules per package)`);
      for (const [pkg, count] of Object.entries(results[scenario][0].packages)) console.log(`  ${count}\t${pkg}`);
    }
  }
}

function runChild(scenario, requests) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    // The scenario passes its options explicitly; a CK_* variable of the caller's shell must not change them.
    for (const key of Object.keys(env)) if (key.startsWith('CK_') && key !== 'CK_BENCH_BUILD') delete env[key];
    const proc = spawn(process.execPath, ['--expose-gc', __filename, `${CHILD_FLAG}${scenario}`, `--requests=${requests}`], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`${scenario} child exited with ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function mb(bytes) {
  return (bytes / 1048576).toFixed(1);
}

// ---------------------------------------------------------------------------------------------
// Child: one scenario, one sample set on stdout.

async function child(scenario) {
  const requests = Math.max(0, Number(arg('requests', 200)) || 0);
  let shutdown = async () => {};
  if (scenario === 'ck') {
    const { loadAgent } = require('./lib/ck-build');
    const ck = loadAgent();
    // The defaults, spelled out: graph path metrics over OTLP/gRPC (nothing listens on the
    // default endpoint; the 60 s export interval does not fire during the run), no span export.
    const agent = ck.init({
      serviceName: 'idle-memory',
      logLevel: 'error',
      reporting: { metricReporterType: 'OTLP', traceReporterType: 'NONE' },
    });
    new ck.CKHttpInstrumentation().enable();
    new ck.CKExpressInstrumentation().enable();
    shutdown = () => agent.shutdown();
  } else if (scenario !== 'bare') {
    throw new Error(`unknown scenario ${scenario} (bare, ck)`);
  }
  const { createApp, echoBody } = require('./app');
  const server = http.createServer(createApp());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;

  const started = await sample();
  const body = echoBody();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  for (let i = 0; i < requests; i++) {
    if (i % 2 === 0) await request(port, agent, 'GET', `/users/${i % 50}`);
    else await request(port, agent, 'POST', '/echo', body);
  }
  agent.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const afterRequests = await sample();

  const packages = {};
  for (const file of Object.keys(require.cache)) {
    const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
    if (!m) continue;
    const pkg = m[m.length - 1].slice('node_modules/'.length, -1);
    if (
      /^(@opentelemetry|@grpc|protobufjs|@protobufjs|hdr-histogram-js|pako|@assemblyscript|yaml|import-in-the-middle|require-in-the-middle)/.test(
        pkg
      )
    ) {
      packages[pkg] = (packages[pkg] || 0) + 1;
    }
  }
  const sortedPackages = Object.fromEntries(Object.entries(packages).sort((a, b) => a[0].localeCompare(b[0])));
  process.stdout.write(JSON.stringify({ scenario, started, afterRequests, packages: sortedPackages }) + '\n');
  await new Promise((resolve) => server.close(resolve));
  await shutdown();
  process.exit(0);
}

async function sample() {
  // Two rounds: the first GC can leave finalizers' garbage for the second.
  for (let i = 0; i < 2; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    modules: Object.keys(require.cache).length,
  };
}

function request(port, agent, method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}
