/**
 * A small SQL statement summariser for graph element names: `{ operation, table? }`, e.g.
 * `SELECT * FROM "shop".orders WHERE id = $1` → `{ operation: 'SELECT', table: 'shop.orders' }`.
 *
 * Low cardinality by construction: the operation is a keyword and the table is read only from an
 * identifier in a table position (after FROM / INTO / UPDATE / TABLE / ON). String, number and
 * dollar-quoted literals are skipped by the scanner and can never end up in the result.
 * Only the first 4 KiB of a statement are scanned. Not a parser: unknown shapes give the
 * operation alone, never an exception.
 */

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

/** Forward-only tokenizer over a bounded string. `text`: the word / unquoted identifier / punct char. */
class Scanner {
  pos = 0;
  kind: Tok = Tok.End;
  text = '';

  constructor(private readonly s: string) {}

  /** Upper-case text of the current token when it is a plain word, else ''. */
  keyword(): string {
    return this.kind === Tok.Word ? this.text.toUpperCase() : '';
  }

  isPunct(ch: string): boolean {
    return this.kind === Tok.Punct && this.text === ch;
  }

  next(): Tok {
    const s = this.s;
    const n = s.length;
    let i = this.skipSpaceAndComments(this.pos);
    if (i >= n) return this.set(Tok.End, '', n);
    const c = s.charCodeAt(i);

    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(s.charCodeAt(j))) j++;
      return this.set(Tok.Word, s.slice(i, j), j);
    }
    if (isDigit(c)) {
      let j = i + 1;
      while (j < n && (isWordPart(s.charCodeAt(j)) || s.charCodeAt(j) === 0x2e)) j++;
      return this.set(Tok.Literal, '', j);
    }
    switch (c) {
      case 0x27: // 'string' ('' and backslash escapes)
        return this.set(Tok.Literal, '', skipQuoted(s, i + 1, 0x27, true));
      case 0x22: // "identifier"
        return this.quotedIdent(i + 1, 0x22);
      case 0x60: // `identifier`
        return this.quotedIdent(i + 1, 0x60);
      case 0x5b: // [identifier]
        return this.quotedIdent(i + 1, 0x5d);
      case 0x24: {
        // $1 parameter, or $tag$ ... $tag$ dollar-quoted literal.
        const after = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (isDigit(after)) {
          let j = i + 1;
          while (j < n && isDigit(s.charCodeAt(j))) j++;
          return this.set(Tok.Literal, '', j);
        }
        let j = i + 1;
        while (j < n && (isWordStart(s.charCodeAt(j)) || isDigit(s.charCodeAt(j)))) j++;
        if (j < n && s.charCodeAt(j) === 0x24) {
          const tag = s.slice(i, j + 1);
          const close = s.indexOf(tag, j + 1);
          return this.set(Tok.Literal, '', close < 0 ? n : close + tag.length);
        }
        return this.set(Tok.Punct, '$', i + 1);
      }
      default:
        return this.set(Tok.Punct, s[i], i + 1);
    }
  }

  private quotedIdent(start: number, close: number): Tok {
    const s = this.s;
    const end = skipQuoted(s, start, close, false);
    // end is past the closing quote (or the input end when unterminated).
    const contentEnd = end > start && s.charCodeAt(end - 1) === close ? end - 1 : end;
    let text = s.slice(start, contentEnd);
    if (close !== 0x5d && text.length > 1) {
      const q = String.fromCharCode(close);
      if (text.includes(q + q)) text = text.split(q + q).join(q);
    }
    return this.set(Tok.QuotedIdent, text, end);
  }

  private set(kind: Tok, text: string, pos: number): Tok {
    this.kind = kind;
    this.text = text;
    this.pos = pos;
    return kind;
  }

  private skipSpaceAndComments(from: number): number {
    const s = this.s;
    const n = s.length;
    let i = from;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c <= 0x20 || c === 0xa0 || c === 0xfeff) {
        i++;
      } else if (c === 0x2d && s.charCodeAt(i + 1) === 0x2d) {
        const eol = s.indexOf('\n', i + 2);
        i = eol < 0 ? n : eol + 1;
      } else if (c === 0x2f && s.charCodeAt(i + 1) === 0x2a) {
        const close = s.indexOf('*/', i + 2);
        i = close < 0 ? n : close + 2;
      } else {
        break;
      }
    }
    return i;
  }
}

/** Index just past the closing `close` char; a doubled close char is an escaped one. */
function skipQuoted(s: string, start: number, close: number, backslashEscapes: boolean): number {
  const n = s.length;
  let i = start;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (backslashEscapes && c === 0x5c) {
      i += 2;
    } else if (c === close) {
      if (close !== 0x5d && s.charCodeAt(i + 1) === close) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return n;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWordStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c) || c === 0x24;
}

/** Words that cannot be a table name where a name is expected (malformed or unusual SQL). */
const NOT_A_TABLE = new Set([
  'SELECT', 'WHERE', 'SET', 'VALUES', 'VALUE', 'ON', 'USING', 'JOIN', 'AS', 'FROM', 'INTO', 'GROUP',
  'ORDER', 'LIMIT', 'UNION', 'DEFAULT', 'RETURNING', 'WITH', 'TABLE', 'IF', 'NOT', 'EXISTS',
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

const INSERT_MODIFIERS = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'INTO', 'OR', 'REPLACE', 'ABORT', 'FAIL', 'ROLLBACK']);
const UPDATE_MODIFIERS = new Set(['LOW_PRIORITY', 'IGNORE', 'ONLY', 'OR', 'REPLACE', 'ABORT', 'FAIL', 'ROLLBACK']);
const DELETE_MODIFIERS = new Set(['LOW_PRIORITY', 'QUICK', 'IGNORE']);
const CREATE_MODIFIERS = new Set(['OR', 'REPLACE', 'TEMPORARY', 'TEMP', 'UNLOGGED', 'GLOBAL', 'LOCAL', 'UNIQUE', 'CLUSTERED', 'NONCLUSTERED', 'VIRTUAL']);
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

/** Bounded cache: apps repeat the same parameterised statements, so most calls are one lookup. */
const CACHE_MAX_ENTRIES = 512;
const CACHE_MAX_KEY_LENGTH = 1024;
const cache = new Map<string, SqlSummary>();
const UNKNOWN_SUMMARY: SqlSummary = Object.freeze({ operation: 'UNKNOWN' });

/** Summaries are frozen and shared (cached), so callers cannot corrupt each other's results. */
export function summarizeSql(sql: string): SqlSummary {
  if (typeof sql !== 'string' || sql.length === 0) return UNKNOWN_SUMMARY;
  const cacheable = sql.length <= CACHE_MAX_KEY_LENGTH;
  if (cacheable) {
    const hit = cache.get(sql);
    if (hit !== undefined) return hit;
  }
  let summary: SqlSummary;
  try {
    const sc = new Scanner(sql.length > MAX_SCAN ? sql.slice(0, MAX_SCAN) : sql);
    sc.next();
    summary = Object.freeze(summarizeFrom(sc, 0));
  } catch {
    summary = UNKNOWN_SUMMARY;
  }
  if (cacheable) {
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(sql, summary);
  }
  return summary;
}
