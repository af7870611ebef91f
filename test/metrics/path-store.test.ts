import test from 'ava';
import { OVERFLOW } from '../../src/metrics/path-series';
import { PathStore } from '../../src/metrics/path-store';
import { MAX_BUCKETS } from '../../src/metrics/expo-histogram';
import type { GraphElement } from '../../src/graph/types';
import { rng, logNormal, exactPercentile, httpEntry, dbExit } from './helpers';

const KEY = '4f1c2a9be07d3318';
const ROOT = '0000000000000000';

function store(options: Partial<ConstructorParameters<typeof PathStore>[0]> = {}, clock = { t: 1_000_000 }) {
  return new PathStore({ maxPaths: 2000, minCalls: 1, quantiles: [0.5, 0.9, 0.95, 0.99, 1], now: () => clock.t, ...options });
}

test('HDR quantiles are within 1 % of the exact percentiles of 100 000 log-normal samples', (t) => {
  const s = store();
  const random = rng(42);
  const samples: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const v = logNormal(random, 0.005, 0.9); // median 5 ms, long tail into seconds
    samples.push(v);
    s.record(KEY, ROOT, httpEntry('GET /orders/:id'), v, false);
  }
  samples.sort((a, b) => a - b);
  const snapshot = s.collectInterval();
  t.is(snapshot.rows.length, 1);
  const row = snapshot.rows[0];
  t.is(row.calls, 100_000);
  let worst = 0;
  for (const q of [0.5, 0.9, 0.95, 0.99, 1]) {
    const exact = exactPercentile(samples, q);
    const got = row.quantiles[snapshot.quantiles.indexOf(q)];
    const error = Math.abs(got - exact) / exact;
    worst = Math.max(worst, error);
    t.true(error <= 0.01, `p${q * 100}: HDR ${got} vs exact ${exact} (${(error * 100).toFixed(3)} %)`);
    t.log(`p${q * 100}: exact ${exact.toFixed(6)} s, HDR ${got.toFixed(6)} s, error ${(error * 100).toFixed(3)} %`);
  }
  t.is(row.max, samples[samples.length - 1]);
  t.log(`worst relative error ${(worst * 100).toFixed(3)} %`);
});

test('exponential buckets hold every call, fit 160 buckets and cover the recorded range', (t) => {
  const s = store();
  const random = rng(7);
  for (let i = 0; i < 10_000; i++) s.record(KEY, ROOT, httpEntry('GET /a'), logNormal(random, 0.002, 1.5), false);
  s.record(KEY, ROOT, httpEntry('GET /a'), 0, false); // zero duration
  const row = s.collectInterval().rows[0];
  const b = row.buckets;
  t.is(b.counts.reduce((a, c) => a + c, 0) + b.zeroCount, 10_001);
  t.is(b.zeroCount, 1);
  t.true(b.counts.length <= MAX_BUCKETS);
  const base = Math.pow(2, Math.pow(2, -b.scale));
  const lowest = Math.pow(base, b.offset);
  const highest = Math.pow(base, b.offset + b.counts.length);
  t.true(lowest <= row.quantiles[0] && highest >= row.max * 0.99, `range (${lowest}, ${highest}] vs max ${row.max}`);
  // cumulative after a second interval with a different range: counts add up, still <= 160 buckets
  for (let i = 0; i < 1000; i++) s.record(KEY, ROOT, httpEntry('GET /a'), 20 + i / 100, false);
  const row2 = s.collectInterval().rows[0];
  t.is(row2.totalCalls, 11_001);
  t.is(row2.totalBuckets.counts.reduce((a, c) => a + c, 0) + row2.totalBuckets.zeroCount, 11_001);
  t.true(row2.totalBuckets.counts.length <= MAX_BUCKETS);
  t.true(row2.totalBuckets.scale <= b.scale);
});

test('series identity is (pathKey, parentKey, type, name, attributes), whatever object carries it', (t) => {
  const s = store();
  s.record(KEY, ROOT, httpEntry('GET /a', { 'peer.service': 'x' }), 0.001, false);
  s.record(KEY, ROOT, httpEntry('GET /a', { 'peer.service': 'x' }), 0.001, true); // same identity, new objects
  s.record(KEY, ROOT, httpEntry('GET /a', { 'peer.service': 'y' }), 0.001, false);
  s.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false);
  s.record(KEY, ROOT, { type: 'HTTP_CLIENT', name: 'GET /a', role: 'exit' }, 0.001, false);
  s.record(KEY, 'ffffffffffffffff', httpEntry('GET /a'), 0.001, false);
  s.record('0123456789abcdef', ROOT, httpEntry('GET /a'), 0.001, false);
  t.is(s.activeSeries, 6);
  const rows = s.collectInterval().rows;
  const x = rows.find((r) => r.series.attributes['peer.service'] === 'x')!;
  t.is(x.calls, 2);
  t.is(x.errors, 1);
  t.deepEqual(x.series.attributes, {
    'peer.service': 'x',
    'ck.path.key': KEY,
    'ck.path.parent_key': ROOT,
    'ck.element.type': 'HTTP_SERVICE',
    'ck.element.name': 'GET /a',
    'ck.element.role': 'entry',
  });
});

test('record() never throws and counts junk durations as zero', (t) => {
  const s = store();
  t.notThrows(() => {
    s.record(KEY, ROOT, undefined as unknown as GraphElement, 1, false);
    s.record(KEY, ROOT, null as unknown as GraphElement, 1, false);
    s.record(KEY, ROOT, httpEntry('GET /a'), NaN, false);
    s.record(KEY, ROOT, httpEntry('GET /a'), -5, true);
    s.record(KEY, ROOT, httpEntry('GET /a'), Infinity, false);
    s.record(KEY, ROOT, httpEntry('GET /a'), 1e12, false);
  });
  const row = s.collectInterval().rows[0];
  t.is(row.calls, 4);
  t.is(row.errors, 1);
  t.is(row.min, 0);
});

