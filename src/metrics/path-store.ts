/**
 * The per-series store behind graph path metrics.
 *
 * A series is one (pathKey, parentKey, element) triple; the element's identity is its type, name
 * and attributes (the canonical string `type|name|sorted attrs`, compared field by field here so
 * the hot path never builds that string). Lookup is three nested maps (pathKey -> parentKey ->
 * element name) ending in a short chain of series that share a name; after the first sighting of
 * a series, `record()` allocates nothing: it bumps counters and records into the series' HDR
 * histogram.
 *
 * Policies (documented here because exporters and tests rely on them):
 * - HDR histograms record microseconds with 2 significant digits (buckets about 0.8 % wide; the
 *   bucket midpoint is reported, so quantiles are within about 0.4 % of the exact value, plus the
 *   1 µs recording resolution). 32-bit counts, auto-resizing: about 7-9 KiB per series for
 *   latencies up to seconds. Durations are clamped to [0, 1 h] for the histogram; the exact
 *   max (and min) are tracked separately.
 * - Cardinality cap `maxPaths`: past it, new series are folded into ONE overflow series whose
 *   identity fields are all the string `overflow` (`ck.path.key`, `ck.path.parent_key`,
 *   `ck.element.type`, `ck.element.name`, `ck.element.role`) plus `otel.metric.overflow = true`.
 *   Every record folded there counts in `overflowRecords` (self-metric `ck.agent.paths.overflow`).
 *   The overflow series does not count against the cap and is never evicted.
 * - Idle eviction: a series with no calls for `evictAfterIdleIntervals` (default 10) consecutive
 *   intervals is removed, freeing its slot under the cap (calls still carried below `minCalls`
 *   are dropped with it). If it comes back it starts afresh
 *   (cumulative counts restart: a counter reset, which OTLP and Prometheus consumers handle).
 * - `minCalls`: an interval in which a series got fewer calls than `minCalls` is not closed: the
 *   series is left out of that snapshot and its interval counts and histogram keep accumulating
 *   until the threshold is reached (its `intervalStart` stays where it was), so no call is lost
 *   and quantiles always come from at least `minCalls` samples. Cumulative totals only include
 *   closed intervals, so cumulative counts and the cumulative duration histogram always agree.
 * - What an interval exports: per-interval data (LOGGING rows, ck.path.latency, delta streams)
 *   only for series whose interval closed; cumulative streams for every held series that has
 *   closed an interval before, with its unchanged totals while idle or below `minCalls` (as an
 *   SDK cumulative stream would), so a lost export or a Prometheus scrape never hides a series
 *   that still exists.
 */
import type { GraphElement } from '../graph/types';
import { ExpoBuilder, mergeBuckets } from './expo-histogram';
import {
  DEFAULT_EVICT_AFTER_IDLE_INTERVALS,
  LOG_QUANTILES,
  OVERFLOW,
  PathSeries,
  type CumulativeSnapshot,
  type IntervalSnapshot,
  type SeriesSnapshot,
} from './path-series';

/** Histogram clamp: one hour in microseconds. Longer durations still count and set `max`. */
const MAX_RECORDED_US = 3_600_000_000;

export interface PathStoreOptions {
  /** Cardinality cap (series, not counting the overflow series). */
  maxPaths: number;
  /** Threshold below which an interval is carried over instead of exported. */
  minCalls: number;
  /** Quantiles to compute per snapshot row, each in (0, 1]; LOG_QUANTILES are always added. */
  quantiles: readonly number[];
  /** Idle intervals after which a series is dropped. */
  evictAfterIdleIntervals?: number;
  /** Clock in ms since the epoch (tests pass their own). */
  now?: () => number;
}

type NameMap = Map<string, PathSeries>;
type ParentMap = Map<string, NameMap>;

export class PathStore {
  readonly maxPaths: number;
  readonly minCalls: number;
  readonly quantiles: readonly number[];
  readonly evictAfterIdleIntervals: number;
  /** Records folded into the overflow series (self-metric ck.agent.paths.overflow). */
  overflowRecords = 0;
  private readonly index = new Map<string, ParentMap>();
  private readonly series: PathSeries[] = [];
  private overflowSeries: PathSeries | undefined;
  private readonly now: () => number;
  private lastCut: number;
  private readonly expo = new ExpoBuilder();
  private readonly targets: number[];
  private readonly values: number[];

