/**
 * pg, hooking: the optional ck_route comment on `Client.prototype.query`
 * (../sql-common/route-comment-patch.ts). Upstream patches that method from three places: the
 * `pg` main module (its `Client` export) and the files `pg/lib/client.js` /
 * `pg/lib/native/client.js` (the class itself); ours is chained to each, so it is outermost
 * whichever ran last.
 */
import { appendRouteComment } from '../../sql/route-comment';
import type { ModulePatch } from '../upstream';
import { isPlainObject, routeCommentPatch, UNCHANGED, type RouteCommentSwitch } from '../sql-common/route-comment-patch';

/**
 * The first argument of pg `client.query` with the ck_route comment, or UNCHANGED: strings, and
 * plain `{ text }` configs without a prepared-statement `name` (copied, never mutated).
 * Submittables (cursors, streams) and named statements are left alone.
 */
export function commentPgQueryArg(arg: unknown, route: string): unknown {
  if (typeof arg === 'string') {
    const text = appendRouteComment(arg, route, 'postgresql');
    return text === arg ? UNCHANGED : text;
  }
  if (!isPlainObject(arg) || typeof arg.text !== 'string') return UNCHANGED;
  if (arg.name !== undefined || typeof arg.submit === 'function') return UNCHANGED;
  const text = appendRouteComment(arg.text, route, 'postgresql');
  return text === arg.text ? UNCHANGED : { ...arg, text };
}

function classPrototype(exports: unknown): object | undefined {
  if (typeof exports !== 'function') return undefined;
  return (exports as { prototype?: object }).prototype;
}

/** pg's `Client` from the main module (CommonJS exports or an ES module namespace). */
function mainModuleClient(exports: unknown): unknown {
  const module = exports as { Client?: unknown; default?: { Client?: unknown }; [Symbol.toStringTag]?: string } | undefined;
  if (!module) return undefined;
  return module[Symbol.toStringTag] === 'Module' ? module.default?.Client : module.Client;
}

export function pgRouteCommentPatches(control: RouteCommentSwitch): ModulePatch[] {
  const common = { method: 'query', commentArg: commentPgQueryArg, control } as const;
  return [
    routeCommentPatch({ ...common, module: 'pg', prototypeOf: (exports) => classPrototype(mainModuleClient(exports)) }),
    routeCommentPatch({ ...common, module: 'pg', file: 'client.js', prototypeOf: classPrototype }),
  ];
}
