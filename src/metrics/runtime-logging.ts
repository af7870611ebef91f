/**
 * LOGGING lines for the Node runtime metrics (docs/runtime-metrics.md): one JSON object per data
 * point, beside the `ck.path` rows, in the same file:
 *
 *   {"type":"ck.runtime","service":"orders","name":"v8js.memory.heap.used","unit":"By",
 *    "attributes":{"v8js.heap.space.name":"old_space"},"value":12345678,"time":"..."}
 *
 * Histograms (`v8js.gc.duration`) carry `count`, `sum`, `min`, `max` instead of `value`. The
 * LOGGING reader uses delta temporality, so counters and histograms are per export interval.
 */
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

export interface RuntimeLoggingRow {
  type: 'ck.runtime';
  service: string;
  name: string;
  unit: string;
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  time: string;
}

/** Metric name prefixes of the runtime semantic conventions (never used by ck.path / ck.agent). */
const RUNTIME_PREFIXES = ['nodejs.', 'v8js.', 'process.'];

export function isRuntimeMetric(name: string): boolean {
  return RUNTIME_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The runtime rows of one collection, as JSON lines ('' when runtime metrics are off). */
export function runtimeLoggingLines(service: string, metrics: ResourceMetrics): string {
  let text = '';
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const { name, unit } = metric.descriptor;
      if (!isRuntimeMetric(name)) continue;
      for (const point of metric.dataPoints as Array<{ attributes: Record<string, unknown>; endTime: [number, number]; value: unknown }>) {
        const row: RuntimeLoggingRow = {
          type: 'ck.runtime',
          service,
          name,
          unit,
          attributes: { ...point.attributes },
          time: new Date(hrTimeToMilliseconds(point.endTime)).toISOString(),
        };
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const h = point.value as { count: number; sum?: number; min?: number; max?: number };
          if (h.count === 0) continue; // no GC in this interval
          row.count = h.count;
          row.sum = h.sum;
          row.min = h.min;
          row.max = h.max;
        } else if (typeof point.value === 'number') {
          row.value = point.value;
        } else {
          continue;
        }
        text += JSON.stringify(row) + '\n';
      }
    }
  }
  return text;
}
