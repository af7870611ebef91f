/**
 * The "reached a router" mark, hooking (docs/frameworks.md). Upstream's requestHook runs only for
 * routes that matched, so a request @koa/router passes on unmatched would keep its raw-URL name.
 * Chained outside upstream's patch of `Application.prototype.use`: a router's dispatch middleware
 * (the function `router.routes()` returns, which carries `.router`) is wrapped to mark the
 * request's server span, and handed on with `.router` so upstream still instruments its routes.
 */
import { reportHookError } from '../guard';
import { markFrameworkReached } from '../http/framework-route';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

type Middleware = ((this: unknown, ctx: unknown, next: unknown) => unknown) & { router?: unknown };
type UseFn = (this: unknown, middleware: unknown, ...rest: unknown[]) => unknown;

let active = false;

function applicationPrototype(moduleExports: unknown): object | undefined {
  const exports = moduleExports as { [Symbol.toStringTag]?: string; default?: unknown } | undefined;
  const app = (exports?.[Symbol.toStringTag] === 'Module' ? exports.default : exports) as { prototype?: object } | undefined;
  return app?.prototype;
}

function markingDispatch(dispatch: Middleware): Middleware {
  const marked: Middleware = function ckKoaRouterReached(this: unknown, ctx: unknown, next: unknown): unknown {
    if (active) {
      try {
        markFrameworkReached('koa');
      } catch (err) {
        reportHookError('koa router mark', err);
      }
    }
    return dispatch.call(this, ctx, next);
  };
  marked.router = dispatch.router;
  return marked;
}

function makeUse(original: UseFn): UseFn {
  return function ckKoaUse(this: unknown, middleware: unknown, ...rest: unknown[]): unknown {
    const isRouter = typeof middleware === 'function' && (middleware as Middleware).router !== undefined;
    return original.call(this, isRouter ? markingDispatch(middleware as Middleware) : middleware, ...rest);
  };
}

export const ROUTER_REACHED_PATCH: ModulePatch = {
  module: 'koa',
  position: 'outside',
  apply(exports) {
    const proto = applicationPrototype(exports);
    if (proto && wrapMethod(proto, 'use', makeUse as Parameters<typeof wrapMethod>[2])) active = true;
  },
  remove(exports) {
    active = false;
    unwrapMethod(applicationPrototype(exports), 'use');
  },
};
