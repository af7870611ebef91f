'use strict';
/**
 * The grpc section of the harness: per-call overhead of the gRPC instrumentation. One process per
 * mode (bench/grpc.js: grpc-js client and server in that process, pinned to the server core), all
 * started up front, then interleaved rounds (per case, every mode in turn) so drift hits every
 * mode alike. Per case and mode: calls/s (wall) and CPU µs per call (client + server side), medians
 * over the rounds, ratios to bare, µs added over bare and over upstream-only (the floor).
 */
const path = require('node:path');
const { startNode, SERVER_CPU } = require('./proc');
const { MODES, CASES } = require('../grpc');

const SCRIPT = path.join(__dirname, '..', 'grpc.js');
const PLANS = {
  quick: { warmupSec: 0.5, measureSec: 1, rounds: 2 },
  full: { warmupSec: 2, measureSec: 3, rounds: 3 },
};

/**
 * @param {{ quick: boolean, sinkUrl: string, out: object, log: Function, measured: Function,
 *           cleanRounds: Function, median: Function }} ctx
 *   measured(s, fn): run.js's disturbance-aware measurement (s: { v: { id }, procs });
 *   cleanRounds(rounds): rounds without too much foreign CPU.
 */
async function runGrpc({ quick, sinkUrl, out, log, measured, cleanRounds, median }) {
  const plan = quick ? PLANS.quick : PLANS.full;
  const res = { plan, modes: MODES, cases: {}, skipped: {} };
  out.grpc = res;
  const live = [];
  try {
    for (const mode of MODES) {
      try {
        const p = await startNode(SCRIPT, {
          cpu: SERVER_CPU,
          label: `grpc ${mode}`,
          timeoutMs: 30000,
          env: { BENCH_GRPC_MODE: mode, BENCH_SINK: sinkUrl, BENCH_SERVICE: `bench-grpc-${mode}` },
        });
        live.push({ v: { id: `grpc ${mode}` }, mode, procs: [p], rounds: {} });
        log(`started grpc ${mode} (pid ${p.pid})`);
      } catch (err) {
        const msg = String(err.message || err);
        res.skipped[mode] = msg.split('\n').slice(0, 6).join(' | ');
        log(`SKIPPED grpc ${mode}: ${msg.split('\n')[0]}`);
      }
    }
    if (!live.length) return;
    let seq = 0;
    const run = (s, name, seconds) => s.procs[0].ask({ cmd: 'run', id: ++seq, case: name, seconds }, 'result', seconds * 1000 + 30000);
    for (const s of live) {
      for (const name of Object.keys(CASES)) await run(s, name, plan.warmupSec);
    }
    log(`grpc warm-up done (${plan.warmupSec} s per case and mode)`);
    for (let r = 0; r < plan.rounds; r++) {
      for (const name of Object.keys(CASES)) {
        for (const s of live) {
          const m = await measured(s, async () => {
            const x = await run(s, name, plan.measureSec);
            if (x.error) throw new Error(`grpc ${s.mode} ${name}: ${x.error}`);
            return x;
          });
          (s.rounds[name] ??= []).push(m);
          log(
            `grpc round ${r + 1}/${plan.rounds} ${name.padEnd(28)} ${s.mode.padEnd(13)} ${fmt(m.callsPerSec).padStart(6)} calls/s  ${fmt(m.cpuUs, 0).padStart(5)} µs CPU/call  foreign CPU ${fmt(m.foreignCores, 2)}`
          );
        }
      }
    }
  } catch (err) {
    // A failed call ends the section, not the run: what was measured so far is kept.
    res.error = String(err.message || err)
      .split('\n')
      .slice(0, 6)
      .join(' | ');
    log(`grpc section stopped: ${res.error}`);
  } finally {
    await Promise.all(live.map((s) => s.procs[0].stop().catch(() => {})));
  }
  summarize(live, res, cleanRounds, median);
}

const fmt = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');

function summarize(live, res, cleanRounds, median) {
  for (const name of Object.keys(CASES)) {
    const c = (res.cases[name] = { concurrency: CASES[name].concurrency, modes: {} });
    for (const s of live) {
      const all = s.rounds[name] || [];
      const rs = cleanRounds(all);
      c.modes[s.mode] = {
        callsPerSec: median(rs.map((x) => x.callsPerSec)),
        cpuUsPerCall: median(rs.map((x) => x.cpuUs)),
        wallUsPerCall: median(rs.map((x) => x.wallUs)),
        usedRounds: rs.length,
        foreignCoresMedian: median(all.map((x) => x.foreignCores)),
        rounds: all.map((x) => ({
          calls: x.calls,
          callsPerSec: Math.round(x.callsPerSec),
          cpuUsPerCall: Math.round(x.cpuUs * 10) / 10,
          foreignCores: x.foreignCores === undefined ? undefined : Math.round(x.foreignCores * 100) / 100,
        })),
      };
    }
    const bare = c.modes.bare;
    const floor = c.modes['upstream-only'];
    for (const m of Object.values(c.modes)) {
      if (bare) {
        m.callsPerSecRatioToBare = m.callsPerSec / bare.callsPerSec;
        m.cpuRatioToBare = m.cpuUsPerCall / bare.cpuUsPerCall;
        m.cpuUsOverBare = m.cpuUsPerCall - bare.cpuUsPerCall;
      }
      if (floor) m.cpuUsOverUpstream = m.cpuUsPerCall - floor.cpuUsPerCall;
    }
  }
}

module.exports = { runGrpc, PLANS };
