/**
 * Fleet percentiles over OTLP: the gateway and the three backend instances (fast, slow, bimodal)
 * export `ck.path.duration` as base-2 exponential histograms to the test's OTLP receiver. The
 * test merges the three instances' histograms at their common scale, as a backend would, and checks
 * the merged p50/p99 against the exact values (the agent's span durations, and the backends' own
 * timing), within the relative error of that scale (docs/fleet-percentiles.md).
 */
import test from 'ava';
import { drive, exactQuantile, startFleet } from '../../fixtures/fleet/fleet';
import { startOtlpReceiver, type ReceivedDataPoint } from '../../fixtures/otlp/receiver';

const WARMUP = 9;
const REQUESTS = 1500;
/** The HDR histograms the buckets are built from resolve values to about 0.4 %. */
const HDR_RESOLUTION = 0.004;

interface Expo {
  scale: number;
  zeroCount: number;
  offset: number;
  counts: number[];
}

function expoOf(point: ReceivedDataPoint): Expo {
  const raw = point.raw as {
    scale: number;
    zeroCount: string | number;
    positive: { offset: number; bucketCounts: Array<string | number> };
  };
  return {
    scale: Number(raw.scale),
    zeroCount: Number(raw.zeroCount),
    offset: Number(raw.positive.offset),
    counts: raw.positive.bucketCounts.map(Number),
  };
}

/** Merges at the smallest scale among the inputs (a bucket at scale s maps to index >> (s - common)). */
function mergeAtCommonScale(histograms: Expo[]): Expo {
  const scale = Math.min(...histograms.map((h) => h.scale));
  const merged = new Map<number, number>();
  let zeroCount = 0;
  for (const h of histograms) {
    zeroCount += h.zeroCount;
    const shift = h.scale - scale;
    h.counts.forEach((c, i) => {
      if (c > 0) merged.set((h.offset + i) >> shift, (merged.get((h.offset + i) >> shift) ?? 0) + c);
    });
  }
  const indexes = [...merged.keys()];
  const offset = Math.min(...indexes);
  const counts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const [i, c] of merged) counts[i - offset] = c;
  return { scale, zeroCount, offset, counts };
}

/**
 * Nearest-rank q-quantile of an exponential histogram: the bucket holding rank ceil(q * n), reported
 * as its geometric midpoint, which is within sqrt(base) - 1 of any value in the bucket.
 */
function expoQuantile(h: Expo, q: number): number {
  const total = h.zeroCount + h.counts.reduce((n, c) => n + c, 0);
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = h.zeroCount;
  if (seen >= rank) return 0;
  const base = Math.pow(2, Math.pow(2, -h.scale));
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i];
    if (seen >= rank) return Math.pow(base, h.offset + i + 0.5);
  }
  return Math.pow(base, h.offset + h.counts.length - 0.5);
}

test("the three instances' exponential histograms merge at a common scale; merged p99 within that scale's error", async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  const f = await startFleet({ reporter: 'OTLP', otlpUrl: receiver.grpcUrl, exportIntervalMs: 500 });
  t.teardown(() => f.close());
  await drive((i) => `${f.gateway.url}/api/items/${i}`, WARMUP, 3);
  const statuses = await drive((i) => `${f.gateway.url}/api/items/${1000 + i}`, REQUESTS, 16);
  t.deepEqual(
    statuses.filter((s) => s !== 200),
    []
  );
  const latencies = (await f.latencies()).flat();
  const total = WARMUP + REQUESTS;
  t.is(latencies.length, total);
  await f.stop(); // shutdown flushes each agent's last export, and its spans
  const spans = f.spanDurations();
  t.is(spans.length, total);

  // The latest cumulative point of the backend entry series, per instance.
  const points = receiver
    .metrics()
    .filter(
      (m) =>
        m.name === 'ck.path.duration' &&
        m.attributes['ck.element.name'] === 'GET /items/:id' &&
        m.resource['service.name'] === 'fleet-backend'
    );
  t.true(points.every((p) => p.type === 'exponentialHistogram' && p.temporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE'));
  const latest = new Map<string, ReceivedDataPoint>();
  for (const p of points) {
    const instance = String(p.resource['service.instance.id']);
    const seen = latest.get(instance);
    if (!seen || BigInt(p.timeUnixNano) > BigInt(seen.timeUnixNano)) latest.set(instance, p);
  }
  t.is(latest.size, 3, 'three instances');
  const keys = new Set([...latest.values()].map((p) => `${p.attributes['ck.path.key']} ${p.attributes['ck.path.parent_key']}`));
  t.is(keys.size, 1, 'one path key (and parent) on every instance');
  const histograms = [...latest.values()].map(expoOf);
  t.deepEqual(
    [...latest.values()].map((p) => p.count),
    [total / 3, total / 3, total / 3]
  );

  const merged = mergeAtCommonScale(histograms);
  t.is(merged.zeroCount + merged.counts.reduce((n, c) => n + c, 0), total, 'no observation lost in the merge');
  const base = Math.pow(2, Math.pow(2, -merged.scale));
  const scaleError = Math.sqrt(base) - 1;
  t.log(
    `instance scales ${histograms.map((h) => h.scale).join(', ')}; common scale ${merged.scale}: bucket ratio ${base.toFixed(4)}, midpoint error <= ${(scaleError * 100).toFixed(2)} %`
  );
  const bound = (1 + scaleError) * (1 + HDR_RESOLUTION) - 1;
  for (const q of [0.5, 0.99]) {
    const exactSpan = exactQuantile(spans, q);
    const exactApp = exactQuantile(latencies, q);
    const estimate = expoQuantile(merged, q);
    const pct = (exact: number) => `${(((estimate - exact) / exact) * 100).toFixed(2)} %`;
    const line =
      `p${q * 100}: merged exponential ${(estimate * 1000).toFixed(2)} ms; exact ${(exactSpan * 1000).toFixed(2)} ms from the spans ` +
      `(${pct(exactSpan)}), ${(exactApp * 1000).toFixed(2)} ms from the backends' own timing (${pct(exactApp)}); bound ${(bound * 100).toFixed(2)} %`;
    t.log(line);
    // Against what the agent measured: the scale's error and the HDR resolution, nothing else.
    t.true(Math.abs(estimate - exactSpan) / exactSpan <= bound, line);
    // Against the backends' own timing: the same bound plus how far the two timings are apart.
    const apart = Math.abs(exactSpan - exactApp) / exactApp;
    t.true(Math.abs(estimate - exactApp) / exactApp <= bound + apart + 1e-9, line);
  }
});

test('mergeAtCommonScale downscales the finer histogram; expoQuantile takes the nearest-rank bucket', (t) => {
  // Scale 1 (base sqrt 2) buckets 4, 5 -> scale 0 bucket 2; plus a scale-0 histogram.
  const merged = mergeAtCommonScale([
    { scale: 1, zeroCount: 1, offset: 4, counts: [2, 3] },
    { scale: 0, zeroCount: 0, offset: 1, counts: [4, 0, 1] },
  ]);
  t.deepEqual(merged, { scale: 0, zeroCount: 1, offset: 1, counts: [4, 5, 1] });
  t.is(expoQuantile(merged, 0.05), 0, 'rank 1 is the zero bucket');
  t.is(expoQuantile(merged, 0.5), Math.pow(2, 2.5), 'rank 6 is in bucket 2: (4, 8], midpoint 2^2.5');
  t.is(expoQuantile(merged, 1), Math.pow(2, 3.5));
});