  constructor(options: PathStoreOptions) {
    this.maxPaths = Math.max(0, Math.floor(options.maxPaths));
    this.minCalls = Math.max(1, Math.floor(options.minCalls));
    this.evictAfterIdleIntervals = Math.max(1, options.evictAfterIdleIntervals ?? DEFAULT_EVICT_AFTER_IDLE_INTERVALS);
    const quantiles = new Set<number>(LOG_QUANTILES);
    for (const q of options.quantiles) if (q > 0 && q <= 1) quantiles.add(q);
    this.quantiles = Object.freeze([...quantiles].sort((a, b) => a - b));
    this.targets = new Array<number>(this.quantiles.length).fill(0);
    this.values = new Array<number>(this.quantiles.length).fill(0);
    this.now = options.now ?? Date.now;
    this.lastCut = this.now();
  }

  /** Series currently held, not counting the overflow series (self-metric ck.agent.paths.active). */
  get activeSeries(): number {
    return this.series.length;
  }

  /** Records one span. Never throws; allocates only on the first sighting of a series. */
  record(pathKey: string, parentKey: string, element: GraphElement, durationSeconds: number, isError: boolean): void {
    try {
      const series = this.lookup(pathKey, parentKey, element);
      series.intervalCalls++;
      if (isError) series.intervalErrors++;
      let seconds = durationSeconds;
      if (!(seconds >= 0)) seconds = 0; // NaN, negative, non-number
      series.intervalSum += seconds;
      if (seconds < series.intervalMin) series.intervalMin = seconds;
      if (seconds > series.intervalMax) series.intervalMax = seconds;
      const us = seconds * 1e6;
      series.histogram.recordValue(us < MAX_RECORDED_US ? Math.round(us) : MAX_RECORDED_US);
    } catch {
      // Metrics must never break the app; a broken element is simply not recorded.
    }
  }

  /**
   * Closes the current interval: returns one row per series with at least `minCalls` calls since
   * its interval started, resets those series' interval state, carries the others over, and
   * evicts series idle for too long.
   */
  collectInterval(): IntervalSnapshot {
    const time = this.now();
    this.lastCut = time;
    const rows: SeriesSnapshot[] = [];
    const cumulative: CumulativeSnapshot[] = [];
    let kept = 0;
    for (let i = 0; i < this.series.length; i++) {
      const series = this.series[i];
      if (this.close(series, time, rows, cumulative)) {
        this.unindex(series);
        continue;
      }
      this.series[kept++] = series;
    }
    this.series.length = kept;
    if (this.overflowSeries) this.close(this.overflowSeries, time, rows, cumulative);
    return { time, quantiles: this.quantiles, rows, cumulative };
  }

  /** Forgets everything (shutdown). */
  clear(): void {
    this.index.clear();
    this.series.length = 0;
    this.overflowSeries = undefined;
  }

  /** Returns true when the series should be evicted. */
  private close(series: PathSeries, time: number, rows: SeriesSnapshot[], cumulative: CumulativeSnapshot[]): boolean {
    const calls = series.intervalCalls;
    if (calls === series.callsAtLastCut) {
      // No call since the last cut (carried calls do not count as activity).
      series.idleIntervals++;
      if (!series.overflow && series.idleIntervals >= this.evictAfterIdleIntervals) return true;
    } else {
      series.idleIntervals = 0;
    }
    series.callsAtLastCut = calls;
    if (calls === 0 || calls < this.minCalls) {
      // Idle, or carried over (see the file header): only the cumulative state is reported.
      if (series.totalCalls > 0) cumulative.push(cumulativeOf(series));
      return false;
    }
    const quantiles = this.computeQuantiles(series);
    const buckets = this.expo.build();
    series.totalCalls += calls;
    series.totalErrors += series.intervalErrors;
    series.totalSum += series.intervalSum;
    if (series.intervalMin < series.totalMin) series.totalMin = series.intervalMin;
    if (series.intervalMax > series.totalMax) series.totalMax = series.intervalMax;
    series.totalBuckets = mergeBuckets(series.totalBuckets, buckets);
    const row: SeriesSnapshot = {
      ...cumulativeOf(series),
      calls,
      errors: series.intervalErrors,
      sum: series.intervalSum,
      min: series.intervalMin,
      max: series.intervalMax,
      quantiles,
      intervalStart: series.intervalStart,
      intervalEnd: time,
      buckets,
    };
    rows.push(row);
    cumulative.push(row);
    series.histogram.reset();
    series.intervalCalls = 0;
    series.callsAtLastCut = 0;
    series.intervalErrors = 0;
    series.intervalSum = 0;
    series.intervalMin = Infinity;
    series.intervalMax = 0;
    series.intervalStart = time;
    return false;
  }

