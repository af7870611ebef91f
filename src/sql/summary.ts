/**
 * A small SQL statement summariser for graph element names: `{ operation, table? }`, e.g.
 * `SELECT * FROM "shop".orders WHERE id = $1` → `{ operation: 'SELECT', table: 'shop.orders' }`.
 *
 * Low cardinality by construction: the operation is a keyword and the table is read only from an
 * identifier in a table position (after FROM / INTO / UPDATE / TABLE / ON). String, number and
 * dollar-quoted literals are skipped by the lexer (lexer.ts) and can never end up in the result.
 * Only the first 4 KiB of a statement are scanned. Not a parser: unknown shapes give the
 * operation alone, never an exception.
 */
import { SqlLexer, SqlToken, type SqlDialect } from './lexer';

export interface SqlSummary {
  /** Upper-case first keyword (SELECT, INSERT, ...; the main statement's for WITH), or 'UNKNOWN'. */
  operation: string;
  /** First table, quotes removed, schema kept (`schema.table`); absent when none is clear. */
  table?: string;
}

const MAX_SCAN = 4096;
const MAX_OPERATION_LENGTH = 16;
const MAX_NAME_LENGTH = 128;
const MAX_NAME_PARTS = 3;
/** Recursion bound for WITH / subqueries (each level scans forward, so this also bounds work). */
const MAX_DEPTH = 4;

const enum Tok {
  End,
  Word,
  QuotedIdent,
  Literal,
  Punct,
}

/**
 * The summariser's view of the shared lexer (lexer.ts, `generic` rules unless the caller knows the
 * dialect): comments skipped; strings, numbers and `$1` parameters are all just literals;
 * `text` is the word, the unquoted identifier or the punctuation character.
 */
class Scanner {
  kind: Tok = Tok.End;
  text = '';
  private readonly lexer: SqlLexer;

  constructor(sql: string, dialect: SqlDialect) {
    this.lexer = new SqlLexer(sql, dialect);
  }

  /** Where the next token starts from (save it to look ahead, assign it to step back). */
  get pos(): number {
    return this.lexer.pos;
  }

  set pos(value: number) {
    this.lexer.pos = value;
  }

  /** Upper-case text of the current token when it is a plain word, else ''. */
  keyword(): string {
    return this.kind === Tok.Word ? this.text.toUpperCase() : '';
  }

  isPunct(ch: string): boolean {
    return this.kind === Tok.Punct && this.text === ch;
  }

  next(): Tok {
    const lexer = this.lexer;
    for (;;) {
      switch (lexer.next()) {
        case SqlToken.End:
          return this.set(Tok.End, '');
        case SqlToken.Comment:
        case SqlToken.LineComment:
          continue;
        case SqlToken.Word:
          return this.set(Tok.Word, lexer.text());
        case SqlToken.QuotedIdentifier:
          return this.set(Tok.QuotedIdent, lexer.identifier());
        case SqlToken.Punct:
          return this.set(Tok.Punct, lexer.text());
        default:
          return this.set(Tok.Literal, '');
      }
    }
  }

  private set(kind: Tok, text: string): Tok {
    this.kind = kind;
    this.text = text;
    return kind;
  }
}

/** Words that cannot be a table name where a name is expected (malformed or unusual SQL). */
const NOT_A_TABLE = new Set([
  'SELECT',
  'WHERE',
  'SET',
  'VALUES',
  'VALUE',
  'ON',
  'USING',
  'JOIN',
  'AS',
  'FROM',
  'INTO',
  'GROUP',
  'ORDER',
  'LIMIT',
  'UNION',
  'DEFAULT',
  'RETURNING',
  'WITH',
  'TABLE',
  'IF',
  'NOT',
  'EXISTS',
]);

/**
 * Reads `name` or `a.b.c` (quoted parts allowed) starting at the current token. Returns the name
 * with quotes removed, or undefined if the current token is not an identifier.
 */
function readName(sc: Scanner): string | undefined {
  if (sc.kind === Tok.Word) {
    if (NOT_A_TABLE.has(sc.keyword())) return undefined;
  } else if (sc.kind !== Tok.QuotedIdent) {
    return undefined;
  }
  let name = sc.text;
  let parts = 1;
  for (;;) {
    const save = sc.pos;
    sc.next();
    if (!sc.isPunct('.')) {
      // Not qualified further: step back so the caller sees the token after the name.
      sc.pos = save;
      break;
    }
    sc.next();
    if (sc.kind !== Tok.Word && sc.kind !== Tok.QuotedIdent) return undefined;
    name += '.' + sc.text;
    if (++parts > MAX_NAME_PARTS) return undefined;
  }
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return undefined;
  return name;
}

