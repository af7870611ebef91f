/** Graph path metrics: public surface of src/metrics (see graph-path-metrics.ts). */
export { GraphPathMetrics, METER_NAME, SCHEMA_URL, DEFAULT_QUANTILES } from './graph-path-metrics';
export { packageVersion } from '../version';
export { PathStore, type PathStoreOptions } from './path-store';
export {
  PathSeries,
  LOG_QUANTILES,
  OVERFLOW,
  DEFAULT_EVICT_AFTER_IDLE_INTERVALS,
  type SeriesSnapshot,
  type CumulativeSnapshot,
  type IntervalSnapshot,
} from './path-series';
export { LoggingMetricExporter, toLoggingRow, type LoggingRow } from './logging-exporter';
export { METRIC_CALLS, METRIC_ERRORS, METRIC_DURATION, METRIC_LATENCY } from './path-metric-data';
export { CountingExporter, httpMetricsUrl, temporalityFor } from './readers';
export type { GraphPathRecorder } from './types';
