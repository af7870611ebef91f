/**
 * CKUndiciInstrumentation: the unmodified upstream `@opentelemetry/instrumentation-undici` (the
 * global `fetch` and the `undici` package, both report on undici's diagnostics channels) with CK
 * hooks (docs/undici.md). User hooks given to the constructor are chained after ours.
 *
 * - requestHook (request created, before upstream injects the global propagator's headers):
 *   request.ts `onUndiciRequest` (ck-route, duplicate-safe header injection, request capture).
 * - responseHook (response headers received): request.ts `onUndiciResponse` (header capture).
 * - No module patch: undici publishes its own diagnostics channels, so nothing is loaded or
 *   patched and there is no load-order problem (registry `modules: []`).
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation, type UndiciInstrumentationConfig } from '@opentelemetry/instrumentation-undici';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { onUndiciRequest, onUndiciResponse } from './request';

type RequestHook = NonNullable<UndiciInstrumentationConfig['requestHook']>;
type ResponseHook = NonNullable<UndiciInstrumentationConfig['responseHook']>;

export class CKUndiciInstrumentation extends CKInstrumentation<UndiciInstrumentationConfig> {
  readonly libraryName = 'undici';

  protected createUpstream(context: InstrumentationContext, userConfig: UndiciInstrumentationConfig): Instrumentation {
    const requestHook: RequestHook = (span, request) => onUndiciRequest(context, span, request);
    const responseHook: ResponseHook = (span, info) => onUndiciResponse(context, span, info.request, info.response);
    const config: UndiciInstrumentationConfig = {
      ...userConfig,
      requestHook: chainHooks('undici requestHook', requestHook, userConfig.requestHook),
      responseHook: chainHooks('undici responseHook', responseHook, userConfig.responseHook),
    };
    const upstream = new UndiciInstrumentation({ ...config, enabled: false });
    // Upstream reads `enabled` from its config on every request (not only at construction):
    // constructed disabled so it subscribes nothing yet, then switched on for enable().
    upstream.setConfig({ ...config, enabled: true });
    return upstream;
  }
}
