/**
 * CKHttpInstrumentation: the unmodified upstream `@opentelemetry/instrumentation-http`, with CK
 * hooks (capture logic: src/helpers/http-capture.ts) and one small gap patch.
 *
 * Hooks used (user hooks given to the constructor are chained after ours):
 * - requestHook: server → graph path entry, request headers, header-stage filters, request body
 *   observer; client → ck-route injection, request body observer.
 * - responseHook: server → response body observer; client → response body observer.
 * - applyCustomAttributesOnSpan (runs just before the span ends): response headers, bodies,
 *   `ck.capture.truncated`.
 * Gap: upstream cannot keep a request away from the app, so a filter's header-stage block needs
 * a gate between upstream's `Server.prototype.emit` patch and the app's 'request' listeners.
 * The gate is installed by wrapping upstream's own module patch (so it always sits directly
 * inside upstream's wrapper, whatever the enable/disable order) and removed with it.
 */
import { IncomingMessage, ServerResponse } from 'http';
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation, type HttpInstrumentationConfig } from '@opentelemetry/instrumentation-http';
import type { CKAgent } from '../../agent';
import {
  HttpCaptureSettings,
  blockedBeforeApp,
  isClientRequest,
  isServerRequest,
  onClientFinish,
  onClientRequest,
  onClientResponse,
  onServerFinish,
  onServerRequest,
  onServerResponse,
} from './capture';
import { hasUrlFilters } from '../../filters/registry';
import { describeError, logger } from '../../logger';
import { CKInstrumentation, chainHooks } from '../base';

type EmitFn = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

interface GateRecord {
  gate: EmitFn;
  original: EmitFn;
  hadOwn: boolean;
}

/** Server prototypes (http, https) carrying our gate. */
const gates = new WeakMap<object, GateRecord>();

function installGate(moduleExports: unknown): void {
  const proto = (moduleExports as { Server?: { prototype?: { emit?: EmitFn } } } | undefined)?.Server?.prototype;
  if (!proto || typeof proto.emit !== 'function' || gates.has(proto)) return;
  const original = proto.emit;
  const gate: EmitFn = function ckRequestGate(this: unknown, event: string | symbol) {
    // eslint-disable-next-line prefer-rest-params
    // Only a header-stage filter can block here; without one this is a single length check.
    if (event === 'request' && hasUrlFilters() && blockedBeforeApp(arguments[1], arguments[2])) return true;
    // eslint-disable-next-line prefer-rest-params
    return original.apply(this, arguments as unknown as [string]);
  };
  gates.set(proto, { gate, original, hadOwn: Object.prototype.hasOwnProperty.call(proto, 'emit') });
  Object.defineProperty(proto, 'emit', { value: gate, writable: true, configurable: true, enumerable: false });
}

function removeGate(moduleExports: unknown): void {
  const proto = (moduleExports as { Server?: { prototype?: { emit?: EmitFn } } } | undefined)?.Server?.prototype;
  const record = proto ? gates.get(proto) : undefined;
  if (!proto || !record) return;
  // Someone wrapped on top of us: leave the gate (it is transparent without a blocked request).
  if (proto.emit !== record.gate) return;
  if (record.hadOwn) Object.defineProperty(proto, 'emit', { value: record.original, writable: true, configurable: true, enumerable: false });
  else delete (proto as { emit?: EmitFn }).emit;
  gates.delete(proto);
}

/** Upstream, unchanged, except that its module patch also places / removes our gate. */
class GatedHttpInstrumentation extends HttpInstrumentation {
  override init(): ReturnType<HttpInstrumentation['init']> {
    const definitions = super.init();
    for (const definition of definitions) {
      const patch = definition.patch;
      const unpatch = definition.unpatch;
      definition.patch = (moduleExports: unknown, version?: string) => {
        try {
          installGate(moduleExports);
        } catch (err) {
          logger.once('warn', 'http-gate', `request filter gate not installed (header-stage blocks will not stop the app): ${describeError(err)}`);
        }
        return patch ? patch(moduleExports, version) : moduleExports;
      };
      definition.unpatch = (moduleExports: unknown, version?: string) => {
        unpatch?.(moduleExports, version);
        try {
          removeGate(moduleExports);
        } catch {
          // leaving a transparent gate behind is harmless
        }
      };
    }
    return definitions;
  }
}

function logHookError(kind: string, err: unknown): void {
  logger.once('warn', `hook:${kind}`, `ck-agent ${kind} failed and was skipped: ${describeError(err)}`);
}

export class CKHttpInstrumentation extends CKInstrumentation<HttpInstrumentationConfig> {
  readonly libraryName = 'http';

  protected createUpstream(agent: CKAgent, userConfig: HttpInstrumentationConfig): Instrumentation {
    const settings = new HttpCaptureSettings(agent);

    const requestHook = (span: Span, request: unknown): void => {
      try {
        if (isServerRequest(request)) onServerRequest(settings, span, request);
        else if (isClientRequest(request)) onClientRequest(settings, span, request);
      } catch (err) {
        logHookError('http requestHook', err);
      }
    };
    const responseHook = (span: Span, response: unknown): void => {
      try {
        if (response instanceof ServerResponse) onServerResponse(settings, span, response);
        else if (response instanceof IncomingMessage) onClientResponse(settings, span, response);
      } catch (err) {
        logHookError('http responseHook', err);
      }
    };
    const finishHook = (span: Span, request: unknown, response: unknown): void => {
      try {
        if (isServerRequest(request)) onServerFinish(settings, span, request, response as ServerResponse);
        else if (isClientRequest(request)) onClientFinish(settings, span, request, response as IncomingMessage);
      } catch (err) {
        logHookError('http applyCustomAttributesOnSpan', err);
      }
    };

    return new GatedHttpInstrumentation({
      ...userConfig,
      enabled: false,
      requestHook: chainHooks('http requestHook', requestHook, userConfig.requestHook as typeof requestHook | undefined),
      responseHook: chainHooks('http responseHook', responseHook, userConfig.responseHook as typeof responseHook | undefined),
      applyCustomAttributesOnSpan: chainHooks(
        'http applyCustomAttributesOnSpan',
        finishHook,
        userConfig.applyCustomAttributesOnSpan as typeof finishHook | undefined
      ),
    } as HttpInstrumentationConfig);
  }

  /**
   * Upstream patches `http`/`https` when they are next required; requiring them here applies
   * the patch now, so servers and clients of an app that required `http` before enable() are
   * covered too.
   */
  protected override patchGaps(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('http');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('https');
  }
}
