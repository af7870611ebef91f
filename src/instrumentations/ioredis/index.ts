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
import { IORedisInstrumentation, type IORedisInstrumentationConfig } from '@opentelemetry/instrumentation-ioredis';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { CKAgent } from '../../agent';
import { statementMaxLength } from '../sql-common/statement';
import { CKInstrumentation, chainHooks } from '../base';

export type CKIORedisInstrumentationConfig = IORedisInstrumentationConfig;

type RedisRequestHook = NonNullable<IORedisInstrumentationConfig['requestHook']>;
type CommandArgs = Parameters<NonNullable<IORedisInstrumentationConfig['dbStatementSerializer']>>[1];

/** Commands whose arguments are keys, fields, counters or options, never stored values. */
const ALL_ARGUMENTS = new Set(
  (
    'get mget exists ttl pttl type strlen getdel getex hget hmget hgetall hkeys hvals hlen hexists hstrlen ' +
    'smembers scard lrange llen lindex lpop rpop zrange zrangebyscore zrevrange zrevrangebyscore zcard zcount ' +
    'keys scan sscan hscan zscan del unlink expire pexpire expireat pexpireat persist incr decr incrby decrby ' +
    'incrbyfloat hincrby hincrbyfloat hdel dbsize ping select info time watch unwatch multi exec discard ' +
    'flushdb flushall quit echo subscribe unsubscribe psubscribe punsubscribe rename renamenx copy move'
  ).split(' ')
);

/** Commands whose arguments may carry credentials or arbitrary data: name and count only. */
const NO_ARGUMENTS = new Set('auth hello acl config migrate eval evalsha eval_ro evalsha_ro fcall fcall_ro script function'.split(' '));

const MAX_ARGUMENT_LENGTH = 128;

function renderArgument(arg: unknown): string {
  let text: string;
  if (typeof arg === 'string') text = arg;
  else if (typeof arg === 'number' || typeof arg === 'bigint') text = String(arg);
  else if (Buffer.isBuffer(arg)) {
    text = arg.toString('utf8');
    // Binary keys are described, not dumped.
    if (text.includes('\uFFFD') || /[\u0000-\u0008\u000e-\u001f]/.test(text)) return `[binary ${arg.length} bytes]`;
  } else return '[?]';
  return text.length > MAX_ARGUMENT_LENGTH ? `${text.slice(0, MAX_ARGUMENT_LENGTH)}…` : text;
}

/**
 * The `db.query.text` for a Redis command:
 * - read-like commands (GET, MGET, HGET, DEL, EXPIRE, ...): all arguments;
 * - AUTH, HELLO, ACL, CONFIG, EVAL/FCALL, SCRIPT, ...: the name and the argument count;
 * - everything else (SET, HSET, LPUSH, ZADD, PUBLISH, unknown commands): the key, then
 *   `[n other arguments]`.
 * Each argument at most 128 chars (binary → `[binary n bytes]`), the whole at most `maxLength`.
 */
export function redisStatement(cmdName: string, cmdArgs: CommandArgs, maxLength = Infinity): string {
  const name = String(cmdName);
  const args = Array.isArray(cmdArgs) ? cmdArgs : [];
  const lower = name.toLowerCase();
  let text: string;
  if (args.length === 0) {
    text = name;
  } else if (NO_ARGUMENTS.has(lower)) {
    text = `${name} [${args.length} arguments]`;
  } else if (ALL_ARGUMENTS.has(lower)) {
    text = name;
    for (const arg of args) {
      text += ' ' + renderArgument(arg);
      if (text.length > maxLength) break;
    }
  } else {
    text = `${name} ${renderArgument(args[0])}`;
    if (args.length > 1) text += ` [${args.length - 1} other arguments]`;
  }
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

export class CKIORedisInstrumentation extends CKInstrumentation<CKIORedisInstrumentationConfig> {
  readonly libraryName = 'ioredis';

  constructor(config: CKIORedisInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(agent: CKAgent, userConfig: CKIORedisInstrumentationConfig): Instrumentation {
    const maxLength = statementMaxLength(agent.config.tracing.attributeValueLengthLimit);
    const dbStatementSerializer =
      userConfig.dbStatementSerializer ?? ((cmdName: string, cmdArgs: CommandArgs) => redisStatement(cmdName, cmdArgs, maxLength));
    // Upstream already set `get` / `MULTI get` / `PIPELINE get`; we only normalise the case.
    const requestHook: RedisRequestHook = (span: Span, info) => {
      const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes;
      const operation = attributes?.['db.operation.name'] ?? info?.cmdName;
      if (typeof operation === 'string') span.setAttribute('db.operation.name', operation.toUpperCase());
    };
    return new IORedisInstrumentation({
      ...userConfig,
      enabled: false,
      dbStatementSerializer,
      requestHook: chainHooks('ioredis requestHook', requestHook, userConfig.requestHook),
    });
  }
}
