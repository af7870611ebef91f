/**
 * mysql2, hooking: the optional ck_route comment on `connection.query` (callback, promise and
 * pool APIs all go through it; ../sql-common/route-comment-patch.ts). `execute()` (prepared
 * statements) is never commented: its text is the statement cache key.
 */
import { appendRouteComment } from '../../sql/route-comment';
import type { ModulePatch } from '../upstream';
import { isPlainObject, routeCommentPatch, UNCHANGED, type RouteCommentSwitch } from '../sql-common/route-comment-patch';

/**
 * The first argument of mysql2 `connection.query` with the ck_route comment, or UNCHANGED:
 * strings; plain `{ sql }` options (copied); mysql2's own Query command objects, which the pool
 * creates per call (their `sql` is updated in place, as nothing else holds them).
 */
export function commentMysqlQueryArg(arg: unknown, route: string): unknown {
  if (typeof arg === 'string') {
    const sql = appendRouteComment(arg, route, 'mysql');
    return sql === arg ? UNCHANGED : sql;
  }
  if (arg === null || typeof arg !== 'object') return UNCHANGED;
  const query = arg as { sql?: unknown; constructor?: { name?: string } };
  if (typeof query.sql !== 'string') return UNCHANGED;
  const sql = appendRouteComment(query.sql, route, 'mysql');
  if (sql === query.sql) return UNCHANGED;
  if (isPlainObject(arg)) return { ...arg, sql };
  if (query.constructor?.name === 'Query') {
    query.sql = sql;
    return arg;
  }
  return UNCHANGED;
}

/**
 * mysql2 >= 3.11.5 keeps query/execute on a shared base class; older versions on Connection
 * itself (the same choice upstream makes).
 */
function connectionPrototype(exports: unknown): object | undefined {
  if (typeof exports !== 'function') return undefined;
  const Connection = exports as { prototype?: Record<string, unknown> };
  if (!Connection.prototype) return undefined;
  const base = Object.getPrototypeOf(Connection.prototype) as Record<string, unknown> | null;
  if (base && typeof base.query === 'function' && typeof base.execute === 'function') return base;
  return Connection.prototype;
}

export function mysqlRouteCommentPatches(control: RouteCommentSwitch): ModulePatch[] {
  return [
    routeCommentPatch({
      module: 'mysql2',
      file: 'connection.js',
      method: 'query',
      prototypeOf: connectionPrototype,
      commentArg: commentMysqlQueryArg,
      control,
    }),
  ];
}
