/**
 * The export sampler, built from `config.tracing.sampler` / `samplerArg` with the
 * OTEL_TRACES_SAMPLER names. It only decides the SAMPLED trace flag (span export and what
 * downstream services see); CK spans are always recorded, because graph path metrics need all.
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/types';
import { describeError, logger } from '../logger';

export const DEFAULT_SAMPLER = 'parentbased_always_on';

/** Parent-based samplers built here, whose local-parent delegates are the defaults (on/off). */
const localParentFollowers = new WeakSet<Sampler>();

/**
 * True when, for a local parent span, `sampler` decides exactly "sampled iff the parent is"
 * (ParentBased with default local delegates, no attributes, no trace state change): the tracer
 * then skips the call (and its span-context regex validation) for children of CK spans.
 */
export function followsLocalParent(sampler: Sampler): boolean {
  return localParentFollowers.has(sampler);
}

function parentBased(root: Sampler): Sampler {
  const sampler = new ParentBasedSampler({ root });
  localParentFollowers.add(sampler);
  return sampler;
}

function ratio(arg: number | undefined, name: string): number {
  if (arg === undefined || arg === null) return 1;
  if (typeof arg !== 'number' || Number.isNaN(arg) || arg < 0 || arg > 1) {
    logger.warn(`sampler ${name}: argument ${String(arg)} is not a ratio in [0, 1]; using 1`);
    return 1;
  }
  return arg;
}

/** Sampler for `name` (case-insensitive), e.g. `parentbased_traceidratio` with arg 0.1. */
export function createSampler(tracing: Pick<TracingConfig, 'sampler' | 'samplerArg'>): Sampler {
  const name =
    String(tracing.sampler ?? DEFAULT_SAMPLER)
      .trim()
      .toLowerCase() || DEFAULT_SAMPLER;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio(tracing.samplerArg, name));
    case 'parentbased_always_on':
      return parentBased(new AlwaysOnSampler());
    case 'parentbased_always_off':
      return parentBased(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return parentBased(new TraceIdRatioBasedSampler(ratio(tracing.samplerArg, name)));
    default:
      logger.warn(`unknown trace sampler "${tracing.sampler}"; using ${DEFAULT_SAMPLER}`);
      return parentBased(new AlwaysOnSampler());
  }
}

/**
 * A user's Sampler (init({ sampler })), guarded: a sampler that throws or answers nonsense never
 * breaks span creation. Such a span is recorded but not sampled (graph path metrics still see it;
 * it is just not exported), and the problem is logged once.
 */
export class GuardedSampler implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(...args: Parameters<Sampler['shouldSample']>): ReturnType<Sampler['shouldSample']> {
    try {
      const result = this.inner.shouldSample(...args);
      if (result && typeof result === 'object' && typeof result.decision === 'number') return result;
      logger.once('warn', 'user-sampler-result', `sampler ${this.toString()} returned no SamplingResult; the span is not exported`);
    } catch (err) {
      logger.once('warn', 'user-sampler-threw', `sampler ${this.toString()} threw, the span is not exported: ${describeError(err)}`);
    }
    return { decision: SamplingDecision.RECORD };
  }

  toString(): string {
    try {
      return String(this.inner.toString());
    } catch {
      return 'custom sampler';
    }
  }
}

/** True when `value` can be used as a Sampler (has a shouldSample function). */
export function isSampler(value: unknown): value is Sampler {
  return typeof value === 'object' && value !== null && typeof (value as Sampler).shouldSample === 'function';
}
