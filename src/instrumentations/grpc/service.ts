/**
 * Upstream starts gRPC server spans with no attributes and sets `rpc.system`, `rpc.service` and
 * `rpc.method` right after. Adding the same values to the start options (parsed the same way from
 * the span name `grpc.<service>/<method>`) lets the graph processor name the GRPC_SERVICE entry at
 * span start, the one place every entry element is named.
 */
import { SpanKind } from '@opentelemetry/api';
import type { SpanStartAdjuster } from '../upstream';
import { splitPath } from './status';

const SPAN_NAME_PREFIX = 'grpc.';

export const withServerRpcAttributes: SpanStartAdjuster = (name, options) => {
  if (options?.kind !== SpanKind.SERVER || !name.startsWith(SPAN_NAME_PREFIX)) return undefined;
  const { service, method } = splitPath(name.slice(SPAN_NAME_PREFIX.length));
  return {
    name,
    options: { ...options, attributes: { ...options.attributes, 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
  };
};
