/**
 * Node.js runtime metrics (`metrics.runtime_enabled`, docs/runtime-metrics.md), named and unitted
 * as the OpenTelemetry Node.js / V8 / process semantic conventions of the pinned
 * `@opentelemetry/semantic-conventions` say:
 *
 * | metric | instrument | unit | attributes |
 * | --- | --- | --- | --- |
 * | `nodejs.eventloop.delay.{min,max,mean,stddev,p50,p90,p99}` | gauge | s | |
 * | `nodejs.eventloop.utilization` | gauge | 1 | |
 * | `v8js.memory.heap.used` | up-down counter | By | `v8js.heap.space.name` |
 * | `v8js.memory.heap.space.size` (total) | up-down counter | By | `v8js.heap.space.name` |
 * | `v8js.memory.heap.space.available_size` (room left to the limit) | up-down counter | By | `v8js.heap.space.name` |
 * | `v8js.gc.duration` | histogram, buckets 0.01/0.1/1/10 | s | `v8js.gc.type` |
 * | `process.cpu.time` | counter | s | `cpu.mode` = user/system |
 * | `process.cpu.utilization` | gauge | 1 | `cpu.mode` = user/system |
 * | `process.memory.usage` (RSS) | up-down counter | By | |
 *
 * This module is loaded only when runtime metrics are enabled. What runs between collections is
 * Node's own sampling: the event-loop delay histogram (a libuv timer every `resolution` ms,
 * recorded in C++) and a PerformanceObserver for GC entries; everything else is read once per
 * collection. Event-loop delay and utilization cover the time since the previous collection.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import * as os from 'node:os';
import {
  constants as perfConstants,
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
  type IntervalHistogram,
} from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { describeError, logger } from '../logger';

/** Event-loop delay sampling period; 20 ms is what the OpenTelemetry runtime-node instrumentation uses. */
export const EVENT_LOOP_RESOLUTION_MS = 20;
/** Semantic-convention advice for v8js.gc.duration. */
export const GC_DURATION_BUCKETS = [0.01, 0.1, 1, 10];

export const RUNTIME_METRIC_NAMES = [
  'nodejs.eventloop.delay.min',
  'nodejs.eventloop.delay.max',
  'nodejs.eventloop.delay.mean',
  'nodejs.eventloop.delay.stddev',
  'nodejs.eventloop.delay.p50',
  'nodejs.eventloop.delay.p90',
  'nodejs.eventloop.delay.p99',
  'nodejs.eventloop.utilization',
  'v8js.memory.heap.used',
  'v8js.memory.heap.space.size',
  'v8js.memory.heap.space.available_size',
  'v8js.gc.duration',
  'process.cpu.time',
  'process.cpu.utilization',
  'process.memory.usage',
] as const;

