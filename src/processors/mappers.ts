/**
 * Span -> graph path element mappers, one per library family. Each reads stable and old
 * semantic-convention names (see attributes.ts) and builds elements with the same builders the
 * wrappers use (src/graph/elements), so an entry element named at request start and the one
 * mapped at span end agree.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  cacheElement,
  databaseElement,
  grpcClientElement,
  grpcServiceElement,
  httpClientElement,
  httpServiceElement,
  messagingElement,
  routeTemplate,
  summarizeSql,
} from '../graph';
import type { GraphElement } from '../graph/types';
import {
  DB_NAMESPACE,
  DB_OPERATION,
  DB_STATEMENT,
  DB_SYSTEM,
  DB_TARGET,
  HTTP_METHOD,
  HTTP_ROUTE,
  HTTP_STATUS,
  MESSAGING_DESTINATION,
  MESSAGING_SYSTEM,
  RPC_GRPC_STATUS,
  RPC_METHOD,
  RPC_SERVICE,
  RPC_SYSTEM,
  SERVER_ADDRESS,
  SERVER_PORT,
  URL_FULL,
  URL_PATH,
  firstNumber,
  firstString,
} from './attributes';
import { MapperRegistry, type SpanMapper } from './mapper-registry';

/** A failed call: the span's own error status. */
function hasErrorStatus(span: ReadableSpan): boolean {
  return span.status.code === SpanStatusCode.ERROR;
}

export const httpServerMapper: SpanMapper = {
  name: 'http-server',
  kinds: [SpanKind.SERVER],
  markers: HTTP_METHOD,
  map(span) {
    const attributes = span.attributes;
    const method = firstString(attributes, HTTP_METHOD) ?? 'GET';
    const route = firstString(attributes, HTTP_ROUTE) ?? routeTemplate(firstString(attributes, URL_PATH) ?? '/');
    return httpServiceElement(method, route);
  },
  // A server error is a 5xx; a 4xx (including a filter's 403) is the client's problem.
  isError(span) {
    const status = firstNumber(span.attributes, HTTP_STATUS);
    return status !== undefined ? status >= 500 : hasErrorStatus(span);
  },
};

export const httpClientMapper: SpanMapper = {
  name: 'http-client',
  kinds: [SpanKind.CLIENT],
  markers: HTTP_METHOD,
  map(span) {
    const attributes = span.attributes;
    const method = firstString(attributes, HTTP_METHOD) ?? 'GET';
    let host = firstString(attributes, SERVER_ADDRESS);
    let port = firstString(attributes, SERVER_PORT);
    let path = firstString(attributes, URL_PATH);
    if (!host || !path) {
      const parsed = parseUrl(firstString(attributes, URL_FULL));
      host ??= parsed?.hostname;
      port ??= parsed?.port || undefined;
      path ??= parsed?.pathname;
    }
    return httpClientElement(method, hostPort(host, port), routeTemplate(path ?? '/'));
  },
  isError: hasErrorStatus,
};

function isGrpcOk(span: ReadableSpan): boolean {
  const code = firstNumber(span.attributes, RPC_GRPC_STATUS);
  return code === undefined ? !hasErrorStatus(span) : code === 0;
}

export const grpcServerMapper: SpanMapper = {
  name: 'grpc-server',
  kinds: [SpanKind.SERVER],
  markers: RPC_SYSTEM,
  map(span) {
    const [service, method] = rpcNames(span);
    return grpcServiceElement(service, method);
  },
  isError: (span) => !isGrpcOk(span),
};

export const grpcClientMapper: SpanMapper = {
  name: 'grpc-client',
  kinds: [SpanKind.CLIENT],
  markers: RPC_SYSTEM,
  map(span) {
    const [service, method] = rpcNames(span);
    const host = firstString(span.attributes, SERVER_ADDRESS);
    const port = firstString(span.attributes, SERVER_PORT);
    return grpcClientElement(service, method, hostPort(host, port));
  },
  isError: (span) => !isGrpcOk(span),
};

