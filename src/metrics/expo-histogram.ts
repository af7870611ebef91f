/**
 * Base-2 exponential histogram buckets (the OTLP `ExponentialHistogram` data model), built at
 * collection time from a series' HDR histogram instead of per sample on the hot path.
 *
 * Bucket `i` at scale `s` holds values in `(2^(i * 2^-s), 2^((i + 1) * 2^-s)]`. Downscaling by
 * `k` maps index `i` to `i >> k`, which is how two histograms of different scales are merged.
 * Buckets are immutable once built: every merge returns new arrays, so a snapshot handed to an
 * exporter never changes under it.
 */

/** OTel's default maximum number of buckets per sign. */
export const MAX_BUCKETS = 160;
/**
 * Finest scale used. The HDR histograms feeding these buckets resolve values to about 0.8 %
 * (2 significant digits); scale 6 buckets are about 1.1 % wide, so no bucket pretends to a
 * precision the source does not have.
 */
export const MAX_SCALE = 6;

export interface ExpoBuckets {
  /** Scale of `counts`; meaningless while `counts` is empty. */
  readonly scale: number;
  /** Index of `counts[0]`. */
  readonly offset: number;
  readonly counts: readonly number[];
  /** Values that were exactly 0 (sub-microsecond durations). */
  readonly zeroCount: number;
}

export const EMPTY_BUCKETS: ExpoBuckets = Object.freeze({
  scale: MAX_SCALE,
  offset: 0,
  counts: Object.freeze([]),
  zeroCount: 0,
});

/** Bucket index of `value` (> 0) at `scale`. */
export function indexAtScale(value: number, scale: number): number {
  return Math.ceil(Math.log2(value) * Math.pow(2, scale)) - 1;
}

/**
 * Accumulates (value, count) pairs at MAX_SCALE in reusable scratch arrays, then emits buckets at
 * the largest scale that fits MAX_BUCKETS. One builder is shared by a store: collection is
 * synchronous, so no two series use it at the same time.
 */
export class ExpoBuilder {
  private indexes: Int32Array = new Int32Array(256);
  private counts: Float64Array = new Float64Array(256);
  private size = 0;
  private zeroCount = 0;

  reset(): void {
    this.size = 0;
    this.zeroCount = 0;
  }

  /** Adds `count` samples of `value` (seconds, >= 0). */
  add(value: number, count: number): void {
    if (!(value > 0)) {
      this.zeroCount += count;
      return;
    }
    if (this.size === this.indexes.length) {
      const indexes = new Int32Array(this.size * 2);
      indexes.set(this.indexes);
      this.indexes = indexes;
      const counts = new Float64Array(this.size * 2);
      counts.set(this.counts);
      this.counts = counts;
    }
    this.indexes[this.size] = indexAtScale(value, MAX_SCALE);
    this.counts[this.size] = count;
    this.size++;
  }

  build(): ExpoBuckets {
    if (this.size === 0) {
      return this.zeroCount === 0 ? EMPTY_BUCKETS : { scale: MAX_SCALE, offset: 0, counts: [], zeroCount: this.zeroCount };
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.size; i++) {
      const idx = this.indexes[i];
      if (idx < lo) lo = idx;
      if (idx > hi) hi = idx;
    }
    let shift = 0;
    while ((hi >> shift) - (lo >> shift) >= MAX_BUCKETS) shift++;
    const offset = lo >> shift;
    const counts = new Array<number>((hi >> shift) - offset + 1).fill(0);
    for (let i = 0; i < this.size; i++) counts[(this.indexes[i] >> shift) - offset] += this.counts[i];
    return { scale: MAX_SCALE - shift, offset, counts, zeroCount: this.zeroCount };
  }
}

/** Merges two bucket sets into a new one at the largest common scale that fits MAX_BUCKETS. */
export function mergeBuckets(a: ExpoBuckets, b: ExpoBuckets): ExpoBuckets {
  if (a.counts.length === 0 && a.zeroCount === 0) return b;
  if (b.counts.length === 0 && b.zeroCount === 0) return a;
  const zeroCount = a.zeroCount + b.zeroCount;
  if (a.counts.length === 0) return { scale: b.scale, offset: b.offset, counts: b.counts, zeroCount };
  if (b.counts.length === 0) return { scale: a.scale, offset: a.offset, counts: a.counts, zeroCount };
  let scale = Math.min(a.scale, b.scale);
  for (;;) {
    const sa = a.scale - scale;
    const sb = b.scale - scale;
    const lo = Math.min(a.offset >> sa, b.offset >> sb);
    const hi = Math.max((a.offset + a.counts.length - 1) >> sa, (b.offset + b.counts.length - 1) >> sb);
    if (hi - lo < MAX_BUCKETS) {
      const counts = new Array<number>(hi - lo + 1).fill(0);
      for (let i = 0; i < a.counts.length; i++) counts[((a.offset + i) >> sa) - lo] += a.counts[i];
      for (let i = 0; i < b.counts.length; i++) counts[((b.offset + i) >> sb) - lo] += b.counts[i];
      return { scale, offset: lo, counts, zeroCount };
    }
    scale--;
  }
}
