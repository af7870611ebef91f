/**
 * CKIORedisInstrumentation: the unmodified `@opentelemetry/instrumentation-ioredis`, with
 * - a stricter `db.query.text` serializer than upstream's (see `redisStatement`): values of write
 *   commands never leave the process (`SET user:1 [1 other arguments]`), credentials and script
 *   arguments are not recorded, every argument and the whole text are bounded;
 * - requestHook: `db.operation.name` upper-cased (`GET`; queued in a transaction `MULTI GET`,
 *   in a pipeline `PIPELINE GET`, as upstream distinguishes them), so the span maps to the CACHE
 *   element `redis GET` (`redis MULTI GET`, ...) under the request's path.
 *
 * Defaults: `requireParentSpan` is upstream's default (true): commands outside any request
 * (startup, timers, background jobs) create no span and so no element. Pass
 * `requireParentSpan: false` to record them under the root path. A user `dbStatementSerializer`
 * replaces ours (that is the explicit opt-in to record more, e.g. upstream's own serializer).
 */
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation, type IORedisInstrumentationConfig } from '@opentelemetry/instrumentation-ioredis';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { InstrumentationContext } from '../../capture/context';
import { ATTR_DB_OPERATION_NAME } from '../../semconv';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { redisStatement, type CommandArgs } from './statement';

export type CKIORedisInstrumentationConfig = IORedisInstrumentationConfig;

type RedisRequestHook = NonNullable<IORedisInstrumentationConfig['requestHook']>;

export class CKIORedisInstrumentation extends CKInstrumentation<CKIORedisInstrumentationConfig> {
  readonly libraryName = 'ioredis';
  // A vanilla instance of the same upstream (sdk-node) must not drop ours (docs/coexistence.md).
  protected override readonly keepsWrappersBesideVanilla = true;

  constructor(config: CKIORedisInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKIORedisInstrumentationConfig): Instrumentation {
    const maxLength = context.statementMaxLength;
    const dbStatementSerializer =
      userConfig.dbStatementSerializer ?? ((cmdName: string, cmdArgs: CommandArgs) => redisStatement(cmdName, cmdArgs, maxLength));
    // Upstream already set `get` / `MULTI get` / `PIPELINE get`; we only normalise the case.
    const requestHook: RedisRequestHook = (span: Span, info) => {
      const operation = (span as Partial<ReadableSpan>).attributes?.[ATTR_DB_OPERATION_NAME] ?? info?.cmdName;
      if (typeof operation === 'string') span.setAttribute(ATTR_DB_OPERATION_NAME, operation.toUpperCase());
    };
    return new IORedisInstrumentation({
      ...userConfig,
      enabled: false,
      dbStatementSerializer,
      requestHook: chainHooks('ioredis requestHook', requestHook, userConfig.requestHook),
    });
  }
}
export { redisStatement } from './statement';
