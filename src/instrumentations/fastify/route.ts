/**
 * Fastify route → the request's entry element (recording; see index.ts for why here).
 */
import type { Span } from '@opentelemetry/api';
import { activeServerSpan, markFrameworkReached, refineEntryToRoute, refineEntryToUnmatched } from '../http/framework-route';

interface FastifyRequestLike {
  method?: unknown;
  /** The matched route's options; `url` is absent for the not-found handler. */
  routeOptions?: { url?: unknown };
}

/**
 * requestHook (in `onRequest`, after routing, before the app's hooks): the route's template, or
 * `(unmatched)` when Fastify found no route.
 */
export function refineEntryToFastifyRoute(_span: Span, request: unknown): void {
  const req = request as FastifyRequestLike | undefined;
  const server = activeServerSpan();
  if (!server) return;
  const url = req?.routeOptions?.url;
  if (typeof url === 'string' && url.length > 0) {
    markFrameworkReached('fastify', server);
    refineEntryToRoute(server, req?.method, url);
  } else {
    refineEntryToUnmatched(server, 'fastify', req?.method);
  }
}
