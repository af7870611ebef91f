/** Shared helpers for the metrics tests (not a test file: ava only runs *.test.ts). */
import * as net from 'node:net';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { resolveConfig } from '../../src/config';
import type { CKConfig, CKOptions } from '../../src/config/types';
import type { GraphElement } from '../../src/graph/types';

/** A resolved config from options only (an empty env: nothing leaks in from the machine). */
export function testConfig(options: CKOptions = {}): CKConfig {
  return resolveConfig({ serviceName: 'test', strict: true, ...options }, {});
}

export const testResource = () => resourceFromAttributes({ 'service.name': 'test' });

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal sample (seconds) with the given median and sigma. */
export function logNormal(random: () => number, median: number, sigma: number): number {
  let u = 0;
  while (u === 0) u = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * z);
}

/** Nearest-rank percentile of a sorted array (the definition HDR uses). */
export function exactPercentile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export const httpEntry = (name: string, attributes?: Record<string, string>): GraphElement => ({
  type: 'HTTP_SERVICE',
  name,
  role: 'entry',
  ...(attributes ? { attributes } : {}),
});

export const dbExit = (name: string): GraphElement => ({
  type: 'DATABASE',
  name,
  role: 'exit',
  attributes: { 'db.system.name': 'postgresql' },
});

/** A port that was free a moment ago (for servers that cannot listen on port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
