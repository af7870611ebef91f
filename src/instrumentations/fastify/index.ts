/**
 * CKFastifyInstrumentation: the unmodified `@fastify/otel` (Fastify 4 and 5), the instrumentation
 * the Fastify and OpenTelemetry projects point to (the contrib `instrumentation-fastify` is
 * deprecated); why, and what it costs, in docs/frameworks.md.
 *
 * - Attaching: `registerOnInitialization` registers its plugin on every Fastify instance created
 *   after `enable()` (the `fastify.initialization` diagnostics channel), so nothing is patched and
 *   an already-loaded `fastify` module is no problem; instances created before `enable()` are not
 *   instrumented (docs/load-order.md).
 * - Route → graph path: its `requestHook` runs in the plugin's `onRequest` hook, the first hook of
 *   every request, after Fastify routed it: route.ts refines the entry to the route (or to
 *   `<METHOD> (unmatched)` for the not-found handler) before any hook or handler of the app runs.
 * - Spans: the per-hook spans are off by default (`instrumentHooks: false`), as Express skips its
 *   middleware spans; a request costs the HTTP server span, one `request` span and one handler
 *   span. A user `instrumentHooks` replaces the default.
 * - Body-stage filters and capture need no Fastify code: they observe the raw request stream that
 *   Fastify's content-type parser reads (../http/server.ts), so a blocked body never reaches the
 *   handler.
 * - Enabling it enables CK http when none is enabled (base.ts `requiresHttp`).
 */
import type { Span } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { refineEntryToFastifyRoute } from './route';

/**
 * `@fastify/otel`'s options (its `FastifyOtelInstrumentationOpts`), restated so the public types of
 * ck-agent do not need Fastify's own types installed.
 */
export interface CKFastifyInstrumentationConfig extends InstrumentationConfig {
  /** Glob of route URLs, or a predicate on `{ url, method }`, that get no spans. */
  ignorePaths?: string | ((routeOptions: { url: string; method: string }) => boolean);
  /** Runs with the `request` span and the Fastify request, in the first `onRequest` hook. */
  requestHook?: (span: Span, request: unknown) => void;
  /** Runs with each hook/handler span. */
  lifecycleHook?: (span: Span, info: { hookName: string; request: unknown; handler: string }) => void;
  recordExceptions?: boolean;
  /** Spans per lifecycle hook: `true`, `false` (the CK default) or a list of hook names. */
  instrumentHooks?: boolean | string[];
  /** A span for the route handler (default true). */
  instrumentHandler?: boolean;
}

type FastifyOtelClass = new (config: CKFastifyInstrumentationConfig & { registerOnInitialization: boolean }) => Instrumentation;

export class CKFastifyInstrumentation extends CKInstrumentation<CKFastifyInstrumentationConfig> {
  readonly libraryName = 'fastify';
  protected override readonly requiresHttp = true;

  protected createUpstream(_context: InstrumentationContext, userConfig: CKFastifyInstrumentationConfig): Instrumentation {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with this class only (registry.ts is lazy)
    const { FastifyOtelInstrumentation } = require('@fastify/otel') as { FastifyOtelInstrumentation: FastifyOtelClass };
    return new FastifyOtelInstrumentation({
      ...userConfig,
      enabled: false,
      registerOnInitialization: true,
      instrumentHooks: userConfig.instrumentHooks ?? false,
      requestHook: chainHooks('fastify requestHook', refineEntryToFastifyRoute, userConfig.requestHook),
    });
  }
}
