/**
 * The request gate, hooking (docs/http-express.md, "Filters"). Upstream cannot keep a request away
 * from the app, so a header-stage block needs a gate between upstream's `Server.prototype.emit`
 * wrapper (which starts the server span and runs our requestHook) and the app's 'request'
 * listeners. It is chained inside upstream's own module patch (`position: 'inside'`), so it always
 * sits directly under upstream's wrapper whatever the enable/disable order, and leaves with it.
 */
import { hasUrlFilters } from '../../filters/registry';
import { reportHookError } from '../guard';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';
import { blockedBeforeApp } from './server';

type EmitFn = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

function serverPrototype(moduleExports: unknown): object | undefined {
  return (moduleExports as { Server?: { prototype?: object } } | undefined)?.Server?.prototype;
}

function makeGate(original: EmitFn): EmitFn {
  return function ckRequestGate(this: unknown, event: string | symbol): boolean {
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
