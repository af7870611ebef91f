/**
 * The optional `ck_route` SQL comment: a trailing sqlcommenter-style comment carrying the
 * request's ck-route value, so the database's own logs (slow query log, pg_stat_activity) can be
 * tied back to a graph path: `SELECT * FROM orders WHERE id = $1 /*ck_route='1-4f1c2a9be07d3318-00'*\/`.
 *
 * Rules (the statement must run exactly as it would without the comment):
 * - only string statements; never a prepared/named statement (callers decide that: the text is
 *   the statement's identity there, and a per-request comment would defeat the cache);
 * - never twice: a statement that already mentions `ck_route=` is left alone;
 * - skipped when the text is empty, ends inside an open literal or comment (the driver's own
 *   error must stay the same), holds more than one statement, or ends in a line comment
 *   (`-- ...` or MySQL `# ...`, where the comment would be swallowed or a newline would be needed);
 * - a final `;` keeps its place: the comment goes before it (`SELECT 1 /*...*\/;`);
 * - the route value is validated against the ck-route format, so nothing else can be injected.
 */
import type { SqlDialect } from './lexer';
import { sqlShape } from './segments';

export const CK_ROUTE_COMMENT_KEY = 'ck_route';

/** `1-<16 hex>-<2 hex>`: the only values ever written into a comment. */
const ROUTE_VALUE = /^1-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Our comment where appendRouteComment puts it (end of text, or just before a final `;`). */
const TRAILING_ROUTE_COMMENT = / \/\*ck_route='1-[0-9a-f]{16}-[0-9a-f]{2}'\*\/(?=;?\s*$)/;

export type RouteCommentSkip = 'empty' | 'invalid-route' | 'already-present' | 'incomplete' | 'multiple-statements' | 'line-comment';

/** Why a comment would be skipped for `sql`, or undefined when it can be added. */
export function routeCommentSkipReason(sql: string, route: string, dialect: SqlDialect): RouteCommentSkip | undefined {
  return decide(sql, route, dialect).skip;
}

/** `sql` with the ck_route comment added, or `sql` itself when a rule says skip. */
export function appendRouteComment(sql: string, route: string, dialect: SqlDialect): string {
  const { skip, trailingSemicolon } = decide(sql, route, dialect);
  if (skip !== undefined) return sql;
  const comment = ` /*${CK_ROUTE_COMMENT_KEY}='${route}'*/`;
  if (trailingSemicolon >= 0) return sql.slice(0, trailingSemicolon).trimEnd() + comment + sql.slice(trailingSemicolon);
  // Trailing whitespace stays after the comment, so the text only grows at its end.
  const body = sql.trimEnd();
  return body + comment + sql.slice(body.length);
}

function decide(sql: string, route: string, dialect: SqlDialect): { skip?: RouteCommentSkip; trailingSemicolon: number } {
  if (sql.trim().length === 0) return { skip: 'empty', trailingSemicolon: -1 };
  if (!ROUTE_VALUE.test(route)) return { skip: 'invalid-route', trailingSemicolon: -1 };
  if (sql.includes(`${CK_ROUTE_COMMENT_KEY}=`)) return { skip: 'already-present', trailingSemicolon: -1 };
  const shape = sqlShape(sql, dialect);
  if (!shape.complete) return { skip: 'incomplete', trailingSemicolon: -1 };
  if (shape.multipleStatements) return { skip: 'multiple-statements', trailingSemicolon: -1 };
  if (shape.endsInLineComment) return { skip: 'line-comment', trailingSemicolon: -1 };
  return { trailingSemicolon: shape.trailingSemicolon };
}

/** `sql` without a comment that appendRouteComment added (for db.query.text and summaries). */
export function stripRouteComment(sql: string): string {
  if (!sql.includes(`${CK_ROUTE_COMMENT_KEY}='`)) return sql;
  return sql.replace(TRAILING_ROUTE_COMMENT, '');
}

/** Our comment anywhere in a text, also cut short (servers quote statement excerpts in errors). */
const ROUTE_COMMENT_ANYWHERE = / ?\/\*ck_route='[0-9a-f-]{0,21}(?:'\*\/)?/g;

/** `text` (an error message, an error's `sql`) without any ck_route comment we added. */
export function removeRouteComments(text: string): string {
  return text.includes('ck_route=') ? text.replace(ROUTE_COMMENT_ANYWHERE, '') : text;
}
