/**
 * The `db.query.text` of a Redis command (recording; docs/datastores.md): stricter than upstream's
 * serializer, so values of write commands, credentials and script arguments never leave the
 * process, and every argument and the whole text are bounded.
 */
import type { IORedisInstrumentationConfig } from '@opentelemetry/instrumentation-ioredis';

export type CommandArgs = Parameters<NonNullable<IORedisInstrumentationConfig['dbStatementSerializer']>>[1];

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
    // Binary keys are described, not dumped (control characters are the point of the test).
    // eslint-disable-next-line no-control-regex
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