test('minCalls: a series below the threshold is not exported and its counts carry over', (t) => {
  const clock = { t: 1_000_000 };
  const s = store({ minCalls: 5 }, clock);
  for (let i = 0; i < 3; i++) s.record(KEY, ROOT, httpEntry('GET /slow'), 0.01, i === 0);
  for (let i = 0; i < 5; i++) s.record(KEY, ROOT, dbExit('SELECT orders'), 0.002, false);
  clock.t += 5000;
  const first = s.collectInterval();
  t.deepEqual(
    first.rows.map((r) => r.series.elementName),
    ['SELECT orders']
  );
  for (let i = 0; i < 2; i++) s.record(KEY, ROOT, httpEntry('GET /slow'), 0.02, false);
  clock.t += 5000;
  const second = s.collectInterval();
  t.is(second.rows.length, 1);
  const row = second.rows[0];
  t.is(row.series.elementName, 'GET /slow');
  t.is(row.calls, 5, 'the 3 carried calls plus the 2 new ones');
  t.is(row.errors, 1);
  t.is(row.totalCalls, 5);
  t.is(row.intervalStart, 1_000_000, 'the carried interval keeps its start');
  t.is(row.intervalEnd, 1_010_000);
  t.is(row.max, 0.02);
});

test('cardinality cap: new series fold into one overflow series, counted', (t) => {
  const s = store({ maxPaths: 3 });
  for (let i = 0; i < 10; i++) s.record(KEY, ROOT, httpEntry(`GET /p${i}`), 0.001, i === 9);
  t.is(s.activeSeries, 3);
  t.is(s.overflowRecords, 7);
  s.record(KEY, ROOT, httpEntry('GET /p0'), 0.001, false); // existing series still recorded
  const rows = s.collectInterval().rows;
  t.is(rows.length, 4);
  const overflow = rows.find((r) => r.series.overflow)!;
  t.is(overflow.calls, 7);
  t.is(overflow.errors, 1);
  t.deepEqual(overflow.series.attributes, {
    'ck.path.key': OVERFLOW,
    'ck.path.parent_key': OVERFLOW,
    'ck.element.type': OVERFLOW,
    'ck.element.name': OVERFLOW,
    'ck.element.role': OVERFLOW,
    'otel.metric.overflow': true,
  });
  t.is(rows.find((r) => r.series.elementName === 'GET /p0')!.calls, 2);
});

test('idle series are evicted after 10 empty intervals, freeing the cap', (t) => {
  const s = store({ maxPaths: 2 });
  s.record(KEY, ROOT, httpEntry('GET /old'), 0.001, false);
  s.record(KEY, ROOT, httpEntry('GET /busy'), 0.001, false);
  s.collectInterval();
  for (let i = 0; i < 9; i++) {
    s.record(KEY, ROOT, httpEntry('GET /busy'), 0.001, false);
    s.collectInterval();
  }
  t.is(s.activeSeries, 2, 'nine idle intervals: still held');
  s.record(KEY, ROOT, httpEntry('GET /busy'), 0.001, false);
  s.collectInterval();
  t.is(s.activeSeries, 1, 'tenth idle interval: evicted');
  s.record(KEY, ROOT, httpEntry('GET /new'), 0.001, false);
  t.is(s.overflowRecords, 0, 'the freed slot takes a new series');
  s.record(KEY, ROOT, httpEntry('GET /old'), 0.001, false);
  t.is(s.overflowRecords, 1, 'the cap holds again');
  const rows = s.collectInterval().rows;
  t.deepEqual(rows.map((r) => r.series.elementName).sort(), ['GET /new', OVERFLOW]);
  t.is(s.activeSeries, 2);
});

test('interval state resets after collection: an idle interval exports nothing', (t) => {
  const s = store();
  s.record(KEY, ROOT, httpEntry('GET /a'), 0.003, false);
  t.is(s.collectInterval().rows.length, 1);
  t.is(s.collectInterval().rows.length, 0);
  s.record(KEY, ROOT, httpEntry('GET /a'), 0.004, false);
  const row = s.collectInterval().rows[0];
  t.is(row.calls, 1);
  t.is(row.totalCalls, 2);
  t.is(row.series.histogram.totalCount, 0, 'HDR histogram reset after the snapshot');
  t.true(Math.abs(row.quantiles[0] - 0.004) / 0.004 < 0.01);
});

test('cumulative view: idle and below-threshold series keep their last closed totals until evicted', (t) => {
  const s = store({ minCalls: 2 });
  s.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false);
  s.record(KEY, ROOT, httpEntry('GET /a'), 0.001, true);
  s.record(KEY, ROOT, httpEntry('GET /never'), 0.001, false); // below threshold, never closed
  const first = s.collectInterval();
  t.is(first.rows.length, 1);
  t.is(first.cumulative.length, 1);
  s.record(KEY, ROOT, httpEntry('GET /a'), 0.001, false); // below threshold this time
  const second = s.collectInterval();
  t.is(second.rows.length, 0);
  t.deepEqual(
    second.cumulative.map((c) => [c.series.elementName, c.totalCalls, c.totalErrors]),
    [['GET /a', 2, 1]]
  );
  for (let i = 0; i < 8; i++) t.is(s.collectInterval().cumulative.length, 1);
  t.is(s.collectInterval().cumulative.length, 1, 'the carried call reset the idle count once');
  t.is(s.collectInterval().cumulative.length, 0, 'evicted after 10 idle intervals');
  t.is(s.activeSeries, 0);
});
