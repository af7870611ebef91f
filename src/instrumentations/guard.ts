/**
 * The one guard every CK hook runs in (docs/architecture.md, "Never break the app"): a hook that
 * throws is skipped, logged once per kind, and counted in the self-metric `ck.agent.hook.errors`;
 * the app's call goes on as if the agent were not there.
 *
 * Shared per-request functions (stream observers installed on request objects) cannot close over
 * an instrumentation, so the counter is process-wide and set by the agent.
 */
import { describeError, logger } from '../logger';

let countHookError: (() => void) | undefined;

/** The agent routes hook failures into its self-metrics (undefined: not counted). */
export function setHookErrorCounter(counter: (() => void) | undefined): void {
  countHookError = counter;
}

/** Records a failure of CK code that ran inside the app's call: one log line per kind, counted. */
export function reportHookError(kind: string, err: unknown): void {
  try {
    logger.once('warn', `hook:${kind}`, `ck-agent ${kind} failed and was skipped (the app is not affected): ${describeError(err)}`);
    countHookError?.();
  } catch {
    // reporting must never throw either
  }
}

/** `hook` wrapped in the guard: never throws, returns undefined when the hook failed. */
export function guardHook<A extends unknown[], R>(kind: string, hook: (...args: A) => R): (...args: A) => R | undefined {
  return function ckGuardedHook(this: unknown, ...args: A): R | undefined {
    try {
      return hook.apply(this, args);
    } catch (err) {
      reportHookError(kind, err);
      return undefined;
    }
  };
}

/**
 * Chains a CK hook and a user hook: ours first, then the user's, each isolated so a throwing hook
 * never stops the other or reaches the app. User hooks are never replaced and never lost.
 */
export function chainHooks<A extends unknown[]>(
  kind: string,
  ours: (...args: A) => void,
  users: ((...args: A) => void) | undefined
): (...args: A) => void {
  const guarded = guardHook(kind, ours);
  if (typeof users !== 'function') return guarded;
  return function ckChainedHook(this: unknown, ...args: A): void {
    guarded.apply(this, args);
    try {
      users.apply(this, args);
    } catch (err) {
      logger.once('warn', `user-hook:${kind}`, `user ${kind} hook threw (ignored): ${describeError(err)}`);
    }
  };
}
