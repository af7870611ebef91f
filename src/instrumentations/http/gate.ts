/**
 * The request gate, hooking (docs/http-express.md, "Filters"). Upstream cannot keep a request away
 * from the app, so a header-stage block needs a gate between upstream's `Server.prototype.emit`
 * wrapper (which starts the server span and runs our requestHook) and the app's 'request'
 * listeners. It is chained inside upstream's own module patch (`position: 'inside'`), so it always
 * sits directly under upstream's wrapper whatever the enable/disable order, and leaves with it.
 */
import { EventEmitter } from 'events';
import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { linkHiddenRequestSpan, pathStateOf } from '../../graph';
import { hasUrlFilters } from '../../filters/registry';
import { reportHookError } from '../guard';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';
import { blockedBeforeApp } from './server';

type EmitFn = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

function serverPrototype(moduleExports: unknown): object | undefined {
  return (moduleExports as { Server?: { prototype?: object } } | undefined)?.Server?.prototype;
}

function makeGate(original: EmitFn): EmitFn {
  const gate = function ckRequestGate(this: unknown, event: string | symbol): boolean {
    // Only a header-stage filter can block here; without one this is a single length check.
    if (event === 'request' && hasUrlFilters()) {
      try {
        // eslint-disable-next-line prefer-rest-params -- (req, res) of the 'request' event
        if (blockedBeforeApp(arguments[1], arguments[2])) return true;
      } catch (err) {
        reportHookError('http request gate', err);
      }
    }
    // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
    return original.apply(this, arguments as unknown as [string]);
  };
  // Another server wrapper below ours (a vanilla http instrumentation that patched first) starts
  // from an empty context and makes its own span and RPC metadata active for the app: the gate
  // marks the request with our span, and a first 'request' listener, running inside that
  // wrapper's context, links its metadata to our span (docs/coexistence.md). Decided once per
  // patch: nothing changes per request without such a wrapper.
  if (original === (EventEmitter.prototype.emit as unknown)) return gate;
  return function ckRequestGateLinking(this: unknown, event: string | symbol): boolean {
    if (event === 'request') {
      try {
        // eslint-disable-next-line prefer-rest-params -- (req, res) of the 'request' event
        markRequest(this, arguments[1]);
      } catch (err) {
        reportHookError('http request link', err);
      }
    }
    // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
    return gate.apply(this, arguments as unknown as [string]);
  };
}

const CK_REQUEST_SPAN = Symbol('ck-agent.http.request-span');
const CK_LINK_LISTENER = Symbol('ck-agent.http.link-listener');

function markRequest(server: unknown, req: unknown): void {
  const span = trace.getSpan(context.active());
  if (pathStateOf(span) === undefined || typeof req !== 'object' || req === null) return;
  (req as Record<symbol, unknown>)[CK_REQUEST_SPAN] = span;
  const emitter = server as EventEmitter & Record<symbol, unknown>;
  if (emitter[CK_LINK_LISTENER] || typeof emitter.prependListener !== 'function') return;
  emitter[CK_LINK_LISTENER] = true;
  emitter.prependListener('request', linkRequest);
}

/** First 'request' listener: runs in the context the wrapper below ours set up for the app. */
function linkRequest(req: unknown): void {
  try {
    const span = (req as Record<symbol, unknown> | undefined)?.[CK_REQUEST_SPAN];
    const metadata = getRPCMetadata(context.active());
    if (span !== undefined && metadata !== undefined && pathStateOf(metadata.span) === undefined) linkHiddenRequestSpan(metadata, span);
  } catch (err) {
    reportHookError('http request link', err);
  }
}

function gatePatch(module: 'http' | 'https'): ModulePatch {
  return {
    module,
    position: 'inside',
    apply(exports) {
      const proto = serverPrototype(exports);
      if (proto) wrapMethod(proto, 'emit', makeGate as Parameters<typeof wrapMethod>[2]);
    },
    remove(exports) {
      unwrapMethod(serverPrototype(exports), 'emit');
    },
  };
}

export const REQUEST_GATE_PATCHES: readonly ModulePatch[] = [gatePatch('http'), gatePatch('https')];
