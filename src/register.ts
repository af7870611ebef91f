/**
 * Zero-code start: `node --require ck-agent/register app.js` (CommonJS) or
 * `node --import ck-agent/register app.mjs` (ES modules, via register.mjs).
 * Initialises from env/file config and enables every CK instrumentation whose target module the
 * app itself can load (src/instrumentations/app-modules.ts), limited by `instrumentations` in the
 * config. Only those instrumentations (and their upstream packages) are loaded. Never throws into
 * the app. See docs/first-run.md.
 */
import { zeroCodeStartAllowed } from './lifecycle/process-guard';
import { describeError, logger } from './logger';

export function registerAll(): string[] {
  const enabled: string[] = [];
  try {
    // Loaded only where an agent starts (never in the loader hooks thread: lifecycle/process-guard.ts).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { init } = require('./agent') as typeof import('./agent');
    const { INSTRUMENTATIONS } = require('./instrumentations/registry') as typeof import('./instrumentations/registry');
    const { appCanLoad, appDirectories } = require('./instrumentations/app-modules') as typeof import('./instrumentations/app-modules');
    const { installSignalFlush } = require('./lifecycle/signals') as typeof import('./lifecycle/signals');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const agent = init();
    if (!agent.config.enabled) return enabled;
    const dirs = appDirectories();
    for (const name of agent.config.instrumentations) {
      const entry = INSTRUMENTATIONS[name];
      if (!entry) continue;
      const modules: readonly string[] = entry.modules;
      if (modules.length > 0 && !modules.some((m) => appCanLoad(m, dirs))) continue;
      const Instrumentation = entry.load();
      const instrumentation = new Instrumentation();
      instrumentation.enable();
      if (instrumentation.isEnabled()) enabled.push(name);
    }
    logger.debug(`zero-code start: enabled ${enabled.join(', ') || 'nothing'}`);
    process.once('beforeExit', () => {
      agent.shutdown().catch(() => undefined);
    });
    // SIGTERM/SIGINT: flush, then end as without the agent, unless the app handles them itself.
    installSignalFlush(() => agent.shutdown(), agent.config.shutdownTimeoutMs);
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only on this failure path
    const { ConfigError } = require('./config/issues') as typeof import('./config/issues');
    if (err instanceof ConfigError) {
      const problems = err.issues.map((issue) => `\n  - ${issue.problem ?? issue.message}`).join('');
      logger.error(
        `ck-agent not started: strict mode (strict=true) refuses invalid configuration; the app runs without ck-agent:${problems}`
      );
    } else {
      logger.error(`zero-code start failed; the app runs without ck-agent: ${describeError(err)}`);
    }
  }
  return enabled;
}

if (zeroCodeStartAllowed()) registerAll();
