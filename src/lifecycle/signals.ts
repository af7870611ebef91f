/**
 * Zero-code start only: flush on SIGTERM / SIGINT, then let the process end exactly as it would
 * have without the agent (docs/first-run.md "Signals").
 *
 * Node ends a process on SIGTERM/SIGINT only while nobody listens for them; our listener turns
 * that off, so after the flush we remove it and send the same signal again: the default action
 * then ends the process with that signal, the same exit status a shell or supervisor would have
 * seen. An app that listens for the signal itself keeps full control: we then do nothing at all
 * (the agent still flushes on `beforeExit`, and the app can await `agent.shutdown()`). A second
 * signal during the flush ends the process at once, and the flush never outlives `timeoutMs`.
 */
import { describeError, logger } from '../logger';

export const FLUSHED_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type FlushedSignal = (typeof FLUSHED_SIGNALS)[number];

export interface SignalFlushHandle {
  /** Removes our listeners (the signals get their default action back). */
  uninstall(): void;
}

/**
 * Installs the listeners. `flush` is called at most once (the agent's shutdown); `timeoutMs`
 * bounds how long the process waits for it.
 */
export function installSignalFlush(flush: () => Promise<unknown>, timeoutMs: number): SignalFlushHandle {
  let flushing = false;
  const listeners = new Map<FlushedSignal, () => void>();

  const uninstall = (): void => {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
    listeners.clear();
  };

  /** Gives the signal its default action back and delivers it again. */
  const reraise = (signal: FlushedSignal): void => {
    uninstall();
    try {
      process.kill(process.pid, signal);
    } catch (err) {
      // Cannot signal ourselves (should not happen): end with the shell's code for that signal.
      logger.warn(`could not re-raise ${signal} after the flush (${describeError(err)}); exiting`);
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
  };

  const onSignal = (signal: FlushedSignal): void => {
    if (appListens(signal, listeners.get(signal))) return; // the app decides what this signal means
    if (flushing) {
      reraise(signal); // a second signal: the user does not want to wait
      return;
    }
    flushing = true;
    logger.debug(`${signal}: flushing metrics and spans (at most ${timeoutMs} ms) before exiting`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn(`${signal}: the final flush did not finish within shutdown_timeout_ms (${timeoutMs} ms); exiting without it`);
        resolve();
      }, timeoutMs);
    });
    let flushed: Promise<unknown>;
    try {
      flushed = Promise.resolve(flush()).catch((err) => logger.warn(`${signal}: final flush failed: ${describeError(err)}`));
    } catch (err) {
      logger.warn(`${signal}: final flush failed: ${describeError(err)}`);
      flushed = Promise.resolve();
    }
    void Promise.race([flushed, timedOut]).then(() => {
      clearTimeout(timer);
      reraise(signal);
    });
  };

  for (const signal of FLUSHED_SIGNALS) {
    const listener = (): void => onSignal(signal);
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  return { uninstall };
}

/** True when someone other than us listens for `signal` (the app, or a library it uses). */
function appListens(signal: FlushedSignal, ours: (() => void) | undefined): boolean {
  return process.listeners(signal).some((listener) => listener !== ours);
}
