/**
 * Reading span attributes under both the stable OpenTelemetry semantic-convention names and the
 * old ones, so spans from any instrumentation version map the same way.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';

/** First attribute among `keys` that is a non-empty string (numbers are stringified). */
export function firstString(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (let i = 0; i < keys.length; i++) {
    const value: AttributeValue | undefined = attributes[keys[i]];
    if (typeof value === 'string') {
      if (value.length > 0) return value;
    } else if (typeof value === 'number') {
      return String(value);
    }
  }
  return undefined;
}

/** First attribute among `keys` that is a finite number (numeric strings are parsed). */
export function firstNumber(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (let i = 0; i < keys.length; i++) {
    const value = attributes[keys[i]];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'string' && value.length > 0) {
      const parsed = Number(value);
      if (Number.isFinite(parsed)) return parsed;
    }
  }
  return undefined;
}

// Stable name first, then the older names still emitted by many instrumentations.
export const HTTP_METHOD = ['http.request.method', 'http.method'] as const;
export const HTTP_ROUTE = ['http.route'] as const;
export const HTTP_STATUS = ['http.response.status_code', 'http.status_code'] as const;
export const URL_PATH = ['url.path', 'http.target'] as const;
export const URL_FULL = ['url.full', 'http.url'] as const;
export const SERVER_ADDRESS = ['server.address', 'net.peer.name', 'http.host', 'net.host.name'] as const;
export const SERVER_PORT = ['server.port', 'net.peer.port'] as const;
export const RPC_SYSTEM = ['rpc.system', 'rpc.system.name'] as const;
export const RPC_SERVICE = ['rpc.service'] as const;
export const RPC_METHOD = ['rpc.method'] as const;
export const RPC_GRPC_STATUS = ['rpc.grpc.status_code', 'rpc.response.status_code'] as const;
export const DB_SYSTEM = ['db.system.name', 'db.system'] as const;
export const DB_OPERATION = ['db.operation.name', 'db.operation'] as const;
export const DB_TARGET = ['db.collection.name', 'db.mongodb.collection', 'db.sql.table'] as const;
export const DB_NAMESPACE = ['db.namespace', 'db.name'] as const;
export const DB_STATEMENT = ['db.query.text', 'db.statement'] as const;
export const MESSAGING_SYSTEM = ['messaging.system'] as const;
export const MESSAGING_DESTINATION = ['messaging.destination.name', 'messaging.destination'] as const;
