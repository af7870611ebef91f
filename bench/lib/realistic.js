'use strict';
/**
 * The `realistic` macro section: bench/realistic-app.js (Express, 1 KB JSON POST /orders and
 * GET /orders/:id, one pg query + one ioredis call per request), 16 connections, one server
 * process per scenario, interleaved rounds. Per scenario: req/s (median of clean rounds), ratios
 * to bare and to the upstream-noop floor, CPU us per request (user + system of the server process
 * over the round, far less sensitive than req/s to other jobs on the machine), peak RSS.
 *
 * The `latency` variant: the same service with every query sleeping 2 ms in PostgreSQL
 * (pg_sleep(0.002)), bare's saturation measured closed-loop, then open-loop paced load at 50 % of
 * it, interleaved rounds; p50/p99 per scenario and what ck adds over bare (%).
 */
const path = require('node:path');
const http = require('node:http');
const { startNode, peakRss, SERVER_CPU } = require('./proc');
const { closedLoop, paced, BODY } = require('./load');

const CONNECTIONS = 16;
const SCENARIOS = ['bare', 'upstream-noop', 'ck', 'ck-full', 'otel', 'hypertrace'];
// Diagnostics, run only when named in --scenarios: the floor with CKContextManager, ck with
// upstream's context manager (before/after of the context manager in one interleaved run).
const DIAGNOSTIC_SCENARIOS = ['upstream-noop-ckcm', 'ck-upcm'];
const LATENCY_SCENARIOS = ['bare', 'ck', 'ck-full'];
const SERVER = path.join(__dirname, '..', 'server.js');

/** The realistic request mix: order POSTs and GETs alternating over a few ids. */
function realisticMix() {
  const post = { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: BODY };
  return [post, { method: 'GET', path: '/orders/17' }, post, { method: 'GET', path: '/orders/42' }];
}

function call(baseUrl, method, p, body, timeoutMs = 5000) {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: p, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      }
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function sanityCheckRealistic(baseUrl, timeoutMs) {
  const post = await call(baseUrl, 'POST', '/orders', BODY, timeoutMs);
  if (post.status !== 200 || post.body !== BODY) throw new Error(`POST /orders answered ${post.status}: ${post.body.slice(0, 100)}`);
  const get = await call(baseUrl, 'GET', '/orders/17', undefined, timeoutMs);
  if (get.status !== 200 || JSON.parse(get.body).id !== 17)
    throw new Error(`GET /orders/17 answered ${get.status}: ${get.body.slice(0, 100)}`);
}

/**
 * @param {object} h harness: { quick, sinkUrl, anchors, out, log, measured, cleanRounds, median, scenarioFilter, only }
 */
