/**
 * CKKoaInstrumentation: the unmodified upstream `@opentelemetry/instrumentation-koa` (Koa 2 and 3,
 * routes of `@koa/router`) with one CK hook and one patch (docs/frameworks.md).
 *
 * - Route → graph path: upstream's requestHook runs for each `router` layer right before the
 *   matched route's middleware, after upstream stored `ctx._matchedRoute` in the request's RPC
 *   metadata (the value that becomes the server span's `http.route`). route.ts refines the entry
 *   to that route there, so calls made by the handler carry the final key; the processor has
 *   nothing left to re-key at span end.
 * - Unmatched: patch.ts marks a request that reached a router's dispatch middleware; one that
 *   matched no route is named `<METHOD> (unmatched)`, never after its URL.
 * - Spans: per-middleware spans are skipped by default (`ignoreLayersType: ['middleware']`), as
 *   for Express; route middleware still gets its span (the hook above runs there). A user
 *   `ignoreLayersType` replaces the default.
 * - Body-stage filters and capture need no Koa code: they observe the request stream that a body
 *   parser reads (../http/server.ts), before the parser resolves and the route runs.
 * - Enabling it enables CK http when none is enabled (base.ts `requiresHttp`).
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { KoaInstrumentation, KoaLayerType, type KoaInstrumentationConfig } from '@opentelemetry/instrumentation-koa';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { extendUpstream } from '../upstream';
import { ROUTER_REACHED_PATCH } from './patch';
import { refineEntryToKoaRoute } from './route';

const RoutedKoaInstrumentation = extendUpstream(KoaInstrumentation, { patches: [ROUTER_REACHED_PATCH] });

export class CKKoaInstrumentation extends CKInstrumentation<KoaInstrumentationConfig> {
  readonly libraryName = 'koa';
  protected override readonly requiresHttp = true;

  protected createUpstream(_context: InstrumentationContext, userConfig: KoaInstrumentationConfig): Instrumentation {
    return new RoutedKoaInstrumentation({
      ...userConfig,
      enabled: false,
      ignoreLayersType: userConfig.ignoreLayersType ?? [KoaLayerType.MIDDLEWARE],
      requestHook: chainHooks('koa requestHook', refineEntryToKoaRoute, userConfig.requestHook),
    });
  }
}
