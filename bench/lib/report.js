'use strict';
/**
 * Targets of the performance issue, and the tables (console + bench/README.md) of one run.
 */
const fs = require('node:fs');
const { realisticSections, realisticTargets } = require('./realistic');

const f = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');
const MACRO_ORDER = ['bare', 'ck', 'ck-full', 'otel', 'hypertrace', 'upstream-noop', 'bare 2-hop', 'ck 2-hop', 'otel 2-hop'];

function microNs(out, prefix) {
  const r = out.micro && out.micro.results && out.micro.results.find((x) => x.name.startsWith(prefix));
  return r ? r.nsPerOp : undefined;
}

/** Each target: { name, figure, met: true|false|undefined (not measured) }. */
/** Above this many cores taken by other processes, a figure is reported but not judged. */
const DISTURBED = 0.25;

function evaluateTargets(out) {
  const m = out.macro || {};
  const t = [];
  const ok = (x) => x !== undefined && m[x] && !m[x].skipped && m[x].reqPerSec;
  const ratio = (a, b) => (ok(a) && ok(b) ? m[a].reqPerSec / m[b].reqPerSec : undefined);
  const push = (name, value, cmp, figure, disturbance) => {
    const disturbed = disturbance !== undefined && disturbance > DISTURBED;
    t.push({
      name,
      figure:
        value === undefined
          ? 'not measured'
          : figure(value) + (disturbed ? ` [disturbed: ${f(disturbance, 2)} cores used by other processes]` : ''),
      met: value === undefined || disturbed ? undefined : cmp(value),
      disturbed: disturbed || undefined,
    });
  };
  const foreign = (...ids) => Math.max(0, ...ids.map((id) => (ok(id) ? (m[id].foreignCoresUsedRounds ?? 0) : 0)));

  push(
    'ck >= 0.85x bare req/s',
    ratio('ck', 'bare'),
    (v) => v >= 0.85,
    (v) => `${f(v, 2)}x`,
    foreign('ck', 'bare')
  );
  push(
    'ck-full >= 0.70x bare req/s',
    ratio('ck-full', 'bare'),
    (v) => v >= 0.7,
    (v) => `${f(v, 2)}x`,
    foreign('ck-full', 'bare')
  );
  push(
    'ck >= 2x otel req/s',
    ratio('ck', 'otel'),
    (v) => v >= 2,
    (v) => `${f(v, 2)}x`,
    foreign('ck', 'otel')
  );
  push(
    'ck-full >= 2x otel req/s',
    ratio('ck-full', 'otel'),
    (v) => v >= 2,
    (v) => `${f(v, 2)}x`,
    foreign('ck-full', 'otel')
  );
  push(
    'ck >= 3x hypertrace req/s',
    ratio('ck', 'hypertrace'),
    (v) => v >= 3,
    (v) => `${f(v, 2)}x`,
    foreign('ck', 'hypertrace')
  );
  push(
    'ck-full >= 3x hypertrace req/s',
    ratio('ck-full', 'hypertrace'),
    (v) => v >= 3,
    (v) => `${f(v, 2)}x`,
    foreign('ck-full', 'hypertrace')
  );

  const lat = out.latencyAtHalfLoad && out.latencyAtHalfLoad.scenarios;
  for (const kind of ['autocannon', 'paced']) {
    const added = lat && lat.ck && lat.bare ? lat.ck[kind].p99Ms - lat.bare[kind].p99Ms : undefined;
    push(
      `p99 added by ck <= 1 ms at 50 % load (${kind === 'autocannon' ? 'autocannon overallRate' : 'paced open-loop'})`,
      added,
      (v) => v <= 1,
      (v) =>
        `${f(v, 2)} ms (bare ${f(lat.bare[kind].p99Ms, 2)} -> ck ${f(lat.ck[kind].p99Ms, 2)} ms at ${out.latencyAtHalfLoad.rate} req/s)`,
      lat && lat.ck && lat.bare ? Math.max(lat.ck[kind].foreignCores ?? 0, lat.bare[kind].foreignCores ?? 0) : undefined
    );
  }
  for (const id of ['ck', 'ck-full']) {
    push(
      `RSS over bare <= 40 MB under load (${id})`,
      ok(id) && ok('bare') ? m[id].rssOverBareMB : undefined,
      (v) => v <= 40,
      (v) => `${f(v, 1)} MB (peak ${f(m[id].peakRssMB, 1)} vs ${f(m.bare.peakRssMB, 1)} MB)`
    );
  }
  const mem = out.memory && !out.memory.skipped ? out.memory : undefined;
  // Flat = heap after a full GC grows <= max(5 MB, 10 %) from warm-up to end, and the medians of
  // external memory (export buffers, typed arrays) and RSS in the second half of the curve stay
  // within max(5 MB, 10 %) of the first half's.
  const within = (a, b) => b <= a + Math.max(5, a * 0.1);
  const growth = mem && mem.afterWarmup ? mem.end.heapUsedMB - mem.afterWarmup.heapUsedMB : undefined;
  const p1 = mem && mem.peaksFirstHalf;
  const p2 = mem && mem.peaksSecondHalf;
  push(
    'memory flat under 50k paths x 5k parents (after warm-up: GC heap; external and RSS medians per half)',
    growth,
    () =>
      within(mem.afterWarmup.heapUsedMB, mem.end.heapUsedMB) &&
      (!p1 || p1.medianRssMB === undefined || (within(p1.medianExternalMB, p2.medianExternalMB) && within(p1.medianRssMB, p2.medianRssMB))),
    (v) =>
      `GC heap ${f(mem.afterWarmup.heapUsedMB, 1)} -> ${f(mem.end.heapUsedMB, 1)} MB (${v >= 0 ? '+' : ''}${f(v, 1)})` +
      (p1 && p1.medianRssMB !== undefined
        ? `; median 1st/2nd half: external ${f(p1.medianExternalMB, 1)}/${f(p2.medianExternalMB, 1)} MB, RSS ${f(p1.medianRssMB, 1)}/${f(p2.medianRssMB, 1)} MB`
        : '')
  );
  for (const [name, value, cmp, figure] of realisticTargets(out)) push(name, value, cmp, figure);
  const ck = microNs(out, 'tracer: CKTracer start+end');
  const sdk = microNs(out, 'tracer: SDK tracer start+end');
  push(
    'CKTracer start+end >= 5x faster than SDK tracer',
    ck && sdk ? sdk / ck : undefined,
    (v) => v >= 5,
    (v) => `${f(v, 1)}x (${f(ck, 0)} vs ${f(sdk, 0)} ns)`
  );
  const rec = microNs(out, 'metrics: GraphPathMetrics.record');
  push(
    'HDR record + path bookkeeping <= 300 ns per span',
    rec,
    (v) => v <= 300,
    (v) => `${f(v, 0)} ns`
  );
  return t;
}

