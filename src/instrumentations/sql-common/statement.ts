/**
 * What the pg and mysql2 wrappers share (one copy, never per driver):
 *
 * - `SqlStatementDescriber`: the statement as it may leave the process (our ck_route comment
 *   stripped, literals masked unless the user opted in, redaction rules applied, bounded) plus
 *   its summary (`db.operation.name`, `db.collection.name`, `db.query.summary`). Cached per
 *   statement text, bounded.
 * - `setSqlStatementAttributes` / `setReturnedRows`: the span attributes built from those.
 * - `installQueryPatch` / `removeQueryPatch`: the outermost driver-method wrapper that adds the
 *   optional ck_route comment (see sql-comment.ts for the rules). It is applied through
 *   `chainPatch` (sql-upstream.ts) so it always sits outside upstream's wrapper, exactly once.
 *
 * Where upstream offers a hook (pg requestHook/responseHook, mysql2 maskStatementHook and
 * responseHook), the wrappers use it; the driver patch only does what needs the call itself:
 * rewriting the statement text.
 */
import { context, type Span } from '@opentelemetry/api';
import { summarizeSql } from '../../graph';
import { outgoingRoute } from '../../graph/entry';
import { Redactor } from '../../capture/redaction';
import { appendRouteComment, removeRouteComments, stripRouteComment } from '../../sql/route-comment';
import { maskSql, scanSql, type SqlDialect } from '../../sql/lexer';

/** Statements longer than this are cut even when no attribute length limit is configured. */
export const DEFAULT_STATEMENT_MAX_LENGTH = 32 * 1024;

const CACHE_MAX_ENTRIES = 512;
const CACHE_MAX_KEY_LENGTH = 4096;

export interface SqlCaptureSettings {
  dialect: SqlDialect;
  /** Replace literals with `?` (the default; off only when the user opts in to raw statements). */
  maskLiterals: boolean;
  /** Bound for db.query.text (config.tracing.attributeValueLengthLimit, capped). */
  maxLength: number;
  /** Redaction of `key=value` shapes, applied to unmasked statements. */
  redactor?: Redactor;
}

export interface SqlStatementInfo {
  /** Safe to export: masked (or redacted when raw capture is on) and bounded. */
  queryText: string;
  operation: string;
  table?: string;
}

/** The bound to use for captured statements given the configured attribute length limit. */
export function statementMaxLength(attributeValueLengthLimit: number): number {
  return Number.isFinite(attributeValueLengthLimit) && attributeValueLengthLimit > 0
    ? Math.min(attributeValueLengthLimit, DEFAULT_STATEMENT_MAX_LENGTH)
    : DEFAULT_STATEMENT_MAX_LENGTH;
}

export class SqlStatementDescriber {
  private readonly cache = new Map<string, SqlStatementInfo>();

  constructor(readonly settings: SqlCaptureSettings) {}

  /** `text` as the driver received it (possibly with our comment). Never throws. */
  describe(text: string): SqlStatementInfo {
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const info = this.compute(text);
    if (text.length <= CACHE_MAX_KEY_LENGTH) {
      // Cleared when full rather than tracked LRU: bounded, no per-hit bookkeeping.
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(text, info);
    }
    return info;
  }

  /** The exportable text alone (mysql2's maskStatementHook wants just this). */
  queryText(text: string): string {
    return this.describe(text).queryText;
  }

  private compute(text: string): SqlStatementInfo {
    const { dialect, maskLiterals, maxLength, redactor } = this.settings;
    try {
      const statement = stripRouteComment(text);
      let queryText: string;
      if (maskLiterals) {
        queryText = maskSql(statement, dialect, maxLength);
      } else {
        const bounded = statement.length > maxLength ? statement.slice(0, maxLength) : statement;
        queryText = redactor && redactor.bodyEnabled ? redactSqlLiterals(bounded, dialect, redactor) : bounded;
      }
      // The summary is read from the masked text: no literal can reach the element name.
      const summary = summarizeSql(maskLiterals ? queryText : maskSql(statement, dialect, 4096));
      return summary.table === undefined
        ? { queryText, operation: summary.operation }
        : { queryText, operation: summary.operation, table: summary.table };
    } catch {
      return { queryText: '', operation: 'UNKNOWN' };
    }
  }
}

/**
 * The redaction rules for statements recorded with their literals (explicit opt-in): a literal
 * compared with or assigned to a column whose name matches the redaction key patterns
 * (`password = 'x'`, `SET api_key = 'x'`) becomes '[REDACTED]', and `key=value` shapes inside a
 * literal are redacted as in text bodies.
 */