async function runRealistic(h) {
  const { quick, log, median, cleanRounds } = h;
  const plan = quick
    ? { warmupSec: 1.5, measureSec: 3, rounds: 2, latencyRounds: 1, latencySec: 3, saturationSec: 3 }
    : { warmupSec: 3, measureSec: 8, rounds: 3, latencyRounds: 3, latencySec: 6, saturationSec: 5 };
  const out = (h.out.realistic = { plan: { ...plan, connections: CONNECTIONS }, scenarios: {} });
  const wanted = [
    ...SCENARIOS.filter((id) => !h.scenarioFilter || h.scenarioFilter.includes(id)),
    ...DIAGNOSTIC_SCENARIOS.filter((id) => h.scenarioFilter && h.scenarioFilter.includes(id)),
  ];

  const start = async (id, extraEnv = {}) => {
    if (id === 'hypertrace' && !h.anchors.ok) throw new Error(h.anchors.error);
    const p = await startNode(SERVER, {
      cpu: SERVER_CPU,
      label: `realistic ${id}`,
      timeoutMs: 45000,
      env: {
        BENCH_SCENARIO: id,
        BENCH_ROLE: 'single',
        BENCH_APP: 'realistic',
        BENCH_SERVICE: `bench-real-${id}`,
        BENCH_SINK: h.sinkUrl,
        ...extraEnv,
      },
    });
    const url = `http://127.0.0.1:${p.ready.port}`;
    try {
      await sanityCheckRealistic(url);
    } catch (err) {
      await p.stop();
      throw err;
    }
    return { id, url, procs: [p], v: { id: `realistic ${id}` }, rounds: [] };
  };
  const startAll = async (ids, env, into) => {
    const live = [];
    for (const id of ids) {
      try {
        live.push(await start(id, env));
      } catch (err) {
        into[id] = {
          skipped: String(err.message || err)
            .split('\n')
            .slice(0, 4)
            .join(' | '),
        };
        log(`SKIPPED realistic ${id}: ${String(err.message || err).split('\n')[0]}`);
      }
    }
    return live;
  };
  /** One load run with the server's CPU time over it: cpuUsPerReq. */
  const round = async (s, fn) =>
    h.measured(s, async () => {
      const a = await s.procs[0].ask({ cmd: 'cpu' }, 'cpu');
      const r = await fn();
      const b = await s.procs[0].ask({ cmd: 'cpu' }, 'cpu');
      r.cpuUsPerReq = r.requests ? (b.user + b.system - a.user - a.system) / r.requests : undefined;
      return r;
    });
  const fmt = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');

  // Saturation, interleaved rounds.
  const live = await startAll(wanted, {}, out.scenarios);
  try {
    for (const s of live) await closedLoop({ url: s.url, seconds: plan.warmupSec, connections: CONNECTIONS, requests: realisticMix() });
    for (let r = 0; r < plan.rounds; r++) {
      for (const s of live) {
        const res = await round(s, () =>
          closedLoop({ url: s.url, seconds: plan.measureSec, connections: CONNECTIONS, requests: realisticMix() })
        );
        s.rounds.push(res);
        log(
          `realistic round ${r + 1}/${plan.rounds} ${s.id.padEnd(13)} ${fmt(res.reqPerSec).padStart(6)} req/s  CPU ${fmt(res.cpuUsPerReq, 1)} us/req  p99 ${fmt(res.p99Ms, 2)} ms  errors ${res.errors + (res.non2xx || 0)}  foreign CPU ${fmt(res.foreignCores, 2)}`
        );
      }
    }
    for (const s of live) {
      const rs = cleanRounds(s.rounds);
      out.scenarios[s.id] = {
        reqPerSec: median(rs.map((r) => r.reqPerSec)),
        cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
        p50Ms: median(rs.map((r) => r.p50Ms)),
        p99Ms: median(rs.map((r) => r.p99Ms)),
        errors: s.rounds.reduce((n, r) => n + r.errors + (r.non2xx || 0), 0),
        usedRounds: rs.length,
        foreignCoresMedian: median(s.rounds.map((r) => r.foreignCores)),
        peakRssMB: (peakRss(s.procs[0].pid) || NaN) / 2 ** 20,
        rounds: s.rounds.map((r) => ({
          reqPerSec: Math.round(r.reqPerSec),
          cpuUsPerReq: r.cpuUsPerReq,
          p99Ms: r.p99Ms,
          foreignCores: r.foreignCores,
        })),
      };
    }
  } finally {
    await Promise.all(live.flatMap((s) => s.procs).map((p) => p.stop().catch(() => {})));
  }
  const sc = out.scenarios;
  for (const m of Object.values(sc)) {
    if (m.skipped) continue;
    if (sc.bare?.reqPerSec) m.ratioToBare = m.reqPerSec / sc.bare.reqPerSec;
    if (sc['upstream-noop']?.reqPerSec) m.ratioToFloor = m.reqPerSec / sc['upstream-noop'].reqPerSec;
    if (sc.otel?.reqPerSec) m.ratioToOtel = m.reqPerSec / sc.otel.reqPerSec;
    if (sc['upstream-noop']?.cpuUsPerReq) m.cpuUsOverFloor = m.cpuUsPerReq - sc['upstream-noop'].cpuUsPerReq;
    if (sc.bare?.cpuUsPerReq) m.cpuUsOverBare = m.cpuUsPerReq - sc.bare.cpuUsPerReq;
  }

  if (h.only.has('latency')) await runLatencyVariant(h, plan, start, startAll, round);
}

