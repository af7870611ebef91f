/**
 * Span -> graph path element mappers, one per library family. Each reads stable and old
 * semantic-convention names (the `*_KEYS` lists of src/semconv.ts) and builds elements with the
 * builders of src/graph/elements.ts, so an entry element named at span start and the one mapped
 * at span end agree.
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
  destinationTemplate,
  routeTemplate,
  UNMATCHED_ROUTE,
} from '../graph';
import { summarizeSql } from '../sql/summary';
import type { GraphElement } from '../graph/types';
import { firstNumber, firstString } from './attributes';
import {
  ATTR_CK_HTTP_FRAMEWORK,
  DB_NAMESPACE_KEYS,
  DB_OPERATION_KEYS,
  DB_STATEMENT_KEYS,
  DB_SYSTEM_KEYS,
  DB_TARGET_KEYS,
  HTTP_METHOD_KEYS,
  HTTP_ROUTE_KEYS,
  HTTP_STATUS_KEYS,
  MESSAGING_DESTINATION_KEYS,
  MESSAGING_ROUTING_KEY_KEYS,
  MESSAGING_SYSTEM_KEYS,
  MONGO_COMMAND_COLLECTION,
  RPC_GRPC_STATUS_KEYS,
  RPC_METHOD_KEYS,
  RPC_SERVICE_KEYS,
  RPC_SYSTEM_KEYS,
  SERVER_ADDRESS_KEYS,
  SERVER_PORT_KEYS,
  URL_FULL_KEYS,
  URL_PATH_KEYS,
} from '../semconv';
import { MapperRegistry, type SpanMapper } from './mapper-registry';
import { PeerServiceResolver } from './peer-service';

/** A failed call: the span's own error status. */
function hasErrorStatus(span: ReadableSpan): boolean {
  return span.status.code === SpanStatusCode.ERROR;
}

/**
 * A server span without a framework route: `(unmatched)` when the request reached a framework's
 * router (scanners probing random URLs cannot fill the series cap), else a template of its path.
 */
function unroutedName(attributes: ReadableSpan['attributes']): string {
  if (attributes[ATTR_CK_HTTP_FRAMEWORK] !== undefined) return UNMATCHED_ROUTE;
  return routeTemplate(firstString(attributes, URL_PATH_KEYS) ?? '/');
}

export const httpServerMapper: SpanMapper = {
  name: 'http-server',
  kinds: [SpanKind.SERVER],
  markers: HTTP_METHOD_KEYS,
  map(span) {
    const attributes = span.attributes;
    const method = firstString(attributes, HTTP_METHOD_KEYS) ?? 'GET';
    const route = firstString(attributes, HTTP_ROUTE_KEYS) ?? unroutedName(attributes);
    return httpServiceElement(method, route);
  },
  // A server error is a 5xx; a 4xx (including a filter's 403) is the client's problem.
  isError(span) {
    const status = firstNumber(span.attributes, HTTP_STATUS_KEYS);
    return status !== undefined ? status >= 500 : hasErrorStatus(span);
  },
};

export const httpClientMapper: SpanMapper = {
  name: 'http-client',
  kinds: [SpanKind.CLIENT],
  markers: HTTP_METHOD_KEYS,
  map(span) {
    const attributes = span.attributes;
    const method = firstString(attributes, HTTP_METHOD_KEYS) ?? 'GET';
    let host = firstString(attributes, SERVER_ADDRESS_KEYS);
    let port = firstString(attributes, SERVER_PORT_KEYS);
    let path = firstString(attributes, URL_PATH_KEYS);
    if (!host || !path) {
      const parsed = parseUrl(firstString(attributes, URL_FULL_KEYS));
      host ??= parsed?.hostname;
      port ??= parsed?.port || undefined;
      path ??= parsed?.pathname;
    }
    return httpClientElement(method, hostPort(host, port), routeTemplate(path ?? '/'));
  },
  isError: hasErrorStatus,
};