export function redactSqlLiterals(sql: string, dialect: SqlDialect, redactor: Redactor): string {
  let out = '';
  let lastWord = '';
  scanSql(sql, dialect, (kind, start, end) => {
    const segment = sql.slice(start, end);
    if (kind === 'string' || kind === 'number') {
      if (lastWord && redactor.isRedactedKey(lastWord)) {
        out += "'[REDACTED]'";
      } else if (kind === 'string' && segment.length > 2) {
        const quote = segment[0];
        const inner = segment.slice(1, -1);
        const redacted = redactor.text(inner);
        out += redacted === inner ? segment : quote + redacted + quote;
      } else {
        out += segment;
      }
      lastWord = '';
      return;
    }
    out += segment;
    if (kind === 'code') {
      // The column a literal is compared with: `password = `, `password LIKE `, `password IN (`.
      const word = /([A-Za-z_][\w$]*)\s*(?:(?:NOT\s+)?(?:I?LIKE|IN)\b)?[^\w$]*$/i.exec(segment);
      if (word) lastWord = word[1];
      else if (!/^[\s=<>!(,]*$/.test(segment)) lastWord = '';
    } else if (kind === 'identifier') {
      lastWord = segment.slice(1, -1);
    }
  });
  return out;
}

export const ATTR_DB_QUERY_TEXT = 'db.query.text';
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_COLLECTION_NAME = 'db.collection.name';
export const ATTR_DB_QUERY_SUMMARY = 'db.query.summary';
export const ATTR_DB_RETURNED_ROWS = 'db.response.returned_rows';

/** Sets the statement, its operation, its table and the summary (`SELECT orders`) on `span`. */
export function setSqlStatementAttributes(span: Span, info: SqlStatementInfo): void {
  span.setAttribute(ATTR_DB_QUERY_TEXT, info.queryText);
  span.setAttribute(ATTR_DB_OPERATION_NAME, info.operation);
  if (info.table !== undefined) {
    span.setAttribute(ATTR_DB_COLLECTION_NAME, info.table);
    span.setAttribute(ATTR_DB_QUERY_SUMMARY, `${info.operation} ${info.table}`);
  } else {
    span.setAttribute(ATTR_DB_QUERY_SUMMARY, info.operation);
  }
}

/**
 * Rows a statement returned, for row-returning results only (pg `rows` with fields, mysql2 row
 * arrays; several statements: the sum). Write results without rows set nothing.
 */
export function returnedRows(result: unknown): number | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  if (Array.isArray(result)) {
    if (result.length === 0) return 0;
    // mysql2 multi-statement: an array of per-statement results; pg multi-statement: same.
    const first = result[0];
    if (Array.isArray(first) || isPgResult(first) || isMysqlHeader(first)) {
      let total: number | undefined;
      for (const part of result) {
        const n = returnedRows(part);
        if (n !== undefined) total = (total ?? 0) + n;
      }
      return total;
    }
    return result.length; // mysql2 rows
  }
  if (isPgResult(result)) {
    const r = result as { rows: unknown[]; fields?: unknown[] };
    return Array.isArray(r.fields) && r.fields.length > 0 ? r.rows.length : undefined;
  }
  return undefined;
}

function isPgResult(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Array.isArray((value as { rows?: unknown }).rows) && 'command' in value;
}

function isMysqlHeader(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'affectedRows' in value;
}

export function setReturnedRows(span: Span, result: unknown): void {
  const rows = returnedRows(result);
  if (rows !== undefined) span.setAttribute(ATTR_DB_RETURNED_ROWS, rows);
}

/** The ck-route of the active request (`1-<key>-<flags>`), or undefined outside any request. */
export function activeRoute(): string | undefined {
  return outgoingRoute(context.active());
}

/** Our marker on a patched method; its value is the method we wrapped. */
const CK_ORIGINAL = Symbol.for('ck-agent.sql-driver-patch.original');

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps `proto[method]` with `wrap(original)` unless ours is already there. Not shimmer-marked on
 * purpose: upstream's isWrapped() must see its own wrapper, never ours (chainPatch removes ours
 * before upstream re-patches).
 */
export function installQueryPatch(proto: Record<string, unknown>, method: string, wrap: (original: AnyFunction) => AnyFunction): void {
  const current = proto[method] as AnyFunction & { [CK_ORIGINAL]?: AnyFunction };
  if (typeof current !== 'function' || current[CK_ORIGINAL]) return;
  const wrapped = wrap(current) as AnyFunction & { [CK_ORIGINAL]?: AnyFunction };
  wrapped[CK_ORIGINAL] = current;
  Object.defineProperty(proto, method, { value: wrapped, writable: true, configurable: true, enumerable: false });
}

/** Restores what installQueryPatch wrapped, if ours is the outermost function. */
export function removeQueryPatch(proto: Record<string, unknown>, method: string): void {
  const current = proto[method] as (AnyFunction & { [CK_ORIGINAL]?: AnyFunction }) | undefined;
  const original = current?.[CK_ORIGINAL];
  if (typeof original === 'function') {
    Object.defineProperty(proto, method, { value: original, writable: true, configurable: true, enumerable: false });
  }
}

/** Returned by the comment functions when the statement was left as it was. */
export const UNCHANGED: unique symbol = Symbol('ck-agent.sql-unchanged');

/** True for `{...}` literals (not class instances, whose identity and prototype must be kept). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

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

/** Settings the query patch reads on every call (mutable so disable() can switch it off). */
export interface RouteCommentSwitch {
  enabled: boolean;
}

/** Error fields a driver may fill with (an excerpt of) the statement text. */
const STATEMENT_ERROR_FIELDS = ['message', 'sqlMessage', 'sql'] as const;

/**
 * Removes our comment from an error the driver built from the commented statement (MySQL quotes
 * the statement in syntax errors, mysql2 attaches it as `err.sql`), so the app sees the error it
 * would see without the agent.
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
  return function ckScrubbedCallback(this: unknown, err: unknown) {
    if (err) scrubRouteComment(err);
    // eslint-disable-next-line prefer-rest-params
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

/**
 * A driver `query` wrapper adding the ck_route comment to its first argument. One shared
 * function per (driver, switch): no per-call closure unless a comment was actually added.
 */
export function routeCommentWrapper(
  commentArg: (arg: unknown, route: string) => unknown,
  control: RouteCommentSwitch
): (original: AnyFunction) => AnyFunction {
  return (original) =>
    function ckRouteCommentQuery(this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as unknown[];
      if (control.enabled && args.length > 0) {
        const route = activeRoute();
        if (route !== undefined) {
          try {
            const commented = commentArg(args[0], route);
            if (commented !== UNCHANGED) {
              args[0] = commented;
              scrubErrorsOf(args);
            }
          } catch {
            // Never alter the call when our rules fail: the statement goes as the app wrote it.
          }
        }
      }
      return original.apply(this, args);
    };
}