  /**
   * One pass over the HDR counts: nearest-rank quantiles (bucket midpoints, clamped to the exact
   * min/max; the quantile 1 is the exact max) and, in the same pass, the exponential buckets.
   */
  private computeQuantiles(series: PathSeries): number[] {
    const h = series.histogram;
    const total = h.totalCount;
    const qs = this.quantiles;
    const targets = this.targets;
    const values = this.values;
    for (let q = 0; q < qs.length; q++) {
      targets[q] = Math.max(1, Math.ceil(qs[q] * total - 1e-9));
      values[q] = series.intervalMax;
    }
    this.expo.reset();
    let next = 0;
    let seen = 0;
    const length = h.countsArrayLength;
    for (let i = 0; i < length && seen < total; i++) {
      const count = h.getCountAtIndex(i);
      if (count === 0) continue;
      seen += count;
      const raw = h.valueFromIndex(i);
      const seconds = (raw === 0 ? 0 : h.medianEquivalentValue(raw)) / 1e6;
      this.expo.add(seconds, count);
      while (next < qs.length && seen >= targets[next]) {
        values[next] = qs[next] === 1 ? series.intervalMax : clamp(seconds, series.intervalMin, series.intervalMax);
        next++;
      }
    }
    return values.slice();
  }

  private lookup(pathKey: string, parentKey: string, element: GraphElement): PathSeries {
    let parents = this.index.get(pathKey);
    let names = parents?.get(parentKey);
    const head = names?.get(element.name);
    for (let s = head; s !== undefined; s = s.nextSameName) {
      if (s.elementType === element.type && sameAttributes(s.elementAttributes, s.elementAttributeCount, element.attributes)) {
        return s;
      }
    }
    if (this.series.length >= this.maxPaths) {
      this.overflowRecords++;
      return (this.overflowSeries ??= new PathSeries(OVERFLOW, OVERFLOW, OVERFLOW, OVERFLOW, OVERFLOW, undefined, 0, true, this.lastCut));
    }
    // First sighting: copy the identity so later mutation of the element cannot corrupt the key.
    let attributes: Record<string, string> | undefined;
    let count = 0;
    if (element.attributes) {
      for (const key in element.attributes) {
        (attributes ??= {})[key] = element.attributes[key];
        count++;
      }
    }
    const series = new PathSeries(
      String(pathKey),
      String(parentKey),
      String(element.type),
      String(element.name),
      String(element.role),
      attributes ? Object.freeze(attributes) : undefined,
      count,
      false,
      this.lastCut
    );
    if (!parents) this.index.set(pathKey, (parents = new Map()));
    if (!names) parents.set(parentKey, (names = new Map()));
    series.nextSameName = head;
    names.set(element.name, series);
    this.series.push(series);
    return series;
  }

  private unindex(series: PathSeries): void {
    const parents = this.index.get(series.pathKey);
    const names = parents?.get(series.parentKey);
    if (!parents || !names) return;
    const head = names.get(series.elementName);
    if (head === series) {
      if (series.nextSameName) names.set(series.elementName, series.nextSameName);
      else names.delete(series.elementName);
    } else {
      for (let s = head; s !== undefined; s = s.nextSameName) {
        if (s.nextSameName === series) {
          s.nextSameName = series.nextSameName;
          break;
        }
      }
    }
    series.nextSameName = undefined;
    if (names.size === 0) parents.delete(series.parentKey);
    if (parents.size === 0) this.index.delete(series.pathKey);
  }
}

function sameAttributes(
  stored: Readonly<Record<string, string>> | undefined,
  storedCount: number,
  given: Readonly<Record<string, string>> | undefined
): boolean {
  if (given === undefined || given === null) return storedCount === 0;
  let n = 0;
  for (const key in given) {
    if (stored === undefined || stored[key] !== given[key]) return false;
    n++;
  }
  return n === storedCount;
}

function cumulativeOf(series: PathSeries): CumulativeSnapshot {
  return {
    series,
    totalCalls: series.totalCalls,
    totalErrors: series.totalErrors,
    totalSum: series.totalSum,
    totalMin: series.totalMin,
    totalMax: series.totalMax,
    totalBuckets: series.totalBuckets,
  };
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
