/**
 * One graph path series and the snapshots the store hands to exporters (policies: path-store.ts).
 */
// The class itself, not the package index: the index also loads pako (log encoding) and the
// WebAssembly loader, ~7 MB of RSS that graph path metrics never use.
import Int32Histogram from 'hdr-histogram-js/dist/Int32Histogram';
import type { Attributes } from '@opentelemetry/api';
import { ATTR_CK_ELEMENT_NAME, ATTR_CK_ELEMENT_ROLE, ATTR_CK_ELEMENT_TYPE, ATTR_CK_PATH_KEY, ATTR_CK_PATH_PARENT_KEY } from '../semconv';
import { EMPTY_BUCKETS, type ExpoBuckets } from './expo-histogram';

/** The quantiles the LOGGING format always carries (p50, p90, p95, p99). */
export const LOG_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99];
export const DEFAULT_EVICT_AFTER_IDLE_INTERVALS = 10;
export const OVERFLOW = 'overflow';

/** One series. Fields are public for the exporters; only the store mutates them. */
export class PathSeries {
  /** Metric attributes, built once per series. */
  readonly attributes: Attributes;
  readonly histogram: Int32Histogram;
  /** Start of the first interval this series was seen in (cumulative start time). */
  readonly startTime: number;

  // Interval state (reset when an interval closes).
  intervalStart: number;
  intervalCalls = 0;
  intervalErrors = 0;
  intervalSum = 0;
  intervalMin = Infinity;
  intervalMax = 0;

  // Cumulative state (closed intervals only).
  totalCalls = 0;
  totalErrors = 0;
  totalSum = 0;
  totalMin = Infinity;
  totalMax = 0;
  totalBuckets: ExpoBuckets = EMPTY_BUCKETS;

  idleIntervals = 0;
  /** intervalCalls when the previous interval was cut (differs from it when calls arrived since). */
  callsAtLastCut = 0;
  /** Next series in the same (pathKey, parentKey, name) bucket. */
  nextSameName: PathSeries | undefined = undefined;

  constructor(
    readonly pathKey: string,
    readonly parentKey: string,
    readonly elementType: string,
    readonly elementName: string,
    readonly elementRole: string,
    /** Copy of the element's attributes (undefined when it had none). */
    readonly elementAttributes: Readonly<Record<string, string>> | undefined,
    readonly elementAttributeCount: number,
    readonly overflow: boolean,
    startTime: number
  ) {
    this.startTime = startTime;
    this.intervalStart = startTime;
    const attributes: Attributes = {};
    if (elementAttributes) {
      for (const key of Object.keys(elementAttributes)) attributes[key] = elementAttributes[key];
    }
    attributes[ATTR_CK_PATH_KEY] = pathKey;
    attributes[ATTR_CK_PATH_PARENT_KEY] = parentKey;
    attributes[ATTR_CK_ELEMENT_TYPE] = elementType;
    attributes[ATTR_CK_ELEMENT_NAME] = elementName;
    attributes[ATTR_CK_ELEMENT_ROLE] = elementRole;
    if (overflow) attributes['otel.metric.overflow'] = true;
    this.attributes = Object.freeze(attributes);
    // What hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1,
    // highestTrackableValue: 2, numberOfSignificantValueDigits: 2 }) returns, built directly.
    this.histogram = new Int32Histogram(1, 2, 2);
    this.histogram.autoResize = true;
  }
}

/** Cumulative state of a series at the end of an interval (closed intervals only). */
export interface CumulativeSnapshot {
  readonly series: PathSeries;
  readonly totalCalls: number;
  readonly totalErrors: number;
  readonly totalSum: number;
  readonly totalMin: number;
  readonly totalMax: number;
  readonly totalBuckets: ExpoBuckets;
}

/** One exported series of a closed interval. Times in ms since the epoch, durations in seconds. */
export interface SeriesSnapshot extends CumulativeSnapshot {
  readonly calls: number;
  readonly errors: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Aligned with `IntervalSnapshot.quantiles`; the quantile 1 is the exact max. */
  readonly quantiles: readonly number[];
  readonly intervalStart: number;
  readonly intervalEnd: number;
  readonly buckets: ExpoBuckets;
}

export interface IntervalSnapshot {
  /** When the interval was closed. */
  readonly time: number;
  /** Sorted quantiles every row carries values for. */
  readonly quantiles: readonly number[];
  /** Series whose interval closed now (>= minCalls calls): the per-interval data. */
  readonly rows: readonly SeriesSnapshot[];
  /**
   * Every held series that has closed at least one interval, with its cumulative totals (the
   * closed rows are included as themselves). Cumulative streams are exported from this, so a
   * series keeps its last cumulative value while idle or below minCalls, until evicted.
   */
  readonly cumulative: readonly CumulativeSnapshot[];
}

export const EMPTY_SNAPSHOT: IntervalSnapshot = Object.freeze({
  time: 0,
  quantiles: LOG_QUANTILES,
  rows: Object.freeze([]),
  cumulative: Object.freeze([]),
});
