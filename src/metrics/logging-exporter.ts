/**
 * LOGGING metric reporter: one JSON object per exported series per line, exactly in the format of
 * docs/metrics.md ("LOGGING format"), appended to `reporting.logFile` or written to
 * stdout. Calls and errors are per interval; durations in seconds; times ISO-8601.
 *
 * The rows come from the interval snapshot the collection was built from (looked up by the
 * ResourceMetrics object the reader hands over), not from re-parsing data points.
 */
import * as fs from 'node:fs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describeError } from '../logger';
import type { IntervalSnapshot, SeriesSnapshot } from './path-series';
import { runtimeLoggingLines } from './runtime-logging';

export interface LoggingRow {
  type: 'ck.path';
  service: string;
  pathKey: string;
  parentKey: string;
  element: { type: string; name: string; role: string };
  calls: number;
  errors: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  intervalStart: string;
  intervalEnd: string;
}

/** Builds the row for one series; key order is the documented one. */
export function toLoggingRow(service: string, snapshot: IntervalSnapshot, row: SeriesSnapshot): LoggingRow {
  const q = (quantile: number): number => {
    const i = snapshot.quantiles.indexOf(quantile);
    return seconds(i >= 0 ? row.quantiles[i] : row.max);
  };
  const s = row.series;
  return {
    type: 'ck.path',
    service,
    pathKey: s.pathKey,
    parentKey: s.parentKey,
    element: { type: s.elementType, name: s.elementName, role: s.elementRole },
    calls: row.calls,
    errors: row.errors,
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    max: seconds(row.max),
    intervalStart: new Date(row.intervalStart).toISOString(),
    intervalEnd: new Date(row.intervalEnd).toISOString(),
  };
}

/** Microsecond precision is what the histograms record; avoids 0.0031000000000000003. */
function seconds(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : 0;
}

/** The `ck.path` lines of one interval, newline-terminated ('' for none). */
export function loggingRowsText(service: string, snapshot: IntervalSnapshot): string {
  let text = '';
  for (const row of snapshot.rows) text += JSON.stringify(toLoggingRow(service, snapshot, row)) + '\n';
  return text;
}

/** Synchronous write of one interval, for `'exit'` (docs/lifecycle.md); file empty = stdout. */
export function writeIntervalSync(service: string, snapshot: IntervalSnapshot, file: string): void {
  const text = loggingRowsText(service, snapshot);
  if (text === '') return;
  if (file) fs.appendFileSync(file, text);
  else fs.writeSync(1, text);
}

export class LoggingMetricExporter implements PushMetricExporter {
  private shutdownCalled = false;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly service: string,
    /** Snapshot a collection result was built from. */
    private readonly snapshotFor: (metrics: ResourceMetrics) => IntervalSnapshot | undefined,
    /** File to append to; empty = stdout. */
    private readonly file: string
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.shutdownCalled) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('LoggingMetricExporter is shut down') });
      return;
    }
    let text = '';
    try {
      const snapshot = this.snapshotFor(metrics);
      if (snapshot) text += loggingRowsText(this.service, snapshot);
      text += runtimeLoggingLines(this.service, metrics); // '' unless metrics.runtime_enabled
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(describeError(err)) });
      return;
    }
    if (text === '') {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    const done = new Promise<void>((resolve) => {
      const finish = (err: Error | null | undefined): void => {
        resultCallback(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS });
        resolve();
      };
      try {
        if (this.file) fs.appendFile(this.file, text, finish);
        else process.stdout.write(text, finish);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(describeError(err)));
      }
    });
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    this.shutdownCalled = true;
    await this.forceFlush();
  }

  selectAggregationTemporality(): AggregationTemporality {
    // The rows come from the store's interval snapshot; for the self-metrics delta keeps the SDK's
    // state small.
    return AggregationTemporality.DELTA;
  }
}
