/**
 * CKMySQL2Instrumentation: the unmodified `@opentelemetry/instrumentation-mysql2`, with
 * (docs/datastores.md):
 * - masking on by default: upstream's default *inlines bound values* into `db.query.text`
 *   (`format(sql, values)`); we pass `maskStatement: true` with our dialect-aware masker
 *   (literals → `?`, placeholders kept). `maskStatement: false` (explicit opt-in) restores
 *   upstream's behaviour, with the redaction rules applied to the text;
 * - span start hook (upstream has no request hook): `db.operation.name` /
 *   `db.collection.name` / `db.query.summary` from the SQL summariser, statement bounded, and
 *   status messages masked (status.ts);
 * - responseHook: `db.response.returned_rows` (row-returning statements);
 * - patch (optional, `ckRouteComment: true`): the ck_route SQL comment (patch.ts).
 *
 * Upstream has no `requireParentSpan`: queries outside any request are always recorded, under
 * the root path.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { MySQL2Instrumentation, type MySQL2InstrumentationConfig } from '@opentelemetry/instrumentation-mysql2';
import type { InstrumentationContext } from '../../capture/context';
import { ATTR_DB_QUERY_TEXT } from '../../semconv';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import type { RouteCommentSwitch } from '../sql-common/route-comment-patch';
import { redactSqlLiterals, setReturnedRows, setSqlStatementAttributes, SqlStatementDescriber } from '../sql-common/statement';
import { extendUpstream } from '../upstream';
import { mysqlRouteCommentPatches } from './patch';
import { maskStatusMessages } from './status';

export interface CKMySQL2InstrumentationConfig extends MySQL2InstrumentationConfig {
  /**
   * ck-agent: add a trailing `/*ck_route='1-<pathKey>-<flags>'*\/` comment to `query()` statements
   * run inside a request. Default false. Never on `execute()` (prepared statements); skipped for
   * several statements in one string, statements ending in `--`/`#` comments or left open.
   */
  ckRouteComment?: boolean;
}

type MySQL2ResponseHook = NonNullable<MySQL2InstrumentationConfig['responseHook']>;

function bounded(text: string, maxLength: number): string {
  return typeof text === 'string' && text.length > maxLength ? text.slice(0, maxLength) : text;
}

export class CKMySQL2Instrumentation extends CKInstrumentation<CKMySQL2InstrumentationConfig> {
  readonly libraryName = 'mysql2';
  // A vanilla instance of the same upstream (sdk-node) must not drop ours (docs/coexistence.md).
  protected override readonly keepsWrappersBesideVanilla = true;
  private readonly commentSwitch: RouteCommentSwitch = { enabled: false };

  constructor(config: CKMySQL2InstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKMySQL2InstrumentationConfig): Instrumentation {
    const { ckRouteComment, ...upstreamConfig } = userConfig;
    this.commentSwitch.enabled = ckRouteComment === true;
    const maxLength = context.statementMaxLength;
    const redactor = context.redactor;
    const masking = userConfig.maskStatement !== false;
    const describer = new SqlStatementDescriber({ dialect: 'mysql', maskLiterals: true, maxLength, redactor });
    const userMask = userConfig.maskStatementHook;

    // Runs inside upstream's query wrapper, before the span starts, with the raw statement.
    const maskStatementHook = (query: string): string =>
      typeof userMask === 'function' ? bounded(userMask(query), maxLength) : describer.queryText(query);

    // Span start: read what upstream put in db.query.text (masked, or formatted when the user
    // opted out of masking) and add the summary, read from the masked form (never raw values).
    const onSpanStart = (span: Span): void => {
      maskStatusMessages(span);
      const text = (span as Partial<ReadableSpan>).attributes?.[ATTR_DB_QUERY_TEXT];
      if (typeof text !== 'string') return;
      if (!masking) {
        const safe = redactor.bodyEnabled ? redactSqlLiterals(bounded(text, maxLength), 'mysql', redactor) : bounded(text, maxLength);
        if (safe !== text) span.setAttribute(ATTR_DB_QUERY_TEXT, safe);
      }
      setSqlStatementAttributes(span, describer.describe(text), false);
    };
    const responseHook: MySQL2ResponseHook = (span, info) => setReturnedRows(span, info?.queryResults);

    const Upstream = extendUpstream(MySQL2Instrumentation, {
      patches: mysqlRouteCommentPatches(this.commentSwitch),
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
