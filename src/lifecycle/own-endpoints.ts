/**
 * The agent's own endpoints (the Prometheus scrape server) are not the app's traffic
 * (config.md "First run"): the HTTP instrumentation asks `isOwnEndpointRequest` and lets such
 * requests through untraced. Outgoing exports need nothing here: the SDK readers and batch
 * processors export inside a suppressed-tracing context, which the CK tracer honours.
 */
import type { IncomingMessage } from 'node:http';

const ownServers = new WeakSet<object>();

/** Marks a server the agent started; requests it receives are never recorded. */
export function markOwnServer(server: unknown): void {
  if (typeof server === 'object' && server !== null) ownServers.add(server);
}

/** True for a request received by one of the agent's own servers. Never throws. */
export function isOwnEndpointRequest(request: IncomingMessage): boolean {
  try {
    const server = (request.socket as { server?: unknown } | null)?.server;
    return typeof server === 'object' && server !== null && ownServers.has(server);
  } catch {
    return false;
  }
}
