/**
 * SQL statements as span attributes, shared by the pg and mysql2 instrumentations (recording;
 * docs/datastores.md):
 *
 * - `SqlStatementDescriber`: the statement as it may leave the process (our ck_route comment
 *   stripped, literals masked unless the user opted in, redaction rules applied, bounded) plus its
 *   summary (`db.operation.name`, `db.collection.name`, `db.query.summary`), cached per statement
 *   text (bounded). The summary itself comes from the one summary cache (src/sql/summary.ts).
 * - `setSqlStatementAttributes` / `setReturnedRows`: the span attributes built from those.
 */
import type { Span } from '@opentelemetry/api';
import type { Redactor } from '../../capture/redaction';
import type { SqlDialect } from '../../sql/lexer';
import { maskSql, scanSql } from '../../sql/segments';
import { stripRouteComment } from '../../sql/route-comment';
import { summarizeSql } from '../../sql/summary';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RETURNED_ROWS,
} from '../../semconv';

const CACHE_MAX_ENTRIES = 512;
const CACHE_MAX_KEY_LENGTH = 4096;

export interface SqlCaptureSettings {
  dialect: Exclude<SqlDialect, 'generic'>;
  /** Replace literals with `?` (the default; off only when the user opts in to raw statements). */
  maskLiterals: boolean;
  /** Bound for db.query.text (InstrumentationContext.statementMaxLength). */
  maxLength: number;
  /** Redaction of `key=value` shapes, applied to unmasked statements. */
  redactor?: Redactor;
}

export interface SqlStatementInfo {
  /** Safe to export: masked (or redacted when raw capture is on) and bounded. */
  queryText: string;
  operation: string;
  table?: string;
}

export class SqlStatementDescriber {
  private readonly cache = new Map<string, SqlStatementInfo>();

  constructor(readonly settings: SqlCaptureSettings) {}

  /** `text` as the driver received it (possibly with our comment). Never throws. */
  describe(text: string): SqlStatementInfo {
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const info = this.compute(text);
    if (text.length <= CACHE_MAX_KEY_LENGTH) {
      // Cleared when full rather than tracked LRU: bounded, no per-hit bookkeeping.
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(text, info);
    }
    return info;
  }

  /** The exportable text alone (mysql2's maskStatementHook wants just this). */
  queryText(text: string): string {
    return this.describe(text).queryText;
  }

  private compute(text: string): SqlStatementInfo {
    const { dialect, maskLiterals, maxLength, redactor } = this.settings;
    try {
      const statement = stripRouteComment(text);
      let queryText: string;
      if (maskLiterals) {
        queryText = maskSql(statement, dialect, maxLength);
      } else {
        const bounded = statement.length > maxLength ? statement.slice(0, maxLength) : statement;
        queryText = redactor && redactor.bodyEnabled ? redactSqlLiterals(bounded, dialect, redactor) : bounded;
      }
      // The summary is read from the masked text: no literal can reach the element name.
      const summary = summarizeSql(maskLiterals ? queryText : maskSql(statement, dialect, 4096), dialect);
      return summary.table === undefined
        ? { queryText, operation: summary.operation }
        : { queryText, operation: summary.operation, table: summary.table };
    } catch {
      return { queryText: '', operation: 'UNKNOWN' };
    }
  }
}

/**
 * The redaction rules for statements recorded with their literals (explicit opt-in): a literal
 * compared with or assigned to a column whose name matches the redaction key patterns
 * (`password = 'x'`, `SET api_key = 'x'`) becomes '[REDACTED]', and `key=value` shapes inside a
 * literal are redacted as in text bodies.
 */
export function redactSqlLiterals(sql: string, dialect: SqlDialect, redactor: Redactor): string {
  let out = '';
  let lastWord = '';
  scanSql(sql, dialect, (kind, start, end) => {
    const segment = sql.slice(start, end);
    if (kind === 'string' || kind === 'number') {
      if (lastWord && redactor.isRedactedKey(lastWord)) {
        out += "'[REDACTED]'";
      } else if (kind === 'string' && segment.length > 2) {
        const quote = segment[0];
        const inner = segment.slice(1, -1);
        const redacted = redactor.text(inner);
        out += redacted === inner ? segment : quote + redacted + quote;
      } else {
        out += segment;
      }
      lastWord = '';
      return;
    }
    out += segment;
    if (kind === 'code') {
      // The column a literal is compared with: `password = `, `password LIKE `, `password IN (`.
      const word = /([A-Za-z_][\w$]*)\s*(?:(?:NOT\s+)?(?:I?LIKE|IN)\b)?[^\w$]*$/i.exec(segment);
      if (word) lastWord = word[1];
      else if (!/^[\s=<>!(,]*$/.test(segment)) lastWord = '';
    } else if (kind === 'identifier') {
      lastWord = segment.slice(1, -1);
    }
  });
  return out;
}

/** Sets the statement, its operation, its table and the summary (`SELECT orders`) on `span`. */
export function setSqlStatementAttributes(span: Span, info: SqlStatementInfo, withQueryText = true): void {
  if (withQueryText) span.setAttribute(ATTR_DB_QUERY_TEXT, info.queryText);
  span.setAttribute(ATTR_DB_OPERATION_NAME, info.operation);
  if (info.table !== undefined) {
    span.setAttribute(ATTR_DB_COLLECTION_NAME, info.table);
    span.setAttribute(ATTR_DB_QUERY_SUMMARY, `${info.operation} ${info.table}`);
  } else {
    span.setAttribute(ATTR_DB_QUERY_SUMMARY, info.operation);
  }
}

/**
 * Rows a statement returned, for row-returning results only (pg `rows` with fields, mysql2 row
 * arrays; several statements: the sum). Write results without rows set nothing.
 */
export function returnedRows(result: unknown): number | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  if (Array.isArray(result)) {
    if (result.length === 0) return 0;
    // mysql2 multi-statement: an array of per-statement results; pg multi-statement: same.
    const first: unknown = result[0];
    if (Array.isArray(first) || isPgResult(first) || isMysqlHeader(first)) {
      let total: number | undefined;
      for (const part of result as unknown[]) {
        const n = returnedRows(part);
        if (n !== undefined) total = (total ?? 0) + n;
      }
      return total;
    }
    return result.length; // mysql2 rows
  }
  if (isPgResult(result)) {
    const r = result as { rows: unknown[]; fields?: unknown[] };
    return Array.isArray(r.fields) && r.fields.length > 0 ? r.rows.length : undefined;
  }
  return undefined;
}

function isPgResult(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Array.isArray((value as { rows?: unknown }).rows) && 'command' in value;
}

function isMysqlHeader(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'affectedRows' in value;
}

export function setReturnedRows(span: Span, result: unknown): void {
  const rows = returnedRows(result);
  if (rows !== undefined) span.setAttribute(ATTR_DB_RETURNED_ROWS, rows);
}
