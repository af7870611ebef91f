/**
 * The "reached the app's router" mark, hooking (docs/frameworks.md). Upstream records a route
 * only for layers that matched, so a request no route matched would keep its raw-URL name.
 * Chained outside upstream's patch of `express`: `application.handle`, which every request that
 * reaches an Express app (or a mounted sub-app) goes through, marks the request's server span.
 * Apps copy `handle` when created, so apps created after enable() carry the mark.
 */
import { reportHookError } from '../guard';
import { markFrameworkReached } from '../http/framework-route';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

type HandleFn = (this: unknown, ...args: unknown[]) => unknown;

let active = false;

function applicationOf(moduleExports: unknown): object | undefined {
  return (moduleExports as { application?: object } | undefined)?.application;
}

function makeHandle(original: HandleFn): HandleFn {
  return function ckExpressHandle(this: unknown): unknown {
    if (active) {
      try {
        markFrameworkReached('express');
      } catch (err) {
        reportHookError('express router mark', err);
      }
    }
    // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

export const APP_REACHED_PATCH: ModulePatch = {
  module: 'express',
  position: 'outside',
  apply(exports) {
    const application = applicationOf(exports);
    if (application && wrapMethod(application, 'handle', makeHandle as Parameters<typeof wrapMethod>[2])) active = true;
  },
  remove(exports) {
    active = false;
    unwrapMethod(applicationOf(exports), 'handle');
  },
};
