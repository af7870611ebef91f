/**
 * One agent per process (docs/lifecycle.md): decides whether the zero-code start may start an
 * agent in the current thread, before anything heavy is loaded.
 *
 * - Main thread: yes.
 * - Node's module-loader hooks thread: never. With `NODE_OPTIONS=--require ck-agent/register`
 *   and any `module.register(...)` loader (`--import tsx`, ...), Node 20 runs the preloads in
 *   that thread too; an agent there would start twice per process and patch nothing of the app's.
 * - The app's own worker_threads: only with `worker_threads_enabled` (default false): each worker
 *   would otherwise run one more agent, exporter and metric interval of its own.
 */
import type * as WorkerThreads from 'node:worker_threads';

type WorkerThreadsModule = typeof WorkerThreads & { isInternalThread?: boolean };

export type StartDecision = 'main' | 'loader-hooks-thread' | 'worker-disabled' | 'worker-enabled';

/** Where this thread stands; `workerThreadsEnabled` is asked only in an app worker. */
export function zeroCodeStartDecision(workerThreadsEnabled: () => boolean): StartDecision {
  let threads: WorkerThreadsModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- sync, at preload time
    threads = require('node:worker_threads') as WorkerThreadsModule;
  } catch {
    return 'main';
  }
  if (threads.isMainThread) return 'main';
  if (isLoaderHooksThread(threads)) return 'loader-hooks-thread';
  return workerThreadsEnabled() ? 'worker-enabled' : 'worker-disabled';
}

/**
 * Node 22.14+/23.7+ say so (`isInternalThread`). Node 20 does not: its hooks thread is the one
 * non-main thread without a `parentPort` (every app worker has one).
 */
export function isLoaderHooksThread(threads: WorkerThreadsModule): boolean {
  return threads.isInternalThread === true || (!threads.isMainThread && threads.parentPort === null);
}

/** `worker_threads_enabled` from env and config file, as init() would resolve it; false when unreadable. */
export function workerThreadsEnabledByConfig(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only app workers pay for reading the config
    const { resolveConfig } = require('../config') as typeof import('../config');
    return resolveConfig().workerThreadsEnabled === true;
  } catch {
    return false;
  }
}

/** The zero-code start's one question: start an agent in this thread? */
export function zeroCodeStartAllowed(): boolean {
  const decision = zeroCodeStartDecision(workerThreadsEnabledByConfig);
  return decision === 'main' || decision === 'worker-enabled';
}
