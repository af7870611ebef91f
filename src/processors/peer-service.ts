/**
 * `peer.service` on client series (HTTP_CLIENT, GRPC_CLIENT, DATABASE, CACHE): the span's own
 * `peer.service` attribute when an instrumentation or the app set one, else
 * `peer_service_mapping` looked up by the called peer's `host:port`, then by `host`
 * (README, "Metrics": peer.service).
 *
 * It is applied where a span becomes an element (a decorator around the mappers, see
 * MapperRegistryOptions.peerServices), so the graph span processor and the metrics are
 * unchanged: the element simply carries one more series attribute. Only exit elements get it, and
 * exit elements never enter a path key (only a service's entry element is hashed), so path keys
 * and ck-route values are the same with or without it.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ElementType, GraphElement } from '../graph/types';
import { ATTR_PEER_SERVICE, SERVER_ADDRESS_KEYS, SERVER_PORT_KEYS, URL_FULL_KEYS } from '../semconv';
import { firstString } from './attributes';
import type { SpanMapper } from './mapper-registry';

export const PEER_SERVICE = ATTR_PEER_SERVICE;
const CLIENT_TYPES: ReadonlySet<ElementType> = new Set<ElementType>(['HTTP_CLIENT', 'GRPC_CLIENT', 'DATABASE', 'CACHE']);
const MAX_LENGTH = 256;

export class PeerServiceResolver {
  /** host (lower-case) -> port ('' = any port) -> name. */
  private readonly byHost = new Map<string, Map<string, string>>();

  constructor(mapping: Readonly<Record<string, string>> = {}) {
    for (const [key, name] of Object.entries(mapping)) {
      if (typeof name !== 'string' || name === '') continue;
      const { host, port } = splitHostPort(key.trim().toLowerCase());
      if (!host) continue;
      let ports = this.byHost.get(host);
      if (!ports) this.byHost.set(host, (ports = new Map()));
      ports.set(port, name.slice(0, MAX_LENGTH));
    }
  }

  /** The peer service of a client span, or undefined. */
  resolve(span: ReadableSpan): string | undefined {
    const attribute = span.attributes[PEER_SERVICE];
    if (typeof attribute === 'string' && attribute !== '')
      return attribute.length > MAX_LENGTH ? attribute.slice(0, MAX_LENGTH) : attribute;
    if (this.byHost.size === 0) return undefined;
    let host = firstString(span.attributes, SERVER_ADDRESS_KEYS);
    let port = firstString(span.attributes, SERVER_PORT_KEYS);
    if (!host) {
      const url = parseUrl(firstString(span.attributes, URL_FULL_KEYS));
      host = url?.hostname;
      port ??= url?.port || undefined;
    }
    if (!host) return undefined;
    const ports = this.byHost.get(host.toLowerCase()) ?? this.byHost.get(stripBrackets(host.toLowerCase()));
    if (!ports) return undefined;
    return (port !== undefined ? ports.get(port) : undefined) ?? ports.get('');
  }
}

/** `host`, `host:port`, `[v6]:port`, `[v6]`. */
function splitHostPort(key: string): { host: string; port: string } {
  if (key.startsWith('[')) {
    const end = key.indexOf(']');
    if (end < 0) return { host: key, port: '' };
    const rest = key.slice(end + 1);
    return { host: key.slice(1, end), port: rest.startsWith(':') ? rest.slice(1) : '' };
  }
  const colon = key.lastIndexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon < 0 || key.indexOf(':') !== colon) return { host: key, port: '' };
  return { host: key.slice(0, colon), port: key.slice(colon + 1) };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
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
 * The element with `peer.service` added, one object per (element, name): built-in elements are
 * cached objects, so repeated calls allocate nothing after the first.
 */
const derived = new WeakMap<GraphElement, Map<string, GraphElement>>();
const MAX_NAMES_PER_ELEMENT = 64;

export function withPeerService(element: GraphElement, peerService: string): GraphElement {
  if (element.attributes?.[PEER_SERVICE] === peerService) return element;
  let byName = derived.get(element);
  const hit = byName?.get(peerService);
  if (hit) return hit;
  const result: GraphElement = Object.freeze({
    type: element.type,
    name: element.name,
    role: element.role,
    attributes: Object.freeze({ ...(element.attributes ?? {}), [PEER_SERVICE]: peerService }),
  });
  if (!byName) derived.set(element, (byName = new Map()));
  if (byName.size >= MAX_NAMES_PER_ELEMENT) byName.clear();
  byName.set(peerService, result);
  return result;
}

/** `mapper` whose client elements carry the span's peer service. Name, kinds and markers unchanged. */
export function withPeerServices(mapper: SpanMapper, resolver: PeerServiceResolver): SpanMapper {
  return Object.freeze({
    name: mapper.name,
    kinds: mapper.kinds,
    markers: mapper.markers,
    map(span: ReadableSpan): GraphElement | undefined {
      const element = mapper.map(span);
      if (element === undefined || element.role !== 'exit' || !CLIENT_TYPES.has(element.type)) return element;
      const peerService = resolver.resolve(span);
      return peerService === undefined ? element : withPeerService(element, peerService);
    },
    isError: (span: ReadableSpan) => mapper.isError(span),
  });
}
