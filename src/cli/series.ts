/**
 * The series the CLI read, merged: one entry per (service, path key, parent key, element).
 *
 * - LOGGING rows are per export interval: calls and errors add up; percentiles of different
 *   intervals cannot be merged, so the worst (largest) p50 / p99 of any interval is kept, and the
 *   exact max of all intervals.
 * - Prometheus scrapes carry cumulative counters and explicit-bucket histograms: counts add up
 *   over endpoints (instances), buckets add up per bound, and p50 / p99 come from the merged
 *   buckets the way PromQL's histogram_quantile computes them.
 * - A Prometheus server (fleet) already merged everything; its numbers are taken as they are.
 *
 * Memory is bounded by the number of distinct series (capped at `maxSeries`), never by the size of
 * the input. Details: docs/paths-cli.md.
 */

export const ROOT_KEY = '0000000000000000';
export const OVERFLOW = 'overflow';
export const DEFAULT_MAX_SERIES = 200_000;

export interface ElementRef {
  type: string;
  name: string;
  /** `entry` or `exit`. */
  role: string;
}

export interface SeriesId {
  service: string;
  pathKey: string;
  parentKey: string;
  element: ElementRef;
}

/** How p50 / p99 of a series were obtained. */
export type PercentileSource = 'worst-interval' | 'histogram' | 'prometheus';

export interface Series extends SeriesId {
  calls: number;
  errors: number;
  /** Seconds; null when the input had none (e.g. no calls in the Prometheus window). */
  p50: number | null;
  p99: number | null;
  /** Largest single duration seen (LOGGING only), seconds. */
  max: number | null;
  percentiles: PercentileSource;
  /** LOGGING export intervals merged into this series. */
  intervals: number;
  /** Instances (processes) that reported the series, when known (Prometheus sources). */
  instances: number | null;
}

interface Entry {
  id: SeriesId;
  calls: number;
  errors: number;
  worstP50: number | null;
  worstP99: number | null;
  max: number | null;
  intervals: number;
  /** Upper bound -> cumulative count, summed over endpoints. */
  buckets: Map<number, number> | null;
  fleetP50: number | null;
  fleetP99: number | null;
  instances: Set<string> | null;
  instanceCount: number | null;
}

export interface IntervalRow extends SeriesId {
  calls: number;
  errors: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export class SeriesTable {
  private readonly entries = new Map<string, Entry>();
  /** Series that did not fit under the cap. */
  dropped = 0;

  constructor(private readonly maxSeries = DEFAULT_MAX_SERIES) {}

  get size(): number {
    return this.entries.size;
  }

  /** One LOGGING export interval of one series. False when the series cap was reached. */
  addInterval(row: IntervalRow): boolean {
    const entry = this.entry(row);
    if (!entry) return false;
    entry.calls += row.calls;
    entry.errors += row.errors;
    entry.intervals++;
    entry.worstP50 = larger(entry.worstP50, row.p50);
    entry.worstP99 = larger(entry.worstP99, row.p99);
    entry.max = larger(entry.max, row.max);
    return true;
  }

  /**
   * Cumulative counts of one series from one Prometheus endpoint (`instance`): counters and
   * explicit buckets (upper bound -> cumulative count, +Inf included).
   */
  addCumulative(id: SeriesId, instance: string, calls: number, errors: number, buckets: Map<number, number> | null): boolean {
    const entry = this.entry(id);
    if (!entry) return false;
    entry.calls += calls;
    entry.errors += errors;
    (entry.instances ??= new Set()).add(instance);
    if (buckets) {
      entry.buckets ??= new Map();
      for (const [le, count] of buckets) entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + count);
    }
    return true;
  }

  /** A series a Prometheus server already merged over `instances` instances. */
  addFleet(id: SeriesId, calls: number, errors: number, p50: number | null, p99: number | null, instances: number | null): boolean {
    const entry = this.entry(id);
    if (!entry) return false;
    entry.calls += calls;
    entry.errors += errors;
    entry.fleetP50 = larger(entry.fleetP50, p50);
    entry.fleetP99 = larger(entry.fleetP99, p99);
    entry.instanceCount = instances;
    return true;
  }

  /** The merged series, in no particular order. */
  series(): Series[] {
    const result: Series[] = [];
    for (const e of this.entries.values()) {
      let p50: number | null;
      let p99: number | null;
      let percentiles: PercentileSource;
      if (e.fleetP50 !== null || e.fleetP99 !== null) {
        p50 = e.fleetP50;
        p99 = e.fleetP99;
        percentiles = 'prometheus';
      } else if (e.buckets && e.buckets.size > 0) {
        p50 = bucketQuantile(0.5, e.buckets);
        p99 = bucketQuantile(0.99, e.buckets);
        percentiles = 'histogram';
      } else {
        p50 = e.worstP50;
        p99 = e.worstP99;
        percentiles = e.intervals > 0 ? 'worst-interval' : 'prometheus';
      }
      result.push({
        ...e.id,
        calls: e.calls,
        errors: e.errors,
        p50,
        p99,
        max: e.max,
        percentiles,
        intervals: e.intervals,
        instances: e.instanceCount ?? (e.instances ? e.instances.size : null),
      });
    }
    return result;
  }

  private entry(id: SeriesId): Entry | undefined {
    const key = `${id.service}\u0000${id.pathKey}\u0000${id.parentKey}\u0000${id.element.type}\u0000${id.element.name}\u0000${id.element.role}`;
    let entry = this.entries.get(key);
    if (entry) return entry;
    if (this.entries.size >= this.maxSeries) {
      this.dropped++;
      return undefined;
    }
    entry = {
      id: { service: id.service, pathKey: id.pathKey, parentKey: id.parentKey, element: { ...id.element } },
      calls: 0,
      errors: 0,
      worstP50: null,
      worstP99: null,
      max: null,
      intervals: 0,
      buckets: null,
      fleetP50: null,
      fleetP99: null,
      instances: null,
      instanceCount: null,
    };
    this.entries.set(key, entry);
    return entry;
  }
}

function larger(a: number | null, b: number | null): number | null {
  if (b === null || !Number.isFinite(b)) return a;
  return a === null || b > a ? b : a;
}

/**
 * The q-quantile of a cumulative explicit-bucket histogram, as PromQL's histogram_quantile
 * computes it: find the bucket holding rank q * total, interpolate linearly inside it (from 0 for
 * the first bucket); a rank in the +Inf bucket gives the largest finite bound. Null when empty.
 */
export function bucketQuantile(q: number, buckets: Map<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (bounds.length === 0) return null;
  // Cumulative counts must not decrease (they can, slightly, when endpoints were scraped apart).
  const counts: number[] = [];
  let running = 0;
  for (const le of bounds) {
    running = Math.max(running, buckets.get(le) ?? 0);
    counts.push(running);
  }
  const total = counts[counts.length - 1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let i = 0;
  while (i < bounds.length - 1 && counts[i] < rank) i++;
  if (bounds[i] === Infinity) return bounds.length > 1 ? bounds[bounds.length - 2] : null;
  const lower = i === 0 ? 0 : bounds[i - 1];
  const below = i === 0 ? 0 : counts[i - 1];
  const inBucket = counts[i] - below;
  if (i === 0 && bounds[0] <= 0) return bounds[0];
  return inBucket > 0 ? lower + (bounds[i] - lower) * ((rank - below) / inBucket) : bounds[i];
}
