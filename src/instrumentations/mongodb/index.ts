/**
 * CKMongoDBInstrumentation: the unmodified `@opentelemetry/instrumentation-mongodb`, with
 * - a bounded statement serializer: by default the command's shape with every value masked
 *   (`{"find":"?","filter":{"status":"?","total":{"$gt":"?"}}}`, as upstream's default does,
 *   plus a size bound and a walk budget so a huge `$in` list costs little);
 *   `enhancedDatabaseReporting: true` (opt-in) records values, with the redaction rules applied
 *   to keys (`password`, `token`, ...);
 * - span start hook: commands without a collection (`ping`, `endSessions`, `hello`, ...: the
 *   driver addresses them to `<db>.$cmd`) lose the `$cmd` pseudo-collection, so the DATABASE
 *   element is `PING` rather than `PING $cmd`; upstream's operation + collection + database
 *   (`db.operation.name`, `db.collection.name`, `db.namespace`) are kept otherwise;
 * - responseHook: `db.response.returned_rows` for cursor batches (find, aggregate, getMore).
 *
 * Defaults: `requireParentSpan` is upstream's default (true): commands outside any request create
 * no span. Pass `requireParentSpan: false` to record them under the root path.
 */
import type { Span } from '@opentelemetry/api';
import { MongoDBInstrumentation, type MongoDBInstrumentationConfig } from '@opentelemetry/instrumentation-mongodb';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { CKAgent } from '../../agent';
import { REDACTED, Redactor } from '../../capture/redaction';
import { statementMaxLength } from '../sql-common/statement';
import { decorateUpstream } from '../upstream';
import { CKInstrumentation, chainHooks } from '../base';

export type CKMongoDBInstrumentationConfig = MongoDBInstrumentationConfig;

type MongoResponseHook = NonNullable<MongoDBInstrumentationConfig['responseHook']>;

/** Nodes visited per serialized command: past it the rest is elided. */
const MAX_NODES = 2000;
const MAX_DEPTH = 32;

interface SerializeState {
  out: string;
  nodes: number;
  readonly maxLength: number;
  readonly mask: boolean;
  readonly redactor: Redactor | undefined;
  readonly seen: Set<object>;
}

function isBsonValue(value: object): boolean {
  return typeof (value as { _bsontype?: unknown })._bsontype === 'string' || value instanceof Date || Buffer.isBuffer(value);
}

function writeValue(state: SerializeState, value: unknown, depth: number): void {
  if (state.out.length > state.maxLength) return;
  if (++state.nodes > MAX_NODES) {
    state.out += '"…"';
    return;
  }
  if (value === null || value === undefined || typeof value !== 'object' || isBsonValue(value)) {
    state.out += state.mask ? '"?"' : scalarJson(value);
    return;
  }
  if (state.seen.has(value) || depth > MAX_DEPTH) {
    state.out += '"[Circular]"';
    return;
  }
  state.seen.add(value);
  if (Array.isArray(value)) {
    state.out += '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) state.out += ',';
      writeValue(state, value[i], depth + 1);
      if (state.out.length > state.maxLength || state.nodes > MAX_NODES) break;
    }
    state.out += ']';
  } else {
    state.out += '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function') continue;
      if (!first) state.out += ',';
      first = false;
      state.out += JSON.stringify(key) + ':';
      if (!state.mask && state.redactor?.isRedactedKey(key)) state.out += JSON.stringify(REDACTED);
      else writeValue(state, item, depth + 1);
      if (state.out.length > state.maxLength || state.nodes > MAX_NODES) break;
    }
    state.out += '}';
  }
  state.seen.delete(value);
}

function scalarJson(value: unknown): string {
  if (value === undefined) return 'null';
  try {
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    if (Buffer.isBuffer(value)) return JSON.stringify(`[binary ${value.length} bytes]`);
    const bsonType = value && typeof value === 'object' ? (value as { _bsontype?: string })._bsontype : undefined;
    if (bsonType === 'Binary') return JSON.stringify(`[binary ${(value as { length(): number }).length()} bytes]`);
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"?"';
  }
}

/**
 * The `db.query.text` of a MongoDB command: its shape as JSON with values masked (default), or
 * with values and redacted keys (`enhanced`), at most `maxLength` chars.
 */
export function mongoStatement(command: unknown, maxLength: number, enhanced = false, redactor?: Redactor): string {
  const state: SerializeState = { out: '', nodes: 0, maxLength, mask: !enhanced, redactor, seen: new Set() };
  writeValue(state, command, 0);
  return state.out.length > maxLength ? state.out.slice(0, maxLength) : state.out;
}

export class CKMongoDBInstrumentation extends CKInstrumentation<CKMongoDBInstrumentationConfig> {
  readonly libraryName = 'mongodb';

  constructor(config: CKMongoDBInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(agent: CKAgent, userConfig: CKMongoDBInstrumentationConfig): Instrumentation {
    const maxLength = statementMaxLength(agent.config.tracing.attributeValueLengthLimit);
    const enhanced = userConfig.enhancedDatabaseReporting === true;
    const redactor = new Redactor(agent.config.redaction);
    const dbStatementSerializer =
      userConfig.dbStatementSerializer ?? ((command: Record<string, unknown>) => mongoStatement(command, maxLength, enhanced, redactor));
    const responseHook: MongoResponseHook = (span: Span, info) => {
      const rows = cursorBatchSize(info?.data?.result ?? info?.data);
      if (rows !== undefined) span.setAttribute('db.response.returned_rows', rows);
    };
    const Upstream = decorateUpstream(MongoDBInstrumentation, { onSpanStart: dropCommandPseudoCollection });
    return new Upstream({
      ...userConfig,
      enabled: false,
      dbStatementSerializer,
      responseHook: chainHooks('mongodb responseHook', responseHook, userConfig.responseHook),
    });
  }
}

/** `ping $cmd` → `ping`: `$cmd` is how the driver addresses database commands, not a collection. */
function dropCommandPseudoCollection(span: Span): void {
  const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes;
  if (!attributes || attributes['db.collection.name'] !== '$cmd') return;
  delete attributes['db.collection.name'];
  const operation = attributes['db.operation.name'];
  if (typeof operation === 'string') span.updateName(operation);
}

/** Documents in a cursor reply's batch (driver 6.x CursorResponse, or a plain reply document). */
function cursorBatchSize(result: unknown): number | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const response = result as { batchSize?: unknown; cursor?: { firstBatch?: unknown; nextBatch?: unknown } };
  if (response.constructor?.name === 'CursorResponse' || response.constructor?.name === 'ExplainedCursorResponse') {
    const size = response.batchSize;
    return typeof size === 'number' ? size : undefined;
  }
  const cursor = response.cursor;
  if (cursor && typeof cursor === 'object' && !('get' in cursor && typeof (cursor as { get?: unknown }).get === 'function')) {
    const batch = Array.isArray(cursor.firstBatch) ? cursor.firstBatch : Array.isArray(cursor.nextBatch) ? cursor.nextBatch : undefined;
    if (batch) return batch.length;
  }
  return undefined;
}
