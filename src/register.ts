/**
 * Zero-code start: `node --require ck-agent/register app.js` (CommonJS) or
 * `node --import ck-agent/register app.mjs` (ES modules, via register.mjs).
 * Initialises from env/file config and enables every CK instrumentation whose target module the
 * app can load, limited by `instrumentations` in the config. Only those instrumentations (and
 * their upstream packages) are loaded. Never throws into the app.
 */
import { zeroCodeStartAllowed } from './lifecycle/process-guard';
import { describeError, logger } from './logger';

/** Resolves from the app's directory, not ours: the app's node_modules decide what is installed. */
function isInstalled(moduleName: string): boolean {
  try {
    require.resolve(moduleName, { paths: [process.cwd(), ...(require.main?.paths ?? [])] });
    return true;
  } catch {
    return false;
  }
}

export function registerAll(): string[] {
  const enabled: string[] = [];
  try {
    // Loaded only where an agent starts (never in the loader hooks thread: lifecycle/process-guard.ts).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { init } = require('./agent') as typeof import('./agent');
    const { INSTRUMENTATIONS } = require('./instrumentations/registry') as typeof import('./instrumentations/registry');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const agent = init();
    if (!agent.config.enabled) return enabled;
    for (const name of agent.config.instrumentations) {
      const entry = INSTRUMENTATIONS[name];
      if (!entry) continue;
      const modules: readonly string[] = entry.modules;
      if (modules.length > 0 && !modules.some(isInstalled)) continue;
      const Instrumentation = entry.load();
      const instrumentation = new Instrumentation();
      instrumentation.enable();
      if (instrumentation.isEnabled()) enabled.push(name);
    }
    logger.info(`zero-code start: enabled ${enabled.join(', ') || 'nothing'}`);
    // Flush on a natural exit only: a signal handler would change how the app exits.
    process.once('beforeExit', () => {
      agent.shutdown().catch(() => undefined);
    });
  } catch (err) {
    logger.error(`zero-code start failed; the app runs without ck-agent: ${describeError(err)}`);
  }
  return enabled;
}

if (zeroCodeStartAllowed()) registerAll();
