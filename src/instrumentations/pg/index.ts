/**
 * CKPgInstrumentation: the unmodified `@opentelemetry/instrumentation-pg` (pg and pg-pool), with
 * - requestHook: `db.query.text` masked (literals → `?`; `$1` parameters are kept, values never
 *   recorded), `db.operation.name` / `db.collection.name` / `db.query.summary` from the SQL
 *   summariser, so the span maps to a DATABASE element `SELECT orders` under the request's path;
 * - responseHook: `db.response.returned_rows`;
 * - driver patch (optional, `ckRouteComment: true`): the ck_route SQL comment, added by a wrapper
 *   on `Client.prototype.query` that sits outside upstream's (see helpers/sql-driver-patch.ts).
 *
 * Defaults: `requireParentSpan` is upstream's default (false): queries outside any request
 * (startup, timers) are recorded under the root path. `enhancedDatabaseReporting: true` (opt-in)
 * keeps statements unmasked (redaction rules still applied) and lets upstream record the bound
 * values in `db.postgresql.values`.
 */
import type { Span } from '@opentelemetry/api';
import { PgInstrumentation, type PgInstrumentationConfig } from '@opentelemetry/instrumentation-pg';
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { CKAgent } from '../../agent';
import { Redactor } from '../../capture/redaction';
import {
  ATTR_DB_OPERATION_NAME,
  SqlStatementDescriber,
  commentPgQueryArg,
  installQueryPatch,
  removeQueryPatch,
  routeCommentWrapper,
  setReturnedRows,
  setSqlStatementAttributes,
  statementMaxLength,
  type RouteCommentSwitch,
} from '../sql-common/statement';
import { chainPatch, decorateUpstream, type ChainedPatch } from '../upstream';
import { CKInstrumentation, chainHooks } from '../base';

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
  private readonly commentSwitch: RouteCommentSwitch = { enabled: false };

  constructor(config: CKPgInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(agent: CKAgent, userConfig: CKPgInstrumentationConfig): Instrumentation {
    const { ckRouteComment, ...upstreamConfig } = userConfig;
    this.commentSwitch.enabled = ckRouteComment === true;
    const describer = new SqlStatementDescriber({
      dialect: 'postgresql',
      maskLiterals: userConfig.enhancedDatabaseReporting !== true,
      maxLength: statementMaxLength(agent.config.tracing.attributeValueLengthLimit),
      redactor: new Redactor(agent.config.redaction),
    });

    const requestHook: PgRequestHook = (span: Span, info) => {
      const text = info?.query?.text;
      if (typeof text === 'string') setSqlStatementAttributes(span, describer.describe(text));
    };
    const responseHook: PgResponseHook = (span: Span, info) => {
      setReturnedRows(span, info?.data);
    };

    // pg.connect / pg-pool.connect spans: element `CONNECT` (connection time per path).
    const connectionHook: PgConnectionHook = (span: Span) => {
      span.setAttribute(ATTR_DB_OPERATION_NAME, 'CONNECT');
    };

    const patch = queryCommentPatch(this.commentSwitch);
    const Upstream = decorateUpstream(PgInstrumentation, {
      onInit: (definitions) => chainPgClientPatches(definitions, patch),
    });
    return new Upstream({
      ...upstreamConfig,
      enabled: false,
      requestHook: chainHooks('pg requestHook', requestHook, userConfig.requestHook),
      responseHook: chainHooks('pg responseHook', responseHook, userConfig.responseHook),
      connectionHook: chainHooks('pg connectionHook', connectionHook, userConfig.connectionHook),
    });
  }
}

/** Our `Client.prototype.query` wrapper (ck_route comment), for pg's Client class exports. */
function queryCommentPatch(control: RouteCommentSwitch): ChainedPatch {
  const wrap = routeCommentWrapper(commentPgQueryArg, control);
  const clientPrototype = (exports: unknown): Record<string, unknown> | undefined => {
    if (typeof exports !== 'function') return undefined;
    return (exports as { prototype?: Record<string, unknown> }).prototype;
  };
  return {
    apply(exports) {
      const proto = clientPrototype(exports);
      if (proto && control.enabled) installQueryPatch(proto, 'query', wrap);
    },
    remove(exports) {
      const proto = clientPrototype(exports);
      if (proto) removeQueryPatch(proto, 'query');
    },
  };
}

/**
 * Upstream patches `Client.prototype.query` from three places: the `pg` main module (its
 * `Client` export) and the files `pg/lib/client.js` / `pg/lib/native/client.js` (the class
 * itself). Ours is chained to each, so it is outermost whichever ran last.
 */
function chainPgClientPatches(definitions: InstrumentationModuleDefinition[], patch: ChainedPatch): void {
  for (const definition of definitions) {
    if (definition.name !== 'pg') continue;
    chainPatch(definition, {
      apply: (exports) => patch.apply(moduleClient(exports)),
      remove: (exports) => patch.remove(moduleClient(exports)),
    });
    for (const file of definition.files) {
      if (file.name.endsWith('client.js')) chainPatch(file, patch);
    }
  }
}

function moduleClient(exports: unknown): unknown {
  const module = exports as { Client?: unknown; default?: { Client?: unknown }; [Symbol.toStringTag]?: string } | undefined;
  if (!module) return undefined;
  return module[Symbol.toStringTag] === 'Module' ? module.default?.Client : module.Client;
}
