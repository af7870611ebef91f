/**
 * What a server framework (Express, Koa, Fastify) tells the request's HTTP server span, recording
 * (docs/frameworks.md). The entry element was named when the server span started; a framework
 * only refines it (docs/architecture.md):
 * - the matched route, before the route's handler runs, so its outgoing calls carry the final key;
 * - that the request reached the framework's router (`ck.http.framework`): a request without a
 *   route then ends as `<METHOD> (unmatched)` (src/processors/mappers.ts), never as its raw URL.
 */
import { context, type Span } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import { httpServiceElement, pathStateOf, UNMATCHED_ROUTE } from '../../graph';
import { ATTR_CK_HTTP_FRAMEWORK } from '../../semconv';

export type FrameworkName = 'express' | 'koa' | 'fastify';

/**
 * The HTTP server span of the request being served (its RPC metadata, set by the HTTP
 * instrumentation, lives in the context of everything the request runs), if it is a CK span.
 */
export function activeServerSpan(): Span | undefined {
  const metadata = getRPCMetadata(context.active());
  const span = metadata?.type === RPCType.HTTP ? metadata.span : undefined;
  return pathStateOf(span) ? span : undefined;
}

/** The request reached `framework`'s router: without a route it is named `(unmatched)`. */
export function markFrameworkReached(framework: FrameworkName, serverSpan: Span | undefined = activeServerSpan()): void {
  serverSpan?.setAttribute(ATTR_CK_HTTP_FRAMEWORK, framework);
}

/** Moves the request's entry to the matched route (before its handler runs). */
export function refineEntryToRoute(serverSpan: Span | undefined, method: unknown, route: string): void {
  pathStateOf(serverSpan)?.setEntry(httpServiceElement(typeof method === 'string' ? method : 'GET', route));
}

/** The framework knows already that no route matched: the key is final for the not-found handler too. */
export function refineEntryToUnmatched(serverSpan: Span | undefined, framework: FrameworkName, method: unknown): void {
  markFrameworkReached(framework, serverSpan);
  refineEntryToRoute(serverSpan, method, UNMATCHED_ROUTE);
}