/** pg_sleep(0.002) per query, open-loop paced at 50 % of bare's saturation. */
async function runLatencyVariant(h, plan, start, startAll, round) {
  const { log, median, cleanRounds, quick } = h;
  const res = (h.out.realistic.latency = { sleepMs: 2, scenarios: {} });
  const ids = (quick ? ['bare', 'ck'] : LATENCY_SCENARIOS).filter((id) => !h.scenarioFilter || h.scenarioFilter.includes(id));
  const live = await startAll(ids, { BENCH_PG_SLEEP_MS: '2' }, res.scenarios);
  try {
    const bare = live.find((s) => s.id === 'bare');
    if (!bare) {
      res.skipped = 'needs bare';
      return;
    }
    const sat = [];
    for (let i = 0; i < 2; i++) {
      const r = await round(bare, () =>
        closedLoop({ url: bare.url, seconds: plan.saturationSec, connections: CONNECTIONS, requests: realisticMix() })
      );
      sat.push(r);
    }
    res.bareSaturation = median(cleanRounds(sat).map((r) => r.reqPerSec));
    res.rate = Math.floor(res.bareSaturation * 0.5);
    log(`realistic latency: bare saturation ${Math.round(res.bareSaturation)} req/s with pg_sleep(0.002); pacing at ${res.rate} req/s`);
    for (const s of live) await paced({ url: s.url, seconds: plan.warmupSec, rate: res.rate, requests: realisticMix() });
    for (let r = 0; r < plan.latencyRounds; r++) {
      for (const s of live) {
        const p = await round(s, () => paced({ url: s.url, seconds: plan.latencySec, rate: res.rate, requests: realisticMix() }));
        s.rounds.push(p);
        log(
          `realistic latency ${s.id.padEnd(8)} p50 ${p.p50Ms?.toFixed(2)} ms  p99 ${p.p99Ms?.toFixed(2)} ms  (${Math.round(p.reqPerSec)} req/s, CPU ${p.cpuUsPerReq?.toFixed(1)} us/req, dropped ${p.dropped})`
        );
      }
    }
    for (const s of live) {
      const rs = cleanRounds(s.rounds);
      res.scenarios[s.id] = {
        p50Ms: median(rs.map((x) => x.p50Ms)),
        p99Ms: median(rs.map((x) => x.p99Ms)),
        reqPerSec: median(rs.map((x) => x.reqPerSec)),
        cpuUsPerReq: median(rs.map((x) => x.cpuUsPerReq)),
        errors: s.rounds.reduce((n, x) => n + x.errors + (x.dropped || 0), 0),
        usedRounds: rs.length,
        foreignCoresMedian: median(s.rounds.map((x) => x.foreignCores)),
      };
    }
    const b = res.scenarios.bare;
    for (const [id, m] of Object.entries(res.scenarios)) {
      if (id === 'bare' || m.skipped || !b || b.skipped) continue;
      m.p50AddedPct = ((m.p50Ms - b.p50Ms) / b.p50Ms) * 100;
      m.p99AddedPct = ((m.p99Ms - b.p99Ms) / b.p99Ms) * 100;
    }
  } finally {
    await Promise.all(live.flatMap((s) => s.procs).map((p) => p.stop().catch(() => {})));
  }
}

const f = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');

