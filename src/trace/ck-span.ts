/**
 * CKSpan: the lightweight span CK instrumentations create.
 *
 * It implements the `@opentelemetry/api` Span and the ReadableSpan fields of
 * `@opentelemetry/sdk-trace-base` 2.x, so SDK span processors and the OTLP/Zipkin exporters take it
 * as is. Compared with the SDK span it keeps:
 * - no events and no links: `addEvent`, `addLink(s)` and `recordException` only count them in
 *   `droppedEventsCount` / `droppedLinksCount` (and `links` / `events` are shared, frozen, empty
 *   arrays). `recordException` also keeps `exception.type` and `exception.message` as span
 *   attributes (not the stack trace), so an exported error span still says what failed;
 * - a bounded attribute map (count limit and string value length limit from config; what does
 *   not fit is counted in `droppedAttributesCount`);
 * - plain fields, no closures, no per-span arrays: the tracer hands every span one shared
 *   `SpanOwner` (resource, scope, limits, processor pipeline).
 *
 * A span is always recording until it ends (graph path metrics need every span); whether it is
 * exported is the SAMPLED trace flag, set by the sampler at start (or force capture).
 */
import {
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import { hrTimeDuration, isAttributeValue, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { PathState } from '../graph';
import { logger } from '../logger';

/** The span dispatch the tracer provider owns (processors called in order, each exception-safe). */
export interface SpanPipeline {
  onEnding(span: CKSpan): void;
  onEnd(span: CKSpan): void;
}

/** What every span of one tracer shares. */
export interface SpanOwner {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  /** Max distinct attribute keys per span. */
  readonly attributeCountLimit: number;
  /** Max length of string values (and of each string in a string array); Infinity = no limit. */
  readonly attributeValueLengthLimit: number;
  readonly pipeline: SpanPipeline;
}

const EMPTY_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const EMPTY_EVENTS: never[] = Object.freeze([]) as unknown as never[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;

const hasOwn = Object.prototype.hasOwnProperty;

/** Milliseconds (epoch or a duration, >= 0, may be fractional) → HrTime. Cheaper than core's on the hot path. */
function millisToHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

function addHrTimes(a: HrTime, b: HrTime): HrTime {
  const nanos = a[1] + b[1];
  return nanos >= 1e9 ? [a[0] + b[0] + 1, nanos - 1e9] : [a[0] + b[0], nanos];
}

/** Milliseconds to add to a `performance.now()` value to get epoch milliseconds. */
function performanceToEpochOffset(): number {
  return Date.now() - performance.now();
}

/**
 * Span start times come from the monotonic clock plus a wall-clock offset refreshed every
 * OFFSET_REFRESH_SPANS spans (and at least every OFFSET_REFRESH_MS), so a span start costs one
 * clock read and wall-clock adjustments (NTP) are still followed.
 */
const OFFSET_REFRESH_SPANS = 1024;
const OFFSET_REFRESH_MS = 1000;
let epochOffset = performanceToEpochOffset();
let offsetTakenAt = performance.now();
let offsetUses = 0;

function epochMillisAt(performanceNow: number): number {
  if (++offsetUses >= OFFSET_REFRESH_SPANS || performanceNow - offsetTakenAt >= OFFSET_REFRESH_MS) {
    offsetUses = 0;
    offsetTakenAt = performanceNow;
    epochOffset = Date.now() - performanceNow;
  }
  return performanceNow + epochOffset;
}

/** TimeInput → HrTime, with the SDK's rule: a number not after `performance.now()` is a performance timestamp. */
export function toHrTime(input: TimeInput): HrTime {
  if (typeof input === 'number') {
    return millisToHrTime(input <= performance.now() ? input + performanceToEpochOffset() : input);
  }
  if (input instanceof Date) return millisToHrTime(input.getTime());
  return input;
}

export class CKSpan implements Span {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  duration: HrTime = NO_DURATION;
  status: SpanStatus = UNSET_STATUS;
  readonly attributes: Attributes = {};
  readonly links: Link[] = EMPTY_LINKS;
  readonly events: never[] = EMPTY_EVENTS;
  ended = false;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  /** The request's graph path state (shared by every span of the request in this service). */
  pathState: PathState | undefined;

  private _spanContext: SpanContext;
  private readonly _owner: SpanOwner;
  private _attributeCount = 0;
  /** `performance.now()` at start; -1 when the caller gave an explicit start time. */
  private readonly _performanceStart: number;

  constructor(
    owner: SpanOwner,
    name: string,
    kind: SpanKind,
    spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    startTime: TimeInput | undefined,
    pathState: PathState | undefined
  ) {
    this._owner = owner;
    this.name = name;
    this.kind = kind;
    this._spanContext = spanContext;
    this.parentSpanContext = parentSpanContext;
    this.resource = owner.resource;
    this.instrumentationScope = owner.instrumentationScope;
    this.pathState = pathState;
    if (startTime === undefined) {
      // Wall clock at start (see epochMillisAt), duration from the monotonic clock.
      const now = performance.now();
      this._performanceStart = now;
      this.startTime = millisToHrTime(epochMillisAt(now));
    } else {
      this._performanceStart = -1;
      this.startTime = toHrTime(startTime);
    }
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value === undefined || value === null || this.ended || typeof key !== 'string' || key.length === 0) return this;
    const attributes = this.attributes;
    if (!hasOwn.call(attributes, key)) {
      if (this._attributeCount >= this._owner.attributeCountLimit) {
        this.droppedAttributesCount++;
        return this;
      }
      const bounded = this.bound(value);
      if (bounded === undefined) return this;
      this._attributeCount++;
      attributes[key] = bounded;
      return this;
    }
    const bounded = this.bound(value);
    if (bounded !== undefined) attributes[key] = bounded;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (hasOwn.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  /** Events are not kept (CK spans carry attributes only); counted as dropped. */
  addEvent(_name: string, _attributesOrStartTime?: Attributes | TimeInput, _startTime?: TimeInput): this {
    if (!this.ended) this.droppedEventsCount++;
    return this;
  }

  /** Links are not kept; counted as dropped. */
  addLink(_link: Link): this {
    if (!this.ended) this.droppedLinksCount++;
    return this;
  }

  addLinks(links: Link[]): this {
    if (!this.ended && Array.isArray(links)) this.droppedLinksCount += links.length;
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || !status) return this;
    // Same rules as the SDK: UNSET never overrides, OK is final, only ERROR keeps a message.
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    if (status.code === SpanStatusCode.ERROR && typeof status.message === 'string') {
      this.status = { code: SpanStatusCode.ERROR, message: status.message };
    } else {
      this.status = { code: status.code };
    }
    return this;
  }

  updateName(name: string): this {
    if (!this.ended && typeof name === 'string') this.name = name;
    return this;
  }

  /**
   * Counts an exception event as dropped (no events are kept) and keeps `exception.type` and
   * `exception.message` as attributes. It does not set the status: instrumentations do that.
   */
  recordException(exception: Exception, _time?: TimeInput): void {
    if (this.ended) return;
    this.droppedEventsCount++;
    if (typeof exception === 'string') {
      this.setAttribute('exception.message', exception);
      return;
    }
    if (!exception || typeof exception !== 'object') return;
    const type = exception.code !== undefined && exception.code !== null ? String(exception.code) : exception.name;
    if (type) this.setAttribute('exception.type', type);
    if (exception.message) this.setAttribute('exception.message', exception.message);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      if (logger.enabled('debug')) {
        logger.debug(`span "${this.name}" ${this._spanContext.spanId} ended twice; the second end() is ignored`);
      }
      return;
    }
    if (endTime === undefined && this._performanceStart >= 0) {
      const duration = millisToHrTime(Math.max(0, performance.now() - this._performanceStart));
      this.duration = duration;
      this.endTime = addHrTimes(this.startTime, duration);
    } else {
      const end = endTime === undefined ? millisToHrTime(Date.now()) : toHrTime(endTime);
      const duration = hrTimeDuration(this.startTime, end);
      if (duration[0] < 0 || duration[1] < 0) {
        this.endTime = this.startTime;
        this.duration = [0, 0];
      } else {
        this.endTime = end;
        this.duration = duration;
      }
    }
    const pipeline = this._owner.pipeline;
    pipeline.onEnding(this);
    this.ended = true;
    pipeline.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /**
   * Sets the SAMPLED flag on a span that must be exported although its sampler said no (force
   * capture learned after the span started). The span context is replaced, not mutated: it may
   * already be shared with child contexts.
   */
  markSampled(): void {
    const ctx = this._spanContext;
    if ((ctx.traceFlags & TraceFlags.SAMPLED) !== 0) return;
    this._spanContext = {
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      traceFlags: ctx.traceFlags | TraceFlags.SAMPLED,
      traceState: ctx.traceState,
    };
  }

  /** Applies the value length limit; undefined for values that are not valid attribute values. */
  private bound(value: AttributeValue): AttributeValue | undefined {
    const limit = this._owner.attributeValueLengthLimit;
    switch (typeof value) {
      case 'string':
        return value.length > limit ? value.slice(0, limit) : value;
      case 'number':
      case 'boolean':
        return value;
      default:
        break;
    }
    if (!Array.isArray(value) || !isAttributeValue(value)) {
      logger.once('debug', 'ck-span:invalid-attribute', 'an attribute with an invalid value type was ignored');
      return undefined;
    }
    if (limit === Infinity) return value.slice();
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      out[i] = typeof item === 'string' && item.length > limit ? item.slice(0, limit) : item;
    }
    return out as AttributeValue;
  }
}