/** rpc.service / rpc.method, else parsed from a `pkg.Service/Method` span name. */
function rpcNames(span: ReadableSpan): [string, string] {
  const service = firstString(span.attributes, RPC_SERVICE);
  const method = firstString(span.attributes, RPC_METHOD);
  if (service && method) return [service, method];
  const name = span.name.replace(/^grpc\./, '');
  const slash = name.lastIndexOf('/');
  if (slash > 0) return [service ?? name.slice(0, slash), method ?? name.slice(slash + 1)];
  return [service ?? 'unknown', method ?? 'unknown'];
}

const CACHE_SYSTEMS = new Set(['redis', 'memcached', 'valkey']);

export const databaseMapper: SpanMapper = {
  name: 'database',
  kinds: [SpanKind.CLIENT],
  markers: DB_SYSTEM,
  map(span) {
    const attributes = span.attributes;
    const system = firstString(attributes, DB_SYSTEM) ?? 'other_sql';
    const statement = firstString(attributes, DB_STATEMENT);
    if (CACHE_SYSTEMS.has(system)) {
      const command = firstString(attributes, DB_OPERATION) ?? firstWord(statement) ?? span.name;
      return cacheElement(system, command);
    }
    let operation = firstString(attributes, DB_OPERATION);
    let target = firstString(attributes, DB_TARGET);
    if ((!operation || !target) && statement) {
      const summary = cachedSqlSummary(statement);
      operation ??= summary.operation;
      target ??= summary.table;
    }
    return databaseElement(system, operation ?? span.name, target, firstString(attributes, DB_NAMESPACE));
  },
  isError: hasErrorStatus,
};

function messagingMapper(kind: 'consumer' | 'producer'): SpanMapper {
  return {
    name: `messaging-${kind}`,
    kinds: kind === 'consumer' ? [SpanKind.CONSUMER] : [SpanKind.PRODUCER],
    markers: MESSAGING_SYSTEM,
    map(span) {
      const system = firstString(span.attributes, MESSAGING_SYSTEM) ?? 'unknown';
      const destination = firstString(span.attributes, MESSAGING_DESTINATION) ?? 'unknown';
      return messagingElement(kind, system, destination);
    },
    isError: hasErrorStatus,
  };
}

/** The registry with every built-in mapper; more specific markers are registered first. */
export function defaultMapperRegistry(): MapperRegistry {
  return new MapperRegistry()
    .register(grpcServerMapper)
    .register(grpcClientMapper)
    .register(databaseMapper)
    .register(httpServerMapper)
    .register(httpClientMapper)
    .register(messagingMapper('consumer'))
    .register(messagingMapper('producer'));
}

/** `host:port` of the called peer, as client element names and `server.address` carry it. */
function hostPort(host: string | undefined, port: string | undefined): string {
  if (!host) return 'unknown';
  return port ? `${host}:${port}` : host;
}

function firstWord(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = /^\s*([A-Za-z]+)/.exec(text.slice(0, 64));
  return match ? match[1].toUpperCase() : undefined;
}

function parseUrl(url: string | undefined): URL | undefined {
  if (!url) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * Statements repeat (parameterised queries), so summaries are cached; the cache is cleared when
 * full rather than tracked LRU, which keeps it bounded with no per-hit bookkeeping.
 */
const SQL_SUMMARY_CACHE_LIMIT = 1000;
const sqlSummaryCache = new Map<string, { operation: string; table?: string }>();

function cachedSqlSummary(statement: string): { operation: string; table?: string } {
  let summary = sqlSummaryCache.get(statement);
  if (!summary) {
    summary = summarizeSql(statement);
    if (sqlSummaryCache.size >= SQL_SUMMARY_CACHE_LIMIT) sqlSummaryCache.clear();
    if (statement.length <= 4096) sqlSummaryCache.set(statement, summary);
  }
  return summary;
}

export type { GraphElement };
