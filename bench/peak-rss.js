'use strict';
/**
 * Where a scenario's peak RSS under the macro load goes: one server at a time (hello-world app,
 * 32 connections, like the macro section), memory sampled over IPC every 250 ms under load.
 *
 *   node bench/peak-rss.js [scenario...] [--node=24] [--seconds=20] [--node-args=--max-semi-space-size=16]
 *
 * Per scenario: peak RSS (VmHWM), and the largest samples of heap total / heap used / external /
 * array buffers and of V8's new (young) and old space sizes, with the req/s reached. Scenarios
 * run one after the other (fresh sink each), so compare them within one invocation.
 */
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startNode, setNodeBinary, peakRss, SERVER_CPU } = require('./lib/proc');
const { closedLoop } = require('./lib/load');

const { opt, positionals: scenarios } = require('./lib/args');
const SECONDS = Number(opt('seconds', 20));
const NODE = opt('node');
const NODE_ARGS = (opt('node-args', '') || '').split(' ').filter(Boolean);

if (NODE) {
  const bin = execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'node-bin.sh'), NODE], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  setNodeBinary(path.join(bin, 'node'));
}

async function measure(scenario, sinkUrl) {
  const server = await startNode(path.join(__dirname, 'server.js'), {
    cpu: SERVER_CPU,
    label: scenario,
    nodeArgs: NODE_ARGS,
    env: { BENCH_SCENARIO: scenario, BENCH_ROLE: 'single', BENCH_SERVICE: `bench-rss-${scenario}`, BENCH_SINK: sinkUrl },
  });
  const url = `http://127.0.0.1:${server.ready.port}`;
  const max = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0, newSpace: 0, oldSpace: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const m = await server.ask({ cmd: 'mem', spaces: true }, 'mem').catch(() => undefined);
      if (m) for (const k of Object.keys(max)) if (typeof m[k] === 'number') max[k] = Math.max(max[k], m[k]);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    const idle = peakRss(server.pid);
    const r = await closedLoop({ url, seconds: SECONDS, connections: 32 });
    sampling = false;
    await sampler;
    const mb = (x) => Math.round((x / 2 ** 20) * 10) / 10;
    return {
      scenario,
      reqPerSec: Math.round(r.reqPerSec),
      idleRssMB: mb(idle),
      peakRssMB: mb(peakRss(server.pid)),
      ...Object.fromEntries(Object.entries(max).map(([k, v]) => [`max_${k}MB`, mb(v)])),
    };
  } finally {
    sampling = false;
    await server.stop().catch(() => {});
  }
}

async function main() {
  const sink = await startNode(path.join(__dirname, 'sink.js'), { label: 'sink' });
  const sinkUrl = `http://127.0.0.1:${sink.ready.port}`;
  try {
    for (const sc of scenarios.length ? scenarios : ['bare', 'ck']) {
      const r = await measure(sc, sinkUrl);
      console.log(JSON.stringify(r));
    }
  } finally {
    await sink.stop().catch(() => {});
  }
  console.log(`node ${NODE || process.versions.node}${NODE_ARGS.length ? ` ${NODE_ARGS.join(' ')}` : ''}, ${SECONDS} s, 32 connections`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