/** Report sections (same shape as bench/lib/report.js sections). */
function realisticSections(out) {
  const r = out.realistic;
  if (!r) return [];
  const s = [];
  const rows = [];
  for (const id of [...SCENARIOS, ...DIAGNOSTIC_SCENARIOS]) {
    const m = r.scenarios[id];
    if (!m) continue;
    if (m.skipped) {
      rows.push([id, 'skipped', '', '', '', '', '', '', '', '']);
      continue;
    }
    rows.push([
      id + (id === 'hypertrace' ? ' (no ioredis)' : ''),
      f(m.reqPerSec),
      `${f(m.ratioToBare, 2)}x`,
      `${f(m.ratioToFloor, 2)}x`,
      `${f(m.ratioToOtel, 2)}x`,
      f(m.cpuUsPerReq, 1),
      m.cpuUsOverFloor === undefined || id === 'bare' || id === 'upstream-noop' ? '' : `+${f(m.cpuUsOverFloor, 1)}`,
      f(m.p99Ms, 2),
      f(m.peakRssMB, 1),
      `${m.errors} / ${f(m.foreignCoresMedian, 2)} (${m.usedRounds}/${m.rounds.length})`,
    ]);
  }
  s.push({
    title: `Realistic service (Express + pg + ioredis, ${r.plan.connections} connections, ${r.plan.rounds} interleaved rounds of ${r.plan.measureSec} s)`,
    header: [
      'scenario',
      'req/s',
      'vs bare',
      'vs floor',
      'vs otel',
      'CPU us/req',
      'CPU us over floor',
      'p99 ms',
      'peak RSS MB',
      'errors / foreign CPU (rounds used)',
    ],
    rows,
    note: 'floor = upstream-noop (upstream http + express + pg + ioredis instrumentations, no-op tracer). CPU us/req: user + system CPU of the server process over a round divided by its requests (medians). The Hypertrace agent has no ioredis instrumentation.',
  });
  const l = r.latency;
  if (l && l.scenarios && !l.skipped) {
    s.push({
      title: `Realistic latency variant (pg_sleep(0.002) per query; paced open-loop at ${l.rate} req/s = 50 % of bare's ${f(l.bareSaturation)})`,
      header: ['scenario', 'p50 ms', 'p99 ms', 'p50 added', 'p99 added', 'req/s', 'CPU us/req', 'errors+dropped'],
      rows: Object.entries(l.scenarios).map(([id, m]) =>
        m.skipped
          ? [id, 'skipped', '', '', '', '', '', '']
          : [
              id,
              f(m.p50Ms, 2),
              f(m.p99Ms, 2),
              m.p50AddedPct === undefined ? '' : `${f(m.p50AddedPct, 1)} %`,
              m.p99AddedPct === undefined ? '' : `${f(m.p99AddedPct, 1)} %`,
              f(m.reqPerSec),
              f(m.cpuUsPerReq, 1),
              String(m.errors),
            ]
      ),
    });
  }
  return s;
}

/** Issue-14 targets of the realistic section: [name, value, cmp, figure]. */
function realisticTargets(out) {
  const r = out.realistic;
  const sc = (r && r.scenarios) || {};
  const ok = (id) => sc[id] && !sc[id].skipped && sc[id].reqPerSec;
  const ratio = (a, b) => (ok(a) && ok(b) ? sc[a].reqPerSec / sc[b].reqPerSec : undefined);
  const t = [
    ['realistic: ck / upstream-noop floor >= 0.92', ratio('ck', 'upstream-noop'), (v) => v >= 0.92, (v) => `${f(v, 2)}x`],
    ['realistic: ck-full / floor >= 0.80', ratio('ck-full', 'upstream-noop'), (v) => v >= 0.8, (v) => `${f(v, 2)}x`],
    ['realistic: ck / otel >= 1.6', ratio('ck', 'otel'), (v) => v >= 1.6, (v) => `${f(v, 2)}x`],
    ['realistic: ck-full / otel >= 1.3', ratio('ck-full', 'otel'), (v) => v >= 1.3, (v) => `${f(v, 2)}x`],
  ];
  const l = r && r.latency && r.latency.scenarios && r.latency.scenarios.ck;
  t.push(['realistic latency: p50 added by ck <= 5 %', l && l.p50AddedPct, (v) => v <= 5, (v) => `${f(v, 1)} %`]);
  t.push(['realistic latency: p99 added by ck <= 10 %', l && l.p99AddedPct, (v) => v <= 10, (v) => `${f(v, 1)} %`]);
  return t;
}

module.exports = { runRealistic, realisticSections, realisticTargets, realisticMix, sanityCheckRealistic };
