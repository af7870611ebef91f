/**
 * CKExpressInstrumentation: the unmodified upstream `@opentelemetry/instrumentation-express`
 * (Express 4 and 5) with one CK hook.
 *
 * - Route → graph path: upstream's requestHook runs for a `request_handler` layer right before
 *   the matched route's handlers, after upstream has stored the matched route in the request's
 *   RPC metadata (the value that becomes the server span's `http.route`). The hook sets the entry
 *   element `httpServiceElement(method, route)` on the request's path state, so the key changes
 *   BEFORE the handler runs and every call the handler makes carries the final key. Using the
 *   same route value the span gets keeps the early key and the key recorded at span end equal.
 *   (If the user ignores `request_handler` layers, the key is still corrected at span end, but
 *   calls made by the handler carry the route-template key.)
 * - Spans: per-middleware spans are skipped by default (`ignoreLayersType: ['middleware']`), so
 *   an Express route costs the HTTP server span plus one request-handler span (routers add one
 *   short span each). A user `ignoreLayersType` replaces the default.
 * - Body-stage filters need no Express code: they run when the request body ends, which is
 *   inside the body-parsing middleware, before it calls next() (src/helpers/http-capture.ts).
 * - The `express5` package name (Express 5 installed under an npm alias, as in this repo's
 *   tests) is instrumented like `express`.
 */
import { context, type Span } from '@opentelemetry/api';
import { RPCType, getRPCMetadata } from '@opentelemetry/core';
import { InstrumentationNodeModuleDefinition, type Instrumentation } from '@opentelemetry/instrumentation';
import {
  ExpressInstrumentation,
  ExpressLayerType,
  type ExpressInstrumentationConfig,
  type ExpressRequestInfo,
} from '@opentelemetry/instrumentation-express';
import type { CKAgent } from '../../agent';
import { httpServiceElement } from '../../graph';
import { spanPathState } from '../../graph/entry';
import { describeError, logger } from '../../logger';
import { CKInstrumentation, chainHooks } from '../base';

/** Module names patched like `express`. */
const EXPRESS_ALIASES = ['express5'];

class AliasedExpressInstrumentation extends ExpressInstrumentation {
  override init(): InstrumentationNodeModuleDefinition[] {
    const definitions = super.init();
    const express = definitions.find((d) => d.name === 'express');
    if (!express) return definitions;
    const aliases = EXPRESS_ALIASES.map(
      (name) => new InstrumentationNodeModuleDefinition(name, express.supportedVersions, express.patch, express.unpatch)
    );
    return [...definitions, ...aliases];
  }
}

/** Moves the request's path entry to the matched route before the route's handlers run. */
function updateEntryOnRoute(span: Span, info: ExpressRequestInfo): void {
  try {
    if (info.layerType !== ExpressLayerType.REQUEST_HANDLER) return;
    const metadata = getRPCMetadata(context.active());
    const route = metadata?.type === RPCType.HTTP ? metadata.route : undefined;
    if (typeof route !== 'string' || route.length === 0) return;
    const state = spanPathState(span) ?? spanPathState(metadata?.span);
    const method = (info.request as { method?: string } | undefined)?.method ?? 'GET';
    state?.setEntry(httpServiceElement(method, route));
  } catch (err) {
    logger.once('warn', 'hook:express requestHook', `ck-agent express requestHook failed and was skipped: ${describeError(err)}`);
  }
}

/** Main files of Express packages in the require cache (loaded before enable()). */
const EXPRESS_MAIN = /[\\/]node_modules[\\/](?:express|express5)[\\/]index\.js$/;

export class CKExpressInstrumentation extends CKInstrumentation<ExpressInstrumentationConfig> {
  readonly libraryName = 'express';

  /**
   * Upstream patches Express when it is next required. An app that required Express before
   * enable() would stay unpatched, so already-loaded Express packages are required again here
   * (a cache hit that runs the require hook). Routes registered before this point get no spans.
   */
  protected override patchGaps(): void {
    for (const file of Object.keys(require.cache)) {
      if (!EXPRESS_MAIN.test(file)) continue;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(file);
      } catch {
        // not ours to fix
      }
    }
  }

  protected createUpstream(_agent: CKAgent, userConfig: ExpressInstrumentationConfig): Instrumentation {
    return new AliasedExpressInstrumentation({
      ...userConfig,
      enabled: false,
      ignoreLayersType: userConfig.ignoreLayersType ?? [ExpressLayerType.MIDDLEWARE],
      requestHook: chainHooks('express requestHook', updateEntryOnRoute, userConfig.requestHook),
    });
  }
}
