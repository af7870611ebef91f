/**
 * CKMongoDBInstrumentation: the unmodified `@opentelemetry/instrumentation-mongodb`, with
 * - a bounded statement serializer: by default the command's shape with every value masked
 *   (`{"find":"?","filter":{"status":"?","total":{"$gt":"?"}}}`, as upstream's default does,
 *   plus a size bound and a walk budget so a huge `$in` list costs little);
 *   `enhancedDatabaseReporting: true` (opt-in) records values, with the redaction rules applied
 *   to keys (`password`, `token`, ...);
 * - span start hook: commands without a collection (`ping`, `endSessions`, `hello`, ...: the
 *   driver addresses them to `<db>.$cmd`) start without the `$cmd` pseudo-collection and are
 *   named after the command alone (`ping`), so the DATABASE element is `PING` rather than
 *   `PING $cmd`; upstream's operation + collection + database are kept otherwise;
 * - responseHook: `db.response.returned_rows` for cursor batches (find, aggregate, getMore).
 *
 * Defaults: `requireParentSpan` is upstream's default (true): commands outside any request create
 * no span. Pass `requireParentSpan: false` to record them under the root path.
 */
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { MongoDBInstrumentation, type MongoDBInstrumentationConfig } from '@opentelemetry/instrumentation-mongodb';
import type { InstrumentationContext } from '../../capture/context';
import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME, ATTR_DB_RETURNED_ROWS, MONGO_COMMAND_COLLECTION } from '../../semconv';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { extendUpstream, type SpanStartAdjuster } from '../upstream';
import { mongoStatement } from './statement';

export { mongoStatement };

export type CKMongoDBInstrumentationConfig = MongoDBInstrumentationConfig;

type MongoResponseHook = NonNullable<MongoDBInstrumentationConfig['responseHook']>;

export class CKMongoDBInstrumentation extends CKInstrumentation<CKMongoDBInstrumentationConfig> {
  readonly libraryName = 'mongodb';
  // A vanilla instance of the same upstream (sdk-node) must not drop ours (docs/coexistence.md).
  protected override readonly keepsWrappersBesideVanilla = true;

  constructor(config: CKMongoDBInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKMongoDBInstrumentationConfig): Instrumentation {
    const maxLength = context.statementMaxLength;
    const enhanced = userConfig.enhancedDatabaseReporting === true;
    const redactor = context.redactor;
    const dbStatementSerializer =
      userConfig.dbStatementSerializer ?? ((command: Record<string, unknown>) => mongoStatement(command, maxLength, enhanced, redactor));
    const responseHook: MongoResponseHook = (span: Span, info) => {
      const rows = cursorBatchSize(info?.data?.result ?? info?.data);
      if (rows !== undefined) span.setAttribute(ATTR_DB_RETURNED_ROWS, rows);
    };
    const Upstream = extendUpstream(MongoDBInstrumentation, { beforeSpanStart: nameCommandsWithoutCollection });
    return new Upstream({
      ...userConfig,
      enabled: false,
      dbStatementSerializer,
      responseHook: chainHooks('mongodb responseHook', responseHook, userConfig.responseHook),
    });
  }
}

/**
 * `mongodb.ping $cmd` → `ping`, without `db.collection.name`: `$cmd` is how the driver addresses
 * database commands, not a collection. Decided before the span starts.
 */
const nameCommandsWithoutCollection: SpanStartAdjuster = (name, options) => {
  const attributes = options?.attributes;
  if (attributes?.[ATTR_DB_COLLECTION_NAME] !== MONGO_COMMAND_COLLECTION) return undefined;
  const { [ATTR_DB_COLLECTION_NAME]: _collection, ...rest } = attributes;
  const operation = attributes[ATTR_DB_OPERATION_NAME];
  return { name: typeof operation === 'string' ? operation : name, options: { ...options, attributes: rest } };
};

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