const GC_KINDS: ReadonlyMap<number, string> = new Map([
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [perfConstants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

const USER: Attributes = Object.freeze({ 'cpu.mode': 'user' });
const SYSTEM: Attributes = Object.freeze({ 'cpu.mode': 'system' });
const NONE: Attributes = Object.freeze({});

export class RuntimeMetrics {
  private readonly delay: IntervalHistogram;
  private readonly gcObserver: PerformanceObserver | undefined;
  private readonly gcAttributes = new Map<string, Attributes>();
  private readonly spaceAttributes = new Map<string, Attributes>();
  private lastUtilization = performance.eventLoopUtilization();
  private lastCpu = process.cpuUsage();
  private lastCpuTime = performance.now();
  private readonly cpus = availableCpus();
  private stopped = false;

  constructor(meter: Meter) {
    this.delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.delay.enable();
    this.observeEventLoop(meter);
    this.observeHeap(meter);
    this.observeProcess(meter);
    const gcDuration = meter.createHistogram('v8js.gc.duration', {
      description: 'Garbage collection duration',
      unit: 's',
      advice: { explicitBucketBoundaries: GC_DURATION_BUCKETS },
    });
    this.gcObserver = this.observeGc(gcDuration);
  }

  /** Stops the event-loop sampling and the GC observer. Safe to call more than once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.delay.disable();
      this.gcObserver?.disconnect();
    } catch (err) {
      logger.once('warn', 'runtime-metrics-stop', `runtime metrics could not be stopped cleanly: ${describeError(err)}`);
    }
  }

  private observeEventLoop(meter: Meter): void {
    const gauge = (name: string, description: string) => meter.createObservableGauge(name, { description, unit: 's' });
    const min = gauge('nodejs.eventloop.delay.min', 'Event loop minimum delay');
    const max = gauge('nodejs.eventloop.delay.max', 'Event loop maximum delay');
    const mean = gauge('nodejs.eventloop.delay.mean', 'Event loop mean delay');
    const stddev = gauge('nodejs.eventloop.delay.stddev', 'Event loop standard deviation delay');
    const p50 = gauge('nodejs.eventloop.delay.p50', 'Event loop 50 percentile delay');
    const p90 = gauge('nodejs.eventloop.delay.p90', 'Event loop 90 percentile delay');
    const p99 = gauge('nodejs.eventloop.delay.p99', 'Event loop 99 percentile delay');
    const utilization = meter.createObservableGauge('nodejs.eventloop.utilization', { description: 'Event loop utilization', unit: '1' });
    meter.addBatchObservableCallback(
      (result) => {
        const h = this.delay;
        // No sample yet (the first resolution period): min would read as 2^63 ns.
        if (h.count > 0) {
          const s = (ns: number): number => ns / 1e9;
          result.observe(min, s(h.min));
          result.observe(max, s(h.max));
          result.observe(mean, s(h.mean));
          result.observe(stddev, s(h.stddev));
          result.observe(p50, s(h.percentile(50)));
          result.observe(p90, s(h.percentile(90)));
          result.observe(p99, s(h.percentile(99)));
        }
        // Each collection reports the interval since the previous one.
        h.reset();
        const now = performance.eventLoopUtilization();
        result.observe(utilization, performance.eventLoopUtilization(now, this.lastUtilization).utilization);
        this.lastUtilization = now;
      },
      [min, max, mean, stddev, p50, p90, p99, utilization]
    );
  }

  private observeHeap(meter: Meter): void {
    const counter = (name: string, description: string) =>
      meter.createObservableUpDownCounter(name, { description, unit: 'By', valueType: ValueType.INT });
    const used = counter('v8js.memory.heap.used', 'Heap memory size allocated');
    const size = counter('v8js.memory.heap.space.size', 'Total heap memory size pre-allocated for a heap space');
    const available = counter('v8js.memory.heap.space.available_size', 'Heap space available size');
    meter.addBatchObservableCallback(
      (result) => {
        for (const space of v8.getHeapSpaceStatistics()) {
          const attributes = this.spaceAttributesOf(space.space_name);
          result.observe(used, space.space_used_size, attributes);
          result.observe(size, space.space_size, attributes);
          result.observe(available, space.space_available_size, attributes);
        }
      },
      [used, size, available]
    );
  }

  private observeProcess(meter: Meter): void {
    const cpuTime = meter.createObservableCounter('process.cpu.time', {
      description: 'Total CPU seconds broken down by CPU mode',
      unit: 's',
    });
    const cpuUtilization = meter.createObservableGauge('process.cpu.utilization', {
      description: 'CPU time since the last collection, divided by the elapsed time and the CPUs available to the process',
      unit: '1',
    });
    const memory = meter.createObservableUpDownCounter('process.memory.usage', {
      description: 'The amount of physical memory in use (RSS)',
      unit: 'By',
      valueType: ValueType.INT,
    });
    meter.addBatchObservableCallback(
      (result) => {
        const cpu = process.cpuUsage();
        const now = performance.now();
        result.observe(cpuTime, cpu.user / 1e6, USER);
        result.observe(cpuTime, cpu.system / 1e6, SYSTEM);
        const elapsedMicros = (now - this.lastCpuTime) * 1000 * this.cpus;
        if (elapsedMicros > 0) {
          result.observe(cpuUtilization, (cpu.user - this.lastCpu.user) / elapsedMicros, USER);
          result.observe(cpuUtilization, (cpu.system - this.lastCpu.system) / elapsedMicros, SYSTEM);
        }
        this.lastCpu = cpu;
        this.lastCpuTime = now;
        result.observe(memory, process.memoryUsage.rss(), NONE);
      },
      [cpuTime, cpuUtilization, memory]
    );
  }

  private observeGc(gcDuration: Histogram): PerformanceObserver | undefined {
    try {
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const detail = (entry as { detail?: { kind?: number } }).detail;
          const kind = GC_KINDS.get(detail?.kind ?? -1) ?? 'unknown';
          gcDuration.record(entry.duration / 1000, this.gcAttributesOf(kind));
        }
      });
      observer.observe({ entryTypes: ['gc'] });
      return observer;
    } catch (err) {
      logger.warn(`v8js.gc.duration is not recorded: GC entries cannot be observed (${describeError(err)})`);
      return undefined;
    }
  }

  /** Shared attribute objects: one per GC kind / heap space, not one per observation. */
  private gcAttributesOf(kind: string): Attributes {
    let attributes = this.gcAttributes.get(kind);
    if (!attributes) this.gcAttributes.set(kind, (attributes = Object.freeze({ 'v8js.gc.type': kind })));
    return attributes;
  }

  private spaceAttributesOf(space: string): Attributes {
    let attributes = this.spaceAttributes.get(space);
    if (!attributes) this.spaceAttributes.set(space, (attributes = Object.freeze({ 'v8js.heap.space.name': space })));
    return attributes;
  }
}

function availableCpus(): number {
  try {
    const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return n > 0 ? n : 1;
  } catch {
    return 1;
  }
}
