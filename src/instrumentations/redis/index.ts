/**
 * CKRedisInstrumentation: the unmodified `@opentelemetry/instrumentation-redis` (its node-redis
 * 4/5 part, `@redis/client`), recording exactly as CKIORedisInstrumentation does
 * (docs/datastores.md):
 * - the same `db.query.text` serializer (`redisStatement`): values of write commands never leave
 *   the process (`SET user:1 [1 other arguments]`), credentials and script arguments are not
 *   recorded, every argument and the whole text are bounded;
 * - span start hooks (naming.ts): `db.operation.name` upper-cased; a command queued in a
 *   transaction is `MULTI GET`, in a pipeline `PIPELINE GET` (upstream labels a mixed batch just
 *   `MULTI`); the connect span is `CONNECT`. So the CACHE elements are `redis GET`,
 *   `redis MULTI GET`, `redis CONNECT`, ... as for ioredis;
 * - `requireParentSpan` defaults to true, as for ioredis (upstream's redis default is false):
 *   commands and connects outside any request create no span (patches.ts);
 * - a disabled instrumentation records nothing, also for node-redis 4 clients (patches.ts);
 * - node-redis 4 loaded before enable(): its named commands are traced too (late-commands.ts).
 *
 * Pass `requireParentSpan: false` to record them under the root path. A user
 * `dbStatementSerializer` replaces ours (the explicit opt-in to record more).
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { RedisInstrumentationConfig } from '@opentelemetry/instrumentation-redis';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { redisStatement } from '../ioredis/statement';
import { extendUpstream } from '../upstream';
import { LATE_COMMANDS_PATCH } from './late-commands';
import { connectPatches, passThroughWhenDisabled } from './patches';
import { labelQueuedCommand, nameRedisSpan } from './naming';
// The node-redis 4/5 half of upstream's RedisInstrumentation, used directly so its module
// definitions are the ones the load-order routine and our patches see (a version switch).
import { redisV4V5Class } from './upstream-class';

export type CKRedisInstrumentationConfig = RedisInstrumentationConfig;

export class CKRedisInstrumentation extends CKInstrumentation<CKRedisInstrumentationConfig> {
  readonly libraryName = 'redis';
  // A vanilla instance of the same upstream (sdk-node) must not drop ours (docs/coexistence.md).
  protected override readonly keepsWrappersBesideVanilla = true;

  constructor(config: CKRedisInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKRedisInstrumentationConfig): Instrumentation {
    const maxLength = context.statementMaxLength;
    const requireParentSpan = userConfig.requireParentSpan ?? true;
    const dbStatementSerializer =
      userConfig.dbStatementSerializer ??
      ((cmdName: string, cmdArgs: Array<string | Buffer>) => redisStatement(cmdName, cmdArgs, maxLength));
    const Upstream = extendUpstream(redisV4V5Class(), {
      beforeSpanStart: nameRedisSpan,
      onSpanStart: labelQueuedCommand,
      patches: [...connectPatches(requireParentSpan), LATE_COMMANDS_PATCH],
    });
    const upstream = new Upstream({ ...userConfig, enabled: false, requireParentSpan, dbStatementSerializer });
    passThroughWhenDisabled(upstream);
    return upstream;
  }
}