const status = (met, t) =>
  met === true ? 'met' : met === false ? 'NOT MET' : t && t.disturbed ? 'not judged (disturbed)' : 'not measured';

function macroRows(out) {
  const rows = [];
  for (const id of MACRO_ORDER) {
    const m = out.macro && out.macro[id];
    if (!m) continue;
    if (m.skipped) {
      rows.push([id, 'skipped', '', '', '', '', '', '', '']);
      continue;
    }
    rows.push([
      id,
      f(m.reqPerSec),
      `${f(m.ratioToBare, 2)}x`,
      `${f(m.pairedRatioToBare, 2)}x`,
      f(m.p50Ms, 2),
      f(m.p99Ms, 2),
      f(m.peakRssMB, 1) + (m.hops === 2 ? ' (2 procs)' : ''),
      String(m.errors),
      `${f(m.foreignCoresMedian, 2)} (${m.usedRounds}/${m.rounds.length})`,
    ]);
  }
  return rows;
}

function mdTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function textTable(header, rows) {
  const all = [header, ...rows];
  const w = header.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => String(c ?? '').padEnd(w[i])).join('  ')).join('\n');
}

function sections(out) {
  const s = [];
  const macroHeader = [
    'scenario',
    'req/s (median)',
    'vs bare',
    'paired vs bare',
    'p50 ms',
    'p99 ms',
    'peak RSS MB',
    'errors',
    'foreign CPU (rounds used)',
  ];
  s.push({
    title: 'Macro (32 connections, saturation; 2-hop ratios are to bare 2-hop)',
    header: macroHeader,
    rows: macroRows(out),
    note: '"vs bare": median req/s over median bare req/s; "paired": median of per-round ratios. "foreign CPU": median cores used by other processes on the machine during a round; rounds above 0.25 are left out while at least half remain.',
  });
  const skipped = Object.entries(out.macro || {}).filter(([, m]) => m.skipped);
  if (skipped.length) s.push({ title: 'Skipped scenarios', lines: skipped.map(([id, m]) => `${id}: ${m.skipped}`) });

  s.push(...realisticSections(out));
  const lat = out.latencyAtHalfLoad;
  if (lat && lat.scenarios) {
    const rows = [];
    for (const [id, m] of Object.entries(lat.scenarios)) {
      rows.push([
        id,
        f(m.autocannon.p50Ms, 2),
        f(m.autocannon.p99Ms, 2),
        f(m.paced.p50Ms, 2),
        f(m.paced.p99Ms, 2),
        f(m.paced.reqPerSec),
        `${f(m.autocannon.foreignCores, 2)} / ${f(m.paced.foreignCores, 2)}`,
      ]);
    }
    s.push({
      title: `Latency at 50 % of bare's saturation throughput (${lat.rate} req/s)`,
      header: ['scenario', 'autocannon p50', 'autocannon p99', 'paced p50', 'paced p99', 'paced req/s', 'foreign CPU (autocannon / paced)'],
      rows,
    });
  }
  const mem = out.memory;
  if (mem && !mem.skipped) {
    s.push({
      title: `Memory: route-less http + ck-agent, ${mem.distinctPaths} paths x ${mem.distinctRoutes} ck-route parents, ${mem.seconds} s (${mem.requests} requests, ${f(mem.reqPerSec)} req/s)`,
      header: ['point', 't s', 'RSS MB', 'heap used MB', 'external MB'],
      rows: [
        [
          'after warm-up (GC)',
          f(mem.afterWarmup?.t, 0),
          f(mem.afterWarmup?.rssMB, 1),
          f(mem.afterWarmup?.heapUsedMB, 1),
          f(mem.afterWarmup?.externalMB, 1),
        ],
        [
          'end under load',
          f(mem.endUnderLoad?.t, 0),
          f(mem.endUnderLoad?.rssMB, 1),
          f(mem.endUnderLoad?.heapUsedMB, 1),
          f(mem.endUnderLoad?.externalMB, 1),
        ],
        ['end (GC)', f(mem.end.t, 0), f(mem.end.rssMB, 1), f(mem.end.heapUsedMB, 1), f(mem.end.externalMB, 1)],
        ['median, 1st half after warm-up', '', f(mem.peaksFirstHalf?.medianRssMB, 1), '', f(mem.peaksFirstHalf?.medianExternalMB, 1)],
        ['median, 2nd half', '', f(mem.peaksSecondHalf?.medianRssMB, 1), '', f(mem.peaksSecondHalf?.medianExternalMB, 1)],
        [
          'peaks, 1st half after warm-up',
          '',
          f(mem.peaksFirstHalf?.rssMB, 1),
          f(mem.peaksFirstHalf?.heapUsedMB, 1),
          f(mem.peaksFirstHalf?.externalMB, 1),
        ],
        [
          'peaks, 2nd half',
          '',
          f(mem.peaksSecondHalf?.rssMB, 1),
          f(mem.peaksSecondHalf?.heapUsedMB, 1),
          f(mem.peaksSecondHalf?.externalMB, 1),
        ],
        ['peak RSS (VmHWM)', '', f(mem.peakRssMB, 1), '', ''],
      ],
    });
  } else if (mem) s.push({ title: 'Memory', lines: [`skipped: ${mem.skipped}`] });

  if (out.micro && out.micro.results) {
    s.push({
      title: 'Micro (per operation, median)',
      header: ['benchmark', 'ns/op', 'MB/s'],
      rows: out.micro.results.map((r) => [r.name, f(r.nsPerOp, r.nsPerOp < 100 ? 1 : 0), r.mbPerSec ? f(r.mbPerSec, 0) : '']),
    });
    if (out.micro.skipped.length) s.push({ title: 'Micro skipped', lines: out.micro.skipped.map((x) => `${x.name}: ${x.reason}`) });
  } else if (out.micro) s.push({ title: 'Micro', lines: [`skipped: ${out.micro.skipped}`] });

  const g = out.grpc;
  if (g && g.cases) {
    const rows = [];
    for (const [name, c] of Object.entries(g.cases)) {
      for (const mode of g.modes || Object.keys(c.modes)) {
        const m = c.modes[mode];
        if (!m) continue;
        rows.push([
          name,
          mode,
          f(m.callsPerSec),
          `${f(m.callsPerSecRatioToBare, 2)}x`,
          f(m.cpuUsPerCall, 0),
          `${f(m.cpuRatioToBare, 2)}x`,
          mode === 'bare' ? '' : `+${f(m.cpuUsOverBare, 0)}`,
          mode === 'bare' || mode === 'upstream-only' ? '' : `${m.cpuUsOverUpstream >= 0 ? '+' : ''}${f(m.cpuUsOverUpstream, 0)}`,
          `${f(m.foreignCoresMedian, 2)} (${m.usedRounds}/${m.rounds.length})`,
        ]);
      }
    }
    s.push({
      title: `gRPC per call (grpc-js client + server in one process, ${g.plan.rounds} interleaved rounds of ${g.plan.measureSec} s per case and mode)`,
      header: [
        'case',
        'mode',
        'calls/s',
        'vs bare',
        'CPU µs/call',
        'CPU vs bare',
        'CPU µs over bare',
        'CPU µs over upstream-only',
        'foreign CPU (rounds used)',
      ],
      rows,
      note: 'Modes: bare (no agent); upstream-only (upstream GrpcInstrumentation on the CK tracer, graph path metrics, no ck-agent gRPC patches: the floor); ck (CKGrpcInstrumentation, metrics only, the default); ck-capture (plus OTLP span export, so metadata and message capture run). CPU is user + system time of the process per call, both sides of the call; medians over the rounds.',
    });
  }
  const gSkipped = g
    ? [...Object.entries(g.skipped || {}).map(([mode, why]) => `${mode}: ${why}`), ...(g.error ? [`stopped: ${g.error}`] : [])]
    : [];
  if (gSkipped.length) s.push({ title: 'gRPC skipped', lines: gSkipped });

  s.push({
    title: 'Targets',
    header: ['target', 'figure', 'status'],
    rows: (out.targets || []).map((t) => [t.name, t.figure, status(t.met, t)]),
  });
  return s;
}

