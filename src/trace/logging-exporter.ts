/**
 * LoggingSpanExporter (`trace_reporter_type: LOGGING`): one JSON line per span, in the format of
 * docs/metrics.md ("LOGGING format"), appended to `reporting.log_file` or written to
 * stdout.
 *
 * Writes go through one buffered stream per exporter, one write per batch. The stream's pending
 * bytes are bounded: when the disk or the pipe cannot keep up, whole batches are dropped and
 * counted (`droppedSpans`) instead of growing memory.
 */
import * as fs from 'node:fs';
import { SpanKind, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describeError, logger } from '../logger';

const KIND_NAMES: Record<number, string> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

/** Default bound on bytes queued in the stream and not yet written. */
export const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** HrTime → decimal nanoseconds as a string, exact (no float rounding past 2^53). */
export function hrTimeToNanosString(time: HrTime): string {
  const seconds = time[0];
  const nanos = time[1];
  if (seconds === 0) return String(nanos);
  return String(seconds) + String(nanos).padStart(9, '0');
}

/** The JSON line (without newline) for one span. `parentSpanId` is omitted for root spans. */
export function formatSpanLine(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const status: { code: number; message?: string } = { code: span.status.code };
  if (span.status.message !== undefined) status.message = span.status.message;
  return JSON.stringify({
    type: 'span',
    name: span.name,
    kind: KIND_NAMES[span.kind] ?? 'INTERNAL',
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    startTimeUnixNano: hrTimeToNanosString(span.startTime),
    durationNs: hrTimeToNanosString(span.duration),
    status,
    attributes: span.attributes,
  });
}

export interface LoggingSpanExporterOptions {
  /** Append to this file; empty or undefined = stdout. */
  logFile?: string;
  /** Bound on queued, unwritten bytes; batches beyond it are dropped. */
  maxPendingBytes?: number;
  /** Called with the number of spans dropped each time a batch is dropped. */
  onDropped?: (count: number) => void;
}

export class LoggingSpanExporter implements SpanExporter {
  /** Spans dropped because the output could not keep up or failed. */
  droppedSpans = 0;
  private readonly stream: NodeJS.WritableStream & { writableLength: number };
  private readonly ownsStream: boolean;
  private readonly maxPendingBytes: number;
  private readonly onDropped?: (count: number) => void;
  private broken = false;
  private closed = false;

  constructor(options: LoggingSpanExporterOptions = {}) {
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.onDropped = options.onDropped;
    if (options.logFile) {
      const stream = fs.createWriteStream(options.logFile, { flags: 'a' });
      stream.on('error', (err) => {
        this.broken = true;
        logger.once('warn', 'logging-span-exporter:file', `span log file ${options.logFile} failed: ${describeError(err)}`);
      });
      this.stream = stream;
      this.ownsStream = true;
    } else {
      this.stream = process.stdout;
      this.ownsStream = false;
    }
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.closed || this.broken || this.stream.writableLength > this.maxPendingBytes) {
      this.drop(spans.length);
      resultCallback({ code: this.closed ? ExportResultCode.FAILED : ExportResultCode.SUCCESS });
      return;
    }
    let text = '';
    for (let i = 0; i < spans.length; i++) {
      try {
        text += formatSpanLine(spans[i]) + '\n';
      } catch (err) {
        this.drop(1);
        logger.once('warn', 'logging-span-exporter:format', `a span could not be written as JSON: ${describeError(err)}`);
      }
    }
    try {
      if (text.length > 0) this.stream.write(text);
    } catch (err) {
      this.drop(spans.length);
      logger.once('warn', 'logging-span-exporter:write', `span log write failed: ${describeError(err)}`);
    }
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  /** Resolves once everything queued so far has been handed to the OS. */
  forceFlush(): Promise<void> {
    const stream = this.stream;
    if (this.broken || stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      // An empty write's callback runs after all earlier writes are flushed.
      try {
        stream.write('', () => resolve());
      } catch {
        resolve();
      }
    });
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.forceFlush();
    this.closed = true;
    if (this.ownsStream && !this.broken) {
      await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    }
  }

  private drop(count: number): void {
    if (count <= 0) return;
    this.droppedSpans += count;
    logger.once('warn', 'logging-span-exporter:drop', 'span log output cannot keep up; spans are being dropped');
    if (this.onDropped) {
      try {
        this.onDropped(count);
      } catch {
        // counting must never break export
      }
    }
  }
}
