/**
 * Express matched route → the request's entry element (recording; see index.ts for why here).
 */
import { context, type Span } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import { ExpressLayerType, type ExpressRequestInfo } from '@opentelemetry/instrumentation-express';
import { httpServiceElement, pathStateOf } from '../../graph';

/** requestHook: moves the request's path entry to the matched route before its handlers run. */
export function refineEntryToRoute(span: Span, info: ExpressRequestInfo): void {
  if (info.layerType !== ExpressLayerType.REQUEST_HANDLER) return;
  const metadata = getRPCMetadata(context.active());
  const route = metadata?.type === RPCType.HTTP ? metadata.route : undefined;
  if (typeof route !== 'string' || route.length === 0) return;
  const state = pathStateOf(span) ?? pathStateOf(metadata?.span);
  const method = (info.request as { method?: string } | undefined)?.method ?? 'GET';
  state?.setEntry(httpServiceElement(method, route));
}
