/**
 * CKMySQL2Instrumentation: the unmodified `@opentelemetry/instrumentation-mysql2`, with
 * - masking on by default: upstream's default *inlines bound values* into `db.query.text`
 *   (`format(sql, values)`); we pass `maskStatement: true` with our dialect-aware masker
 *   (literals → `?`, placeholders kept). `maskStatement: false` (explicit opt-in) restores
 *   upstream's behaviour, with the redaction rules applied to the text;
 * - span start hook (upstream has no request hook): `db.operation.name` /
 *   `db.collection.name` / `db.query.summary` from the SQL summariser, statement bounded;
 * - responseHook: `db.response.returned_rows` (row-returning statements);
 * - driver patch (optional, `ckRouteComment: true`): the ck_route SQL comment on
 *   `connection.query` (callback, promise and pool APIs all go through it). `execute()` (prepared
 *   statements) is never commented: the text is the statement cache key.
 *
 * Upstream has no `requireParentSpan`: queries outside any request are always recorded, under
 * the root path.
 */
import type { Span, SpanStatus } from '@opentelemetry/api';
import { MySQL2Instrumentation, type MySQL2InstrumentationConfig } from '@opentelemetry/instrumentation-mysql2';
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { CKAgent } from '../../agent';
import { summarizeSql } from '../../graph';
import { Redactor } from '../../capture/redaction';
import { removeRouteComments } from '../../sql/route-comment';
import { maskSql } from '../../sql/lexer';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  SqlStatementDescriber,
  commentMysqlQueryArg,
  installQueryPatch,
  redactSqlLiterals,
  removeQueryPatch,
  routeCommentWrapper,
  setReturnedRows,
  statementMaxLength,
  type RouteCommentSwitch,
} from '../sql-common/statement';
import { chainPatch, decorateUpstream, type ChainedPatch } from '../upstream';
import { CKInstrumentation, chainHooks } from '../base';

export interface CKMySQL2InstrumentationConfig extends MySQL2InstrumentationConfig {
  /**
   * ck-agent: add a trailing `/*ck_route='1-<pathKey>-<flags>'*\/` comment to `query()` statements
   * run inside a request. Default false. Never on `execute()` (prepared statements); skipped for
   * several statements in one string, statements ending in `--`/`#` comments or left open.
   */
  ckRouteComment?: boolean;
}

type MySQL2ResponseHook = NonNullable<MySQL2InstrumentationConfig['responseHook']>;

export class CKMySQL2Instrumentation extends CKInstrumentation<CKMySQL2InstrumentationConfig> {
  readonly libraryName = 'mysql2';
  private readonly commentSwitch: RouteCommentSwitch = { enabled: false };

  constructor(config: CKMySQL2InstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(agent: CKAgent, userConfig: CKMySQL2InstrumentationConfig): Instrumentation {
    const { ckRouteComment, ...upstreamConfig } = userConfig;
    this.commentSwitch.enabled = ckRouteComment === true;
    const maxLength = statementMaxLength(agent.config.tracing.attributeValueLengthLimit);
    const masking = userConfig.maskStatement !== false;
    const redactor = new Redactor(agent.config.redaction);
    const describer = new SqlStatementDescriber({ dialect: 'mysql', maskLiterals: true, maxLength, redactor });
    const userMask = userConfig.maskStatementHook;

    // Runs inside upstream's query wrapper, before the span starts, with the raw statement.
    const maskStatementHook = (query: string): string =>
      typeof userMask === 'function' ? bounded(userMask(query), maxLength) : describer.queryText(query);

    // Span start: read what upstream put in db.query.text (masked, or formatted when the user
    // opted out of masking) and add the summary; never the raw values.
    const onSpanStart = (span: Span): void => {
      maskStatusMessages(span);
      const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes;
      const text = attributes?.[ATTR_DB_QUERY_TEXT];
      if (typeof text !== 'string') return;
      if (!masking) {
        const safe = redactor.bodyEnabled ? redactSqlLiterals(bounded(text, maxLength), 'mysql', redactor) : bounded(text, maxLength);
        if (safe !== text) span.setAttribute(ATTR_DB_QUERY_TEXT, safe);
      }
      const summary = masking ? summarizeSql(text) : describer.describe(text);
      span.setAttribute(ATTR_DB_OPERATION_NAME, summary.operation);
      if (summary.table !== undefined) {
        span.setAttribute(ATTR_DB_COLLECTION_NAME, summary.table);
        span.setAttribute(ATTR_DB_QUERY_SUMMARY, `${summary.operation} ${summary.table}`);
      } else {
        span.setAttribute(ATTR_DB_QUERY_SUMMARY, summary.operation);
      }
    };
    const responseHook: MySQL2ResponseHook = (span, info) => setReturnedRows(span, info?.queryResults);

    const patch = queryCommentPatch(this.commentSwitch);
    const Upstream = decorateUpstream(MySQL2Instrumentation, {
      onInit: (definitions) => chainConnectionPatch(definitions, patch),
      onSpanStart,
    });
    return new Upstream({
      ...upstreamConfig,
      enabled: false,
      maskStatement: masking,
      maskStatementHook,
      responseHook: chainHooks('mysql2 responseHook', responseHook, userConfig.responseHook),
    });
  }
}

/**
 * MySQL error messages quote values and statement excerpts (`Duplicate entry 'bob@x' for key
 * 'email'`, `... near 'SELEC 1 ...'`), and upstream copies them into the span status. The span's
 * setStatus is routed through a shared function that masks literals (and our comment) first.
 */
function maskStatusMessages(span: Span): void {
  (span as Span & { setStatus: Span['setStatus'] }).setStatus = maskedSetStatus;
}

function maskedSetStatus(this: Span, status: SpanStatus): Span {
  const setStatus = (Object.getPrototypeOf(this) as Span).setStatus;
  if (status && typeof status.message === 'string' && status.message.length > 0) {
    status = { ...status, message: maskSql(removeRouteComments(status.message), 'mysql', 1024) };
  }
  return setStatus.call(this, status);
}

function bounded(text: string, maxLength: number): string {
  return typeof text === 'string' && text.length > maxLength ? text.slice(0, maxLength) : text;
}

/**
 * mysql2 >= 3.11.5 keeps query/execute on a shared base class; older versions on Connection
 * itself (the same choice upstream makes).
 */
function connectionPrototype(exports: unknown): Record<string, unknown> | undefined {
  if (typeof exports !== 'function') return undefined;
  const Connection = exports as { prototype?: Record<string, unknown> };
  if (!Connection.prototype) return undefined;
  const base = Object.getPrototypeOf(Connection.prototype) as Record<string, unknown> | null;
  if (base && typeof base.query === 'function' && typeof base.execute === 'function') return base;
  return Connection.prototype;
}

function queryCommentPatch(control: RouteCommentSwitch): ChainedPatch {
  const wrap = routeCommentWrapper(commentMysqlQueryArg, control);
  return {
    apply(exports) {
      const proto = connectionPrototype(exports);
      if (proto && control.enabled) installQueryPatch(proto, 'query', wrap);
    },
    remove(exports) {
      const proto = connectionPrototype(exports);
      if (proto) removeQueryPatch(proto, 'query');
    },
  };
}

function chainConnectionPatch(definitions: InstrumentationModuleDefinition[], patch: ChainedPatch): void {
  for (const definition of definitions) {
    if (definition.name !== 'mysql2') continue;
    for (const file of definition.files) {
      if (file.name.endsWith('connection.js')) chainPatch(file, patch);
    }
  }
}