/** Advances past any of `words` (upper-case) at the current token; returns the first other token. */
function skipWords(sc: Scanner, words: ReadonlySet<string>): void {
  while (sc.kind === Tok.Word && words.has(sc.keyword())) sc.next();
}

/** Skips `IF EXISTS` / `IF NOT EXISTS` at the current token. */
function skipIfExists(sc: Scanner): void {
  if (sc.keyword() !== 'IF') return;
  sc.next();
  if (sc.keyword() === 'NOT') sc.next();
  if (sc.keyword() === 'EXISTS') sc.next();
}

/** Skips a balanced parenthesised group; the current token is its `(`. Leaves the token after `)`. */
function skipGroup(sc: Scanner): void {
  let depth = 0;
  do {
    if (sc.isPunct('(')) depth++;
    else if (sc.isPunct(')')) depth--;
    sc.next();
  } while (depth > 0 && sc.kind !== Tok.End);
}

const INSERT_MODIFIERS = new Set([
  'LOW_PRIORITY',
  'DELAYED',
  'HIGH_PRIORITY',
  'IGNORE',
  'INTO',
  'OR',
  'REPLACE',
  'ABORT',
  'FAIL',
  'ROLLBACK',
]);
const UPDATE_MODIFIERS = new Set(['LOW_PRIORITY', 'IGNORE', 'ONLY', 'OR', 'REPLACE', 'ABORT', 'FAIL', 'ROLLBACK']);
const DELETE_MODIFIERS = new Set(['LOW_PRIORITY', 'QUICK', 'IGNORE']);
const CREATE_MODIFIERS = new Set([
  'OR',
  'REPLACE',
  'TEMPORARY',
  'TEMP',
  'UNLOGGED',
  'GLOBAL',
  'LOCAL',
  'UNIQUE',
  'CLUSTERED',
  'NONCLUSTERED',
  'VIRTUAL',
]);
const ONLY = new Set(['ONLY']);
const FROM_PREFIXES = new Set(['ONLY', 'LATERAL']);
const TABLE_WORDS = new Set(['TABLE']);

/**
 * After FROM: the table, or for a subquery the first table found inside it (or none).
 * A name followed by `(` is a table function, not a table.
 */
function tableAfterFrom(sc: Scanner, depth: number): string | undefined {
  sc.next();
  skipWords(sc, FROM_PREFIXES);
  if (sc.isPunct('(')) {
    if (depth >= MAX_DEPTH) return undefined;
    // Subquery: the first FROM inside it, at any nesting level.
    while (sc.next() !== Tok.End) {
      if (sc.keyword() === 'FROM') return tableAfterFrom(sc, depth + 1);
      if (sc.isPunct(';')) return undefined;
    }
    return undefined;
  }
  const name = readName(sc);
  if (name === undefined) return undefined;
  const save = sc.pos;
  sc.next();
  if (sc.isPunct('(')) return undefined;
  sc.pos = save;
  return name;
}

/** SELECT: the table after the first FROM at the statement's own parenthesis level. */
function selectTable(sc: Scanner, depth: number): string | undefined {
  let level = 0;
  while (sc.next() !== Tok.End) {
    if (sc.kind === Tok.Punct) {
      if (sc.text === '(') level++;
      else if (sc.text === ')') level--;
      else if (sc.text === ';' && level <= 0) return undefined;
    } else if (level <= 0 && sc.keyword() === 'FROM') {
      return tableAfterFrom(sc, depth);
    }
  }
  return undefined;
}

/** Reads the table of a statement whose first keyword (`op`, upper case) is the current token. */
function tableOf(sc: Scanner, op: string, depth: number): string | undefined {
  switch (op) {
    case 'SELECT':
      return selectTable(sc, depth);
    case 'INSERT':
    case 'REPLACE':
    case 'MERGE':
    case 'UPSERT':
      sc.next();
      skipWords(sc, INSERT_MODIFIERS);
      return readName(sc);
    case 'UPDATE':
      sc.next();
      skipWords(sc, UPDATE_MODIFIERS);
      return readName(sc);
    case 'DELETE':
      sc.next();
      skipWords(sc, DELETE_MODIFIERS);
      if (sc.keyword() === 'FROM') {
        sc.next();
        skipWords(sc, ONLY);
      }
      return readName(sc);
    case 'CREATE': {
      sc.next();
      skipWords(sc, CREATE_MODIFIERS);
      const what = sc.keyword();
      if (what === 'TABLE') {
        sc.next();
        skipIfExists(sc);
        return readName(sc);
      }
      if (what === 'INDEX') {
        // CREATE INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table
        for (let i = 0; i < 8 && sc.next() !== Tok.End; i++) {
          if (sc.keyword() === 'ON') {
            sc.next();
            skipWords(sc, ONLY);
            return readName(sc);
          }
        }
      }
      return undefined;
    }
    case 'DROP':
    case 'ALTER':
    case 'TRUNCATE': {
      sc.next();
      if (op === 'DROP') skipWords(sc, CREATE_MODIFIERS); // DROP TEMPORARY TABLE
      if (sc.keyword() !== 'TABLE') {
        if (op !== 'TRUNCATE') return undefined;
      } else {
        skipWords(sc, TABLE_WORDS);
      }
      skipIfExists(sc);
      skipWords(sc, ONLY);
      return readName(sc);
    }
    default:
      return undefined;
  }
}