function renderConsole(out) {
  const parts = [
    `ck-agent bench (${out.mode}) ${out.date}  ${out.machine.cores} cores ${out.machine.cpuModel}, Node ${out.machine.node}; pinning: ${out.machine.pinning}${out.plan.nice !== undefined ? `; nice ${out.plan.nice}` : ''}; load average ${out.machine.loadAverage.join(' ')}`,
  ];
  for (const sec of sections(out)) {
    parts.push(`\n== ${sec.title}`);
    parts.push(sec.lines ? sec.lines.join('\n') : textTable(sec.header, sec.rows));
    if (sec.note) parts.push(sec.note);
  }
  return parts.join('\n');
}

function renderMarkdown(out, resultFile) {
  const mc = out.machine;
  const parts = [
    `Latest run: **${out.date.slice(0, 16).replace('T', ' ')} UTC**, mode \`${out.mode}\` (${out.durationSec} s), results file \`${resultFile}\`.`,
    '',
    `Machine: ${mc.cores} cores, ${mc.cpuModel}, ${mc.memoryGiB} GiB, ${mc.os}; Node ${mc.node}; pinning: ${mc.pinning}` +
      `${out.plan.nice !== undefined ? `; bench processes at nice ${out.plan.nice}` : ''}; load average at start ${mc.loadAverage.join(' ')}, at end ${(mc.loadAverageEnd || []).join(' ')}.` +
      ` Anchors: ${
        Object.entries(out.anchors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }.`,
  ];
  for (const sec of sections(out)) {
    parts.push('', `### ${sec.title}`, '');
    parts.push(sec.lines ? sec.lines.map((l) => `- ${l}`).join('\n') : mdTable(sec.header, sec.rows));
    if (sec.note) parts.push('', sec.note);
  }
  return parts.join('\n');
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Replaces the results block of bench/README.md (between the markers). */
function updateReadme(file, markdown) {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# ck-agent benchmarks\n\n${START}\n${END}\n`;
  if (!text.includes(START) || !text.includes(END)) text += `\n${START}\n${END}\n`;
  const before = text.slice(0, text.indexOf(START) + START.length);
  const after = text.slice(text.indexOf(END));
  fs.writeFileSync(file, `${before}\n${markdown}\n${after}`);
}

module.exports = { evaluateTargets, renderConsole, renderMarkdown, updateReadme };
