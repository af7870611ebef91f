/**
 * Zero-code start: `node --require ck-agent/register app.js` (CommonJS) or
 * `node --import ck-agent/register app.mjs` (ES modules, via register.mjs).
 * Initialises from env/file config and enables every CK instrumentation whose target module is
 * installed, limited by `instrumentations` in the config. Never throws into the app.
 */
import { init } from './agent';
import type { InstrumentationName } from './config/types';
import { describeError, logger } from './logger';
import { CKExpressInstrumentation } from './instrumentations/express';
import { CKGrpcInstrumentation } from './instrumentations/grpc';
import { CKHttpInstrumentation } from './instrumentations/http';
import { CKIORedisInstrumentation } from './instrumentations/ioredis';
import { CKMongoDBInstrumentation } from './instrumentations/mongodb';
import { CKMySQL2Instrumentation } from './instrumentations/mysql2';
import { CKPgInstrumentation } from './instrumentations/pg';

interface Enableable {
  enable(): void;
}

/** Which module must be installed for each instrumentation (undefined: built into Node). */
const TARGETS: Record<InstrumentationName, { module?: string; create: () => Enableable }> = {
  http: { create: () => new CKHttpInstrumentation() },
  express: { module: 'express', create: () => new CKExpressInstrumentation() },
  grpc: { module: '@grpc/grpc-js', create: () => new CKGrpcInstrumentation() },
  ioredis: { module: 'ioredis', create: () => new CKIORedisInstrumentation() },
  mongodb: { module: 'mongodb', create: () => new CKMongoDBInstrumentation() },
  pg: { module: 'pg', create: () => new CKPgInstrumentation() },
  mysql2: { module: 'mysql2', create: () => new CKMySQL2Instrumentation() },
};

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
    const agent = init();
    if (!agent.config.enabled) return enabled;
    for (const name of agent.config.instrumentations) {
      const target = TARGETS[name];
      if (!target || (target.module && !isInstalled(target.module))) continue;
      target.create().enable();
      enabled.push(name);
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

registerAll();