/** Upper-cased first word if it is 1..16 ASCII letters, else 'UNKNOWN'. */
function operationOf(word: string): string {
  if (word.length === 0 || word.length > MAX_OPERATION_LENGTH) return 'UNKNOWN';
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a))) return 'UNKNOWN';
  }
  return word.toUpperCase();
}

/**
 * WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (...) [, ...] main-statement.
 * Returns the main statement's summary, or just 'WITH' when the shape is not recognised.
 */
function summarizeWith(sc: Scanner, depth: number): SqlSummary {
  sc.next();
  if (sc.keyword() === 'RECURSIVE') sc.next();
  for (let ctes = 0; ctes < 64; ctes++) {
    if (sc.kind !== Tok.Word && sc.kind !== Tok.QuotedIdent) return { operation: 'WITH' };
    sc.next();
    if (sc.isPunct('(')) skipGroup(sc);
    if (sc.keyword() !== 'AS') return { operation: 'WITH' };
    sc.next();
    if (sc.keyword() === 'NOT') sc.next();
    if (sc.keyword() === 'MATERIALIZED') sc.next();
    if (!sc.isPunct('(')) return { operation: 'WITH' };
    skipGroup(sc);
    if (sc.isPunct(',')) {
      sc.next();
      continue;
    }
    if (sc.kind !== Tok.Word) return { operation: 'WITH' };
    return summarizeFrom(sc, depth + 1);
  }
  return { operation: 'WITH' };
}

/** Summary of the statement whose first token is current. */
function summarizeFrom(sc: Scanner, depth: number): SqlSummary {
  while (sc.isPunct('(')) sc.next(); // (SELECT ...) UNION ...
  if (sc.kind !== Tok.Word) return { operation: 'UNKNOWN' };
  const operation = operationOf(sc.text);
  if (operation === 'WITH') return depth < MAX_DEPTH ? summarizeWith(sc, depth) : { operation };
  if (operation === 'UNKNOWN') return { operation };
  const table = tableOf(sc, operation, depth);
  return table === undefined ? { operation } : { operation, table };
}

/**
 * The one summary cache (bounded, cleared when full rather than tracked LRU: no per-hit
 * bookkeeping). Apps repeat the same parameterised statements, so most calls are one lookup.
 */
const CACHE_MAX_ENTRIES = 1024;
const CACHE_MAX_KEY_LENGTH = 4096;
const cache = new Map<string, SqlSummary>();
const UNKNOWN_SUMMARY: SqlSummary = Object.freeze({ operation: 'UNKNOWN' });

/**
 * `{ operation, table? }` of a statement. `dialect`: the driver's, when known (masked statements
 * of our pg / mysql2 instrumentations); `generic` for statements of unknown origin. Summaries are
 * frozen and shared (cached), so callers cannot corrupt each other's results.
 */
export function summarizeSql(sql: string, dialect: SqlDialect = 'generic'): SqlSummary {
  if (typeof sql !== 'string' || sql.length === 0) return UNKNOWN_SUMMARY;
  const cacheable = sql.length <= CACHE_MAX_KEY_LENGTH;
  const key = dialect === 'generic' ? sql : dialect + '\u0000' + sql;
  if (cacheable) {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
  }
  let summary: SqlSummary;
  try {
    const sc = new Scanner(sql.length > MAX_SCAN ? sql.slice(0, MAX_SCAN) : sql, dialect);
    sc.next();
    summary = Object.freeze(summarizeFrom(sc, 0));
  } catch {
    summary = UNKNOWN_SUMMARY;
  }
  if (cacheable) {
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(key, summary);
  }
  return summary;
}
