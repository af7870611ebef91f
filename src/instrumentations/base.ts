/**
 * What every CK instrumentation shares: lazy construction of the unmodified upstream
 * instrumentation with the CK tracer provider, enable/disable bookkeeping, and the no-op when
 * the agent is disabled. A wrapper subclass only says which upstream class, which hooks, and
 * which gap patch (see src/wrappers/<lib>.ts).
 */
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { CKAgent } from '../agent';
import { ensureAgent } from '../agent';
import { logger, describeError } from '../logger';

export abstract class CKInstrumentation<TConfig extends InstrumentationConfig = InstrumentationConfig> {
  /** Short library name, as in the `instrumentations` config list. */
  abstract readonly libraryName: string;

  protected upstream: Instrumentation | undefined;
  protected agent: CKAgent | undefined;
  private enabled = false;

  /** `userConfig` is passed to the upstream instrumentation; hooks in it are chained after ours. */
  constructor(protected readonly userConfig: TConfig = {} as TConfig) {}

  /** Builds the upstream instrumentation (constructed disabled: upstream patches in its constructor otherwise). */
  protected abstract createUpstream(agent: CKAgent, userConfig: TConfig): Instrumentation;

  /** Gap patches that upstream has no hook for (shimmer). Called after upstream is enabled. */
  protected patchGaps(_agent: CKAgent): void {}
  protected unpatchGaps(): void {}

  enable(): void {
    if (this.enabled) return;
    try {
      const agent = ensureAgent();
      if (!agent.config.enabled) {
        logger.once('info', 'agent-disabled', 'ck-agent is disabled by config: instrumentations are no-ops');
        return;
      }
      this.agent = agent;
      if (!this.upstream) {
        this.upstream = this.createUpstream(agent, this.userConfig);
        this.upstream.setTracerProvider(agent.tracerProvider);
      }
      this.upstream.enable();
      this.patchGaps(agent);
      agent.trackInstrumentation(this);
      this.enabled = true;
    } catch (err) {
      logger.error(`could not enable ${this.libraryName} instrumentation: ${describeError(err)}`);
    }
  }

  disable(): void {
    if (!this.enabled) return;
    this.enabled = false;
    try {
      this.unpatchGaps();
      this.upstream?.disable();
    } catch (err) {
      logger.warn(`could not fully disable ${this.libraryName} instrumentation: ${describeError(err)}`);
    }
    this.agent?.untrackInstrumentation(this);
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /** The upstream instrumentation instance (for tests and advanced users). */
  getUpstream(): Instrumentation | undefined {
    return this.upstream;
  }
}

/**
 * Chains a CK hook and a user hook: ours first, then the user's, each isolated so a throwing hook
 * never stops the other or reaches the app. Returns `ours` alone when there is no user hook.
 */
export function chainHooks<A extends unknown[]>(
  kind: string,
  ours: (...args: A) => void,
  users: ((...args: A) => void) | undefined
): (...args: A) => void {
  if (typeof users !== 'function') return ours;
  return (...args: A) => {
    try {
      ours(...args);
    } catch (err) {
      logger.once('warn', `hook:${kind}`, `ck-agent ${kind} hook failed: ${describeError(err)}`);
    }
    try {
      users(...args);
    } catch (err) {
      logger.once('warn', `user-hook:${kind}`, `user ${kind} hook threw (ignored): ${describeError(err)}`);
    }
  };
}
