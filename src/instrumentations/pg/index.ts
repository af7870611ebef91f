/**
 * CKPgInstrumentation: the unmodified `@opentelemetry/instrumentation-pg` (pg and pg-pool), with
 * (docs/datastores.md):
 * - requestHook: `db.query.text` masked (literals → `?`; `$1` parameters are kept, values never
 *   recorded), `db.operation.name` / `db.collection.name` / `db.query.summary` from the SQL
 *   summariser, so the span maps to a DATABASE element `SELECT orders` under the request's path;
 * - responseHook: `db.response.returned_rows`;
 * - connectionHook: pg.connect / pg-pool.connect spans become the element `CONNECT`;
 * - patch (optional, `ckRouteComment: true`): the ck_route SQL comment (patch.ts).
 *
 * Defaults: `requireParentSpan` is upstream's default (false): queries outside any request
 * (startup, timers) are recorded under the root path. `enhancedDatabaseReporting: true` (opt-in)
 * keeps statements unmasked (redaction rules still applied) and lets upstream record the bound
 * values in `db.postgresql.values`.
 */
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PgInstrumentation, type PgInstrumentationConfig } from '@opentelemetry/instrumentation-pg';
import type { InstrumentationContext } from '../../capture/context';
import { ATTR_DB_OPERATION_NAME } from '../../semconv';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import type { RouteCommentSwitch } from '../sql-common/route-comment-patch';
import { setReturnedRows, setSqlStatementAttributes, SqlStatementDescriber } from '../sql-common/statement';
import { extendUpstream } from '../upstream';
import { pgRouteCommentPatches } from './patch';

export interface CKPgInstrumentationConfig extends PgInstrumentationConfig {
  /**
   * ck-agent: add a trailing `/*ck_route='1-<pathKey>-<flags>'*\/` comment to statements run
   * inside a request, so database-side logs can be tied to a graph path. Default false.
   * Skipped for named (prepared) statements, cursors/streams, several statements in one string,
   * statements ending in a `--` comment or left open (see docs/datastores.md).
   */
  ckRouteComment?: boolean;
}

// pg calls the hooks with these shapes (types.d.ts of the upstream package).
type PgRequestHook = NonNullable<PgInstrumentationConfig['requestHook']>;
type PgResponseHook = NonNullable<PgInstrumentationConfig['responseHook']>;
type PgConnectionHook = NonNullable<PgInstrumentationConfig['connectionHook']>;

export class CKPgInstrumentation extends CKInstrumentation<CKPgInstrumentationConfig> {
  readonly libraryName = 'pg';
  // A vanilla instance of the same upstream (sdk-node) must not drop ours (docs/coexistence.md).
  protected override readonly keepsWrappersBesideVanilla = true;
  private readonly commentSwitch: RouteCommentSwitch = { enabled: false };

  constructor(config: CKPgInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKPgInstrumentationConfig): Instrumentation {
    const { ckRouteComment, ...upstreamConfig } = userConfig;
    this.commentSwitch.enabled = ckRouteComment === true;
    const describer = new SqlStatementDescriber({
      dialect: 'postgresql',
      maskLiterals: userConfig.enhancedDatabaseReporting !== true,
      maxLength: context.statementMaxLength,
      redactor: context.redactor,
    });

    const requestHook: PgRequestHook = (span: Span, info) => {
      const text = info?.query?.text;
      if (typeof text === 'string') setSqlStatementAttributes(span, describer.describe(text));
    };
    const responseHook: PgResponseHook = (span: Span, info) => {
      setReturnedRows(span, info?.data);
    };
    const connectionHook: PgConnectionHook = (span: Span) => {
      span.setAttribute(ATTR_DB_OPERATION_NAME, 'CONNECT');
    };

    const Upstream = extendUpstream(PgInstrumentation, { patches: pgRouteCommentPatches(this.commentSwitch) });
    return new Upstream({
      ...upstreamConfig,
      enabled: false,
      requestHook: chainHooks('pg requestHook', requestHook, userConfig.requestHook),
      responseHook: chainHooks('pg responseHook', responseHook, userConfig.responseHook),
      connectionHook: chainHooks('pg connectionHook', connectionHook, userConfig.connectionHook),
    });
  }
}
