/**
 * Turns a closed interval (`IntervalSnapshot`) into OpenTelemetry `MetricData` for one reader.
 *
 * Why not SDK instruments: a synchronous SDK histogram costs about 2 µs per record and allocates
 * (it hashes the attribute object with JSON.stringify on every call), and SDK attribute storage
 * never forgets a series, so evicting idle paths could not free the cardinality cap. The store
 * already holds everything per series, so the data points are built from it once per collection
 * and appended to the `ck-agent` scope of the reader's collection result. The numbers every
 * reader sees in one collection come from the same snapshot (consistent across instruments).
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type ExponentialHistogram,
  type ExponentialHistogramMetricData,
  type GaugeMetricData,
  type Histogram,
  type HistogramMetricData,
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import type { ExpoBuckets } from './expo-histogram';
import type { IntervalSnapshot } from './path-series';

export const METRIC_CALLS = 'ck.path.calls';
export const METRIC_ERRORS = 'ck.path.errors';
export const METRIC_DURATION = 'ck.path.duration';
export const METRIC_LATENCY = 'ck.path.latency';

export interface PathMetricOptions {
  /** Temporality for ck.path.calls / ck.path.errors. */
  counterTemporality: AggregationTemporality;
  /** Temporality for ck.path.duration. */
  histogramTemporality: AggregationTemporality;
  /** Quantiles exported on ck.path.latency (subset of the snapshot's quantiles). */
  quantiles: readonly number[];
  /**
   * How ck.path.duration is carried: base-2 exponential (OTLP), or explicit buckets
   * (PROMETHEUS_BOUNDARIES, for the Prometheus text format, which has no exponential histograms).
   */
  durationAs: 'exponential' | 'explicit';
}

/**
 * Latency bucket bounds (seconds) for readers that need explicit-bucket histograms (Prometheus).
 * Chosen so PromQL's histogram_quantile over buckets summed across instances is within a stated
 * error (docs/fleet-percentiles.md): eight buckets per doubling, 2^(j/8) s for j = -80..27
 * (0.98 ms .. 10.4 s), so the worst-case relative error there is 2^(1/8) - 1 = 9.05 % (plus the HDR
 * resolution, 0.4 %); octaves below (122 µs, 244 µs, 488 µs) and above (16, 32, 64 s). Powers of
 * two line up with the exponential buckets the store keeps (a bucket at scale >= 3 falls inside one
 * explicit bucket), so re-bucketing adds no error. Labels are rounded to 4 significant digits
 * (`le="0.001065"`), far inside the 0.5 % gap between a scale-6 bucket midpoint and these bounds.
 * 114 bounds: 117 series per path and instance (115 buckets, _sum, _count).
 */
export const PROMETHEUS_BOUNDARIES: readonly number[] = Object.freeze(
  [
    ...[-13, -12, -11].map((e) => Math.pow(2, e)),
    ...Array.from({ length: 108 }, (_, i) => Math.pow(2, (i - 80) / 8)),
    ...[4, 5, 6].map((e) => Math.pow(2, e)),
  ].map((b) => Number(b.toPrecision(4)))
);

