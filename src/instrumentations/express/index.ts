/**
 * CKExpressInstrumentation: the unmodified upstream `@opentelemetry/instrumentation-express`
 * (Express 4 and 5) with one CK hook (docs/http-express.md).
 *
 * - Route → graph path: upstream's requestHook runs for a `request_handler` layer right before the
 *   matched route's handlers, after upstream stored the matched route in the request's RPC
 *   metadata (the value that becomes the server span's `http.route`). route.ts refines the
 *   request's entry element to that route, so the key changes BEFORE the handler runs and every
 *   call the handler makes carries the final key; the span's own `http.route` gives the same
 *   element at span end, so the processor has nothing left to re-key.
 * - Spans: per-middleware spans are skipped by default (`ignoreLayersType: ['middleware']`), so an
 *   Express route costs the HTTP server span plus one request-handler span. A user
 *   `ignoreLayersType` replaces the default.
 * - Unmatched: patch.ts marks every request that reaches the app; one no route (nor mounted
 *   path) matched is named `<METHOD> (unmatched)` at span end, never after its URL.
 * - Body-stage filters need no Express code: they run when the request body ends, which is inside
 *   the body-parsing middleware, before it calls next() (../http/server.ts).
 * - Enabling it enables CK http when none is enabled (base.ts `requiresHttp`).
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType, type ExpressInstrumentationConfig } from '@opentelemetry/instrumentation-express';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { extendUpstream } from '../upstream';
import { APP_REACHED_PATCH } from './patch';
import { refineEntryToRoute } from './route';

const RoutedExpressInstrumentation = extendUpstream(ExpressInstrumentation, { patches: [APP_REACHED_PATCH] });

export class CKExpressInstrumentation extends CKInstrumentation<ExpressInstrumentationConfig> {
  readonly libraryName = 'express';
  protected override readonly requiresHttp = true;

  protected createUpstream(_context: InstrumentationContext, userConfig: ExpressInstrumentationConfig): Instrumentation {
    return new RoutedExpressInstrumentation({
      ...userConfig,
      enabled: false,
      ignoreLayersType: userConfig.ignoreLayersType ?? [ExpressLayerType.MIDDLEWARE],
      requestHook: chainHooks('express requestHook', refineEntryToRoute, userConfig.requestHook),
    });
  }
}
