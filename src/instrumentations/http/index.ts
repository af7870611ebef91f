/**
 * CKHttpInstrumentation: the unmodified upstream `@opentelemetry/instrumentation-http` with CK
 * hooks (docs/http-express.md). User hooks given to the constructor are chained after ours.
 *
 * - requestHook: server → server.ts `onServerRequest` (ck-route adoption, headers, header-stage
 *   filters), then the request body observer; client → client.ts `onClientRequest` (ck-route),
 *   then the request body observer.
 * - responseHook: the response body observers.
 * - applyCustomAttributesOnSpan (just before the span ends): headers and bodies as attributes.
 * - Patch: the request gate (gate.ts), chained inside upstream's patch of `http` / `https`.
 */
import { ClientRequest, IncomingMessage, ServerResponse } from 'http';
import { context as apiContext, type Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation, type HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import type { InstrumentationContext } from '../../capture/context';
import { refineEntryFromRoute } from '../../graph';
import { isOwnEndpointRequest } from '../../lifecycle/own-endpoints';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { extendUpstream } from '../upstream';
import { onClientFinish, onClientRequest, onClientResponse } from './client';
import { REQUEST_GATE_PATCHES } from './gate';
import { observeIncomingBody, observeOutgoingBody } from './observers';
import { onServerFinish, onServerRequest, onServerResponse } from './server';

type HttpHook = (span: Span, message: unknown) => void;
type FinishHook = (span: Span, request: unknown, response: unknown) => void;

const GatedHttpInstrumentation = extendUpstream(HttpInstrumentation, { patches: REQUEST_GATE_PATCHES });

export class CKHttpInstrumentation extends CKInstrumentation<HttpInstrumentationConfig> {
  readonly libraryName = 'http';

  protected createUpstream(context: InstrumentationContext, userConfig: HttpInstrumentationConfig): Instrumentation {
    const requestHook: HttpHook = (span, request) => {
      if (request instanceof IncomingMessage) {
        const body = onServerRequest(context, span, request)?.request;
        if (body) observeIncomingBody(request, body);
      } else if (request instanceof ClientRequest) {
        const body = onClientRequest(context, span, request);
        if (body) observeOutgoingBody(request, body);
      }
    };
    const responseHook: HttpHook = (_span, response) => {
      if (response instanceof ServerResponse) {
        const body = onServerResponse(context, response);
        if (body) observeOutgoingBody(response, body);
      } else if (response instanceof IncomingMessage) {
        const body = onClientResponse(context, response);
        if (body) observeIncomingBody(response, body);
      }
    };
    const finishHook: FinishHook = (span, request, response) => {
      if (request instanceof IncomingMessage) {
        // A route a vanilla framework instrumentation matched (docs/coexistence.md).
        refineEntryFromRoute(apiContext.active());
        onServerFinish(context, span, request, response as ServerResponse);
      } else if (request instanceof ClientRequest) onClientFinish(context, span, request, response as IncomingMessage);
    };

    const userIgnore = userConfig.ignoreIncomingRequestHook;
    return new GatedHttpInstrumentation({
      ...userConfig,
      enabled: false,
      // The agent's own endpoints (Prometheus scrapes) are never app traffic; then the user's rule.
      ignoreIncomingRequestHook: (request) => isOwnEndpointRequest(request) || (userIgnore ? userIgnore(request) : false),
      requestHook: chainHooks('http requestHook', requestHook, userConfig.requestHook as HttpHook | undefined),
      responseHook: chainHooks('http responseHook', responseHook, userConfig.responseHook as HttpHook | undefined),
      applyCustomAttributesOnSpan: chainHooks(
        'http applyCustomAttributesOnSpan',
        finishHook,
        userConfig.applyCustomAttributesOnSpan as FinishHook | undefined
      ),
    });
  }
}