export function buildPathMetricData(snapshot: IntervalSnapshot, options: PathMetricOptions): MetricData[] {
  const endTime = millisToHrTime(snapshot.time);
  const calls: DataPoint<number>[] = [];
  const errors: DataPoint<number>[] = [];
  const durations: DataPoint<ExponentialHistogram | Histogram>[] = [];
  const toHistogram = options.durationAs === 'explicit' ? explicitHistogram : exponentialHistogram;
  const latency: DataPoint<number>[] = [];

  // Counters: delta = this interval's closed rows; cumulative = every series' totals.
  if (options.counterTemporality === AggregationTemporality.DELTA) {
    for (const row of snapshot.rows) {
      const start = millisToHrTime(row.intervalStart);
      calls.push(point(start, endTime, row.series.attributes, row.calls));
      errors.push(point(start, endTime, row.series.attributes, row.errors));
    }
  } else {
    for (const c of snapshot.cumulative) {
      const start = millisToHrTime(c.series.startTime);
      calls.push(point(start, endTime, c.series.attributes, c.totalCalls));
      errors.push(point(start, endTime, c.series.attributes, c.totalErrors));
    }
  }
  if (options.histogramTemporality === AggregationTemporality.DELTA) {
    for (const row of snapshot.rows) {
      const h = toHistogram(row.calls, row.sum, row.min, row.max, row.buckets);
      durations.push(point(millisToHrTime(row.intervalStart), endTime, row.series.attributes, h));
    }
  } else {
    for (const c of snapshot.cumulative) {
      const h = toHistogram(c.totalCalls, c.totalSum, c.totalMin, c.totalMax, c.totalBuckets);
      durations.push(point(millisToHrTime(c.series.startTime), endTime, c.series.attributes, h));
    }
  }
  const quantileIndexes = options.quantiles.map((q) => snapshot.quantiles.indexOf(q)).filter((i) => i >= 0);
  for (const row of snapshot.rows) {
    const start = millisToHrTime(row.intervalStart);
    for (const qi of quantileIndexes) {
      latency.push(point(start, endTime, withQuantile(row.series.attributes, snapshot.quantiles[qi]), row.quantiles[qi]));
    }
  }

  const metrics: MetricData[] = [
    sum(METRIC_CALLS, 'Spans recorded per graph path and element', options.counterTemporality, calls),
    sum(METRIC_ERRORS, 'Spans with error status per graph path and element', options.counterTemporality, errors),
  ];
  const descriptor = {
    name: METRIC_DURATION,
    description: 'Span duration per graph path and element',
    unit: 's',
    valueType: ValueType.DOUBLE,
  };
  if (options.durationAs === 'explicit') {
    const duration: HistogramMetricData = {
      descriptor,
      aggregationTemporality: options.histogramTemporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: durations as DataPoint<Histogram>[],
    };
    metrics.push(duration);
  } else {
    const duration: ExponentialHistogramMetricData = {
      descriptor,
      aggregationTemporality: options.histogramTemporality,
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: durations as DataPoint<ExponentialHistogram>[],
    };
    metrics.push(duration);
  }
  const gauge: GaugeMetricData = {
    descriptor: {
      name: METRIC_LATENCY,
      description: 'Latency quantiles (HDR histogram) of the last export interval per graph path and element',
      unit: 's',
      valueType: ValueType.DOUBLE,
    },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: latency,
  };
  metrics.push(gauge);
  return metrics;
}

function point<T>(startTime: HrTime, endTime: HrTime, attributes: Attributes, value: T): DataPoint<T> {
  return { startTime, endTime, attributes, value };
}

function sum(name: string, description: string, temporality: AggregationTemporality, dataPoints: DataPoint<number>[]): SumMetricData {
  return {
    descriptor: { name, description, unit: '{call}', valueType: ValueType.INT },
    aggregationTemporality: temporality,
    dataPointType: DataPointType.SUM,
    dataPoints,
    isMonotonic: true,
  };
}

function withQuantile(attributes: Attributes, quantile: number): Attributes {
  const result: Attributes = {};
  for (const key in attributes) result[key] = attributes[key];
  result['ck.quantile'] = quantile;
  return result;
}

function exponentialHistogram(count: number, sum: number, min: number, max: number, buckets: ExpoBuckets): ExponentialHistogram {
  return {
    count,
    sum,
    min,
    max,
    scale: buckets.scale,
    zeroCount: buckets.zeroCount,
    positive: { offset: buckets.offset, bucketCounts: buckets.counts as number[] },
    negative: { offset: 0, bucketCounts: [] },
  };
}

/**
 * Re-buckets exponential buckets into PROMETHEUS_BOUNDARIES by each bucket's geometric midpoint
 * (exact up to the exponential bucket width).
 */
function explicitHistogram(count: number, sum: number, min: number, max: number, buckets: ExpoBuckets): Histogram {
  const boundaries = PROMETHEUS_BOUNDARIES as number[];
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  counts[0] += buckets.zeroCount;
  const base = Math.pow(2, Math.pow(2, -buckets.scale));
  let b = 0;
  for (let i = 0; i < buckets.counts.length; i++) {
    const c = buckets.counts[i];
    if (c === 0) continue;
    const mid = Math.pow(base, buckets.offset + i + 0.5);
    while (b < boundaries.length && mid > boundaries[b]) b++;
    counts[b] += c;
  }
  return { buckets: { boundaries, counts }, count, sum, min, max };
}
