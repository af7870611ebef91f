/**
 * The optional ck_route SQL comment, hooking (docs/datastores.md, "ck_route comment"): a wrapper
 * on the driver's `query` method, outermost (chained `outside` upstream's patch), that appends
 * `/*ck_route='1-<key>-<flags>'*\/` to statements run inside a request. The text rules (what is
 * skipped) are in src/sql/route-comment.ts; each driver says how to comment its first argument.
 * Errors the driver builds from the commented statement are scrubbed, so the app sees the error
 * it would see without the agent.
 */
import { context } from '@opentelemetry/api';
import { outgoingRoute } from '../../graph';
import { removeRouteComments } from '../../sql/route-comment';
import { reportHookError } from '../guard';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

/** Returned by a driver's comment function when the statement was left as it was. */
export const UNCHANGED: unique symbol = Symbol('ck-agent.sql-unchanged');

/** The first argument of the driver's query method with the comment, or UNCHANGED. */
export type CommentArgument = (arg: unknown, route: string) => unknown;

/** Read on every call (mutable, so disable() and the user's option can switch it). */
export interface RouteCommentSwitch {
  enabled: boolean;
}

/** True for `{...}` literals (not class instances, whose identity and prototype must be kept). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Error fields a driver may fill with (an excerpt of) the statement text. */
const STATEMENT_ERROR_FIELDS = ['message', 'sqlMessage', 'sql'] as const;

/**
 * Removes our comment from an error the driver built from the commented statement (MySQL quotes
 * the statement in syntax errors, mysql2 attaches it as `err.sql`).
 */
export function scrubRouteComment(err: unknown): void {
  if (err === null || typeof err !== 'object') return;
  const fields = err as Record<string, unknown>;
  for (const key of STATEMENT_ERROR_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string' && value.includes('ck_route=')) {
      try {
        fields[key] = removeRouteComments(value);
      } catch {
        // A read-only field stays as it is.
      }
    }
  }
}

type NodeCallback = (this: unknown, err: unknown, ...rest: unknown[]) => unknown;

function scrubbingCallback(callback: NodeCallback): NodeCallback {
  return function ckScrubbedCallback(this: unknown, err: unknown): unknown {
    if (err) scrubRouteComment(err);
    // eslint-disable-next-line prefer-rest-params -- forwarded exactly as received
    return callback.apply(this, arguments as unknown as [unknown, ...unknown[]]);
  };
}

/**
 * When a comment was added, errors reaching the app's callback (the last argument, or a mysql2
 * Query command's `onResult`) are scrubbed of it. Only then: calls without a comment are not
 * touched at all.
 */
function scrubErrorsOf(args: unknown[]): void {
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    args[last] = scrubbingCallback(args[last] as NodeCallback);
    return;
  }
  const query = args[0] as { onResult?: unknown } | undefined;
  if (query && typeof query === 'object' && typeof query.onResult === 'function') {
    query.onResult = scrubbingCallback(query.onResult as NodeCallback);
  }
}

type QueryFn = (this: unknown, ...args: unknown[]) => unknown;

/** A `query` wrapper adding the comment; one shared function per (driver, switch), no closure per call. */
function routeCommentWrapper(commentArg: CommentArgument, control: RouteCommentSwitch): (original: QueryFn) => QueryFn {
  return (original) =>
    function ckRouteCommentQuery(this: unknown): unknown {
      // eslint-disable-next-line prefer-rest-params -- the app's arguments, amended in place
      const args = arguments as unknown as unknown[];
      if (control.enabled && args.length > 0) {
        const route = outgoingRoute(context.active());
        if (route !== undefined) {
          try {
            const commented = commentArg(args[0], route);
            if (commented !== UNCHANGED) {
              args[0] = commented;
              scrubErrorsOf(args);
            }
          } catch (err) {
            // Never alter the call when our rules fail: the statement goes as the app wrote it.
            reportHookError('ck_route SQL comment', err);
          }
        }
      }
      return original.apply(this, args);
    };
}

/**
 * The ModulePatch that wraps `method` on the prototype `prototypeOf(exports)` returns, for the
 * module (or file) named. Installed only while `control.enabled` at patch time.
 */
export function routeCommentPatch(options: {
  module: string;
  file?: string;
  method: string;
  prototypeOf: (exports: unknown) => object | undefined;
  commentArg: CommentArgument;
  control: RouteCommentSwitch;
}): ModulePatch {
  const wrap = routeCommentWrapper(options.commentArg, options.control);
  return {
    module: options.module,
    file: options.file,
    position: 'outside',
    apply(exports) {
      const proto = options.prototypeOf(exports);
      if (proto && options.control.enabled) wrapMethod(proto, options.method, wrap as Parameters<typeof wrapMethod>[2]);
    },
    remove(exports) {
      unwrapMethod(options.prototypeOf(exports), options.method);
    },
  };
}
