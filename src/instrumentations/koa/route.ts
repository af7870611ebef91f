/**
 * Koa matched route → the request's entry element (recording; see index.ts for why here).
 */
import type { Span } from '@opentelemetry/api';
import { KoaLayerType, type KoaRequestInfo } from '@opentelemetry/instrumentation-koa';
import { activeServerSpan, refineEntryToRoute } from '../http/framework-route';

interface RoutedContext {
  method?: unknown;
  /** Set by @koa/router before a matched route's middleware runs (a string, or a RegExp route). */
  _matchedRoute?: unknown;
}

/** requestHook: moves the request's path entry to the matched route before its middleware runs. */
export function refineEntryToKoaRoute(_span: Span, info: KoaRequestInfo): void {
  if (info.layerType !== KoaLayerType.ROUTER) return;
  const ctx = info.context as RoutedContext | undefined;
  const matched = ctx?._matchedRoute;
  if (matched === undefined || matched === null) return;
  const route = typeof matched === 'string' ? matched : String(matched);
  if (route.length === 0) return;
  refineEntryToRoute(activeServerSpan(), ctx?.method, route);
}
