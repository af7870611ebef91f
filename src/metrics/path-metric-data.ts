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
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import type { CumulativeSnapshot, IntervalSnapshot, SeriesSnapshot } from './path-store';

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
  /** False for readers that cannot carry exponential histograms (Prometheus text format). */
  includeDuration: boolean;
}

export function buildPathMetricData(snapshot: IntervalSnapshot, options: PathMetricOptions): MetricData[] {
  const endTime = millisToHrTime(snapshot.time);
  const calls: DataPoint<number>[] = [];
  const errors: DataPoint<number>[] = [];
  const durations: DataPoint<ExponentialHistogram>[] = [];
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
  if (options.includeDuration) {
    if (options.histogramTemporality === AggregationTemporality.DELTA) {
      for (const row of snapshot.rows) {
        durations.push(point(millisToHrTime(row.intervalStart), endTime, row.series.attributes, intervalHistogram(row)));
      }
    } else {
      for (const c of snapshot.cumulative) {
        durations.push(point(millisToHrTime(c.series.startTime), endTime, c.series.attributes, cumulativeHistogram(c)));
      }
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
  if (options.includeDuration) {
    const duration: ExponentialHistogramMetricData = {
      descriptor: {
        name: METRIC_DURATION,
        description: 'Span duration per graph path and element (base-2 exponential histogram)',
        unit: 's',
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: options.histogramTemporality,
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: durations,
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

function intervalHistogram(row: SeriesSnapshot): ExponentialHistogram {
  return {
    count: row.calls,
    sum: row.sum,
    min: row.min,
    max: row.max,
    scale: row.buckets.scale,
    zeroCount: row.buckets.zeroCount,
    positive: { offset: row.buckets.offset, bucketCounts: row.buckets.counts as number[] },
    negative: { offset: 0, bucketCounts: [] },
  };
}

function cumulativeHistogram(row: CumulativeSnapshot): ExponentialHistogram {
  return {
    count: row.totalCalls,
    sum: row.totalSum,
    min: row.totalMin,
    max: row.totalMax,
    scale: row.totalBuckets.scale,
    zeroCount: row.totalBuckets.zeroCount,
    positive: { offset: row.totalBuckets.offset, bucketCounts: row.totalBuckets.counts as number[] },
    negative: { offset: 0, bucketCounts: [] },
  };
}