function isGrpcOk(span: ReadableSpan): boolean {
  const code = firstNumber(span.attributes, RPC_GRPC_STATUS_KEYS);
  return code === undefined ? !hasErrorStatus(span) : code === 0;
}

export const grpcServerMapper: SpanMapper = {
  name: 'grpc-server',
  kinds: [SpanKind.SERVER],
  markers: RPC_SYSTEM_KEYS,
  map(span) {
    const [service, method] = rpcNames(span);
    return grpcServiceElement(service, method);
  },
  isError: (span) => !isGrpcOk(span),
};

export const grpcClientMapper: SpanMapper = {
  name: 'grpc-client',
  kinds: [SpanKind.CLIENT],
  markers: RPC_SYSTEM_KEYS,
  map(span) {
    const [service, method] = rpcNames(span);
    const host = firstString(span.attributes, SERVER_ADDRESS_KEYS);
    const port = firstString(span.attributes, SERVER_PORT_KEYS);
    return grpcClientElement(service, method, hostPort(host, port));
  },
  isError: (span) => !isGrpcOk(span),
};

/** rpc.service / rpc.method, else parsed from a `pkg.Service/Method` span name. */
function rpcNames(span: ReadableSpan): [string, string] {
  const service = firstString(span.attributes, RPC_SERVICE_KEYS);
  const method = firstString(span.attributes, RPC_METHOD_KEYS);
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
  markers: DB_SYSTEM_KEYS,
  map(span) {
    const attributes = span.attributes;
    const system = firstString(attributes, DB_SYSTEM_KEYS) ?? 'other_sql';
    const statement = firstString(attributes, DB_STATEMENT_KEYS);
    if (CACHE_SYSTEMS.has(system)) {
      const command = firstString(attributes, DB_OPERATION_KEYS) ?? firstWord(statement) ?? span.name;
      return cacheElement(system, command);
    }
    let operation = firstString(attributes, DB_OPERATION_KEYS);
    let target = firstString(attributes, DB_TARGET_KEYS);
    if (target === MONGO_COMMAND_COLLECTION) target = undefined;
    if ((!operation || !target) && statement) {
      const summary = summarizeSql(statement);
      operation ??= summary.operation;
      target ??= summary.table;
    }
    return databaseElement(system, operation ?? span.name, target, firstString(attributes, DB_NAMESPACE_KEYS));
  },
  isError: hasErrorStatus,
};

/**
 * `<system> <destination>` (docs/messaging.md): the destination name, else (RabbitMQ's default
 * exchange, whose name is empty) the routing key, i.e. the queue; ids collapsed to `{id}`.
 */
function messagingMapper(kind: 'consumer' | 'producer'): SpanMapper {
  return {
    name: `messaging-${kind}`,
    kinds: kind === 'consumer' ? [SpanKind.CONSUMER] : [SpanKind.PRODUCER],
    markers: MESSAGING_SYSTEM_KEYS,
    map(span) {
      const system = firstString(span.attributes, MESSAGING_SYSTEM_KEYS) ?? 'unknown';
      const destination =
        firstString(span.attributes, MESSAGING_DESTINATION_KEYS) ?? firstString(span.attributes, MESSAGING_ROUTING_KEY_KEYS) ?? 'unknown';
      return messagingElement(kind, system, destinationTemplate(destination));
    },
    isError: hasErrorStatus,
  };
}

/**
 * The registry with every built-in mapper (more specific markers first), behind the mappers of
 * registerMapper(). Client elements carry `peer.service` (span attribute, else
 * `peerServiceMapping`: the agent passes config.peerServiceMapping).
 */
export function defaultMapperRegistry(options: { peerServiceMapping?: Readonly<Record<string, string>> } = {}): MapperRegistry {
  return new MapperRegistry({ withRegisteredMappers: true, peerServices: new PeerServiceResolver(options.peerServiceMapping) })
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

export type { GraphElement };
