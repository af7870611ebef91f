/**
 * Shared by the config tests: resolve with an explicit env object (process.env is never touched)
 * and capture the warnings the resolution logs.
 */
import * as path from 'node:path';
import { resolveConfig } from '../../src/config';
import type { CKConfig, CKOptions } from '../../src/config/types';
import { logger } from '../../src/logger';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/config');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface Resolved {
  config: CKConfig;
  warnings: string[];
}

/** Runs `fn` with the logger's warnings captured (sync: no other test can interleave). */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  logger.setLevel('warn');
  logger.setSink((level, message) => {
    if (level === 'warn' || level === 'error') warnings.push(message);
  });
  try {
    return { result: fn(), warnings };
  } finally {
    logger.setSink(() => undefined);
  }
}

export function resolve(options: unknown = {}, env: Record<string, string | undefined> = {}): Resolved {
  const { result, warnings } = captureWarnings(() => resolveConfig(options as CKOptions, env));
  return { config: result, warnings };
}

/** The one warning that mentions every given fragment; fails loudly when none or several do. */
export function warningWith(warnings: readonly string[], ...fragments: string[]): string {
  const matching = warnings.filter((w) => fragments.every((f) => w.includes(f)));
  if (matching.length !== 1) {
    throw new Error(`expected exactly one warning with ${JSON.stringify(fragments)}, got:\n${warnings.join('\n')}`);
  }
  return matching[0];
}
