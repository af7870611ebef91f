/**
 * A small single-pass SQL scanner shared by the statement masker and the ck_route comment rules.
 * It knows just enough lexical structure to tell literals and comments from code: quoted strings
 * (with each dialect's escape rules), quoted identifiers, PostgreSQL dollar quotes, numbers,
 * `--` / `#` line comments and `/* *\/` block comments. It never parses grammar.
 *
 * Dialect matters for safety: in PostgreSQL a backslash inside '...' is an ordinary character
 * (standard_conforming_strings, the default since 9.1) unless the string is an E'...' string; in
 * MySQL/MariaDB a backslash escapes the next character, `"..."` is a string (not an identifier)
 * and `#` starts a line comment. Scanning with the wrong rules could end a literal early and let
 * part of it through unmasked, so every caller names its dialect.
 */

export type SqlDialect = 'postgresql' | 'mysql';

/** What the scanner reports about a statement's structure. */
export interface SqlShape {
  /** False when a string, quoted identifier, dollar quote or block comment is left open. */
  complete: boolean;
  /** True when code (not just whitespace/comments) follows a `;` outside literals. */
  multipleStatements: boolean;
  /** True when the text ends inside a `--` (or MySQL `#`) line comment. */
  endsInLineComment: boolean;
  /**
   * Index of a final `;` followed only by whitespace (no comment), or -1. A comment is inserted
   * before it rather than after, so the statement stays one statement.
   */
  trailingSemicolon: number;
}

const enum Ch {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  DoubleQuote = 34,
  Hash = 35,
  Dollar = 36,
  SingleQuote = 39,
  Star = 42,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Semicolon = 59,
  Backslash = 92,
  Underscore = 95,
  Backtick = 96,
}

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

/** Identifier characters (ASCII letters, digits, `_`, `$`, and anything non-ASCII). */
function isIdentChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === Ch.Underscore || c === Ch.Dollar || c > 127
  );
}

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.LF || c === Ch.CR || c === 11 || c === 12;
}

/** End index (exclusive) of a quoted run starting at `start` (the opening quote), or -1 if open. */
function endOfQuoted(sql: string, start: number, quote: number, backslashEscapes: boolean): number {
  const n = sql.length;
  let i = start + 1;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === Ch.Backslash) {
      i += 2;
      continue;
    }
    if (c === quote) {
      // A doubled quote is an escaped quote in every dialect.
      if (i + 1 < n && sql.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return -1;
}

/** PostgreSQL dollar-quote tag at `start` (`$$` or `$tag$`), or undefined. */
function dollarTag(sql: string, start: number): string | undefined {
  const n = sql.length;
  let i = start + 1;
  if (i < n && isDigit(sql.charCodeAt(i))) return undefined; // $1 is a parameter
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === Ch.Dollar) return sql.slice(start, i + 1);
    if (!isIdentChar(c) || c === Ch.Dollar) return undefined;
    i++;
  }
  return undefined;
}

/** End index (exclusive) of a number literal starting at `start`. */
function endOfNumber(sql: string, start: number): number {
  const n = sql.length;
  let i = start;
  // Hex / binary forms: 0x1F, 0b101.
  if (sql.charCodeAt(i) === Ch.Zero && i + 1 < n) {
    const next = sql.charCodeAt(i + 1) | 0x20;
    if (next === 120 /* x */ || next === 98 /* b */) {
      i += 2;
      while (i < n && isIdentChar(sql.charCodeAt(i))) i++;
      return i;
    }
  }
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isDigit(c) || c === Ch.Dot || c === Ch.Underscore) {
      i++;
    } else if ((c | 0x20) === 101 /* e */ && i + 1 < n) {
      const sign = sql.charCodeAt(i + 1);
      i += sign === 43 || sign === Ch.Minus ? 2 : 1;
    } else {
      break;
    }
  }
  return i;
}

/**
 * Token kinds handed to the visitor. Only `code` runs are structure; everything else is a literal
 * or a comment.
 */
export type SqlSegment = 'code' | 'string' | 'number' | 'identifier' | 'comment' | 'line-comment';

/**
 * Walks `sql`, calling `visit(kind, start, end)` for each segment in order. Returns false when the
 * text ends inside an open literal or comment (the open run is reported as far as it goes).
 */
export function scanSql(
  sql: string,
  dialect: SqlDialect,
  visit: (kind: SqlSegment, start: number, end: number) => void
): boolean {
  const n = sql.length;
  const mysql = dialect === 'mysql';
  let codeStart = 0;
  let i = 0;
  const flushCode = (end: number) => {
    if (end > codeStart) visit('code', codeStart, end);
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    let kind: SqlSegment | undefined;
    let end = -1;
    if (c === Ch.SingleQuote) {
      // PostgreSQL E'...' strings honour backslash escapes; the E is the identifier just before.
      const escapeString =
        mysql ||
        (i > 0 &&
          (sql.charCodeAt(i - 1) | 0x20) === 101 &&
          (i === 1 || !isIdentChar(sql.charCodeAt(i - 2))));
      kind = 'string';
      end = endOfQuoted(sql, i, c, escapeString);
    } else if (c === Ch.DoubleQuote) {
      kind = mysql ? 'string' : 'identifier';
      end = endOfQuoted(sql, i, c, mysql);
    } else if (c === Ch.Backtick && mysql) {
      kind = 'identifier';
      end = endOfQuoted(sql, i, c, false);
    } else if (
      c === Ch.Minus &&
      i + 1 < n &&
      sql.charCodeAt(i + 1) === Ch.Minus &&
      // MySQL needs whitespace (or the end) after `--`: there `1--1` is arithmetic.
      (!mysql || i + 2 >= n || isSpace(sql.charCodeAt(i + 2)))
    ) {
      kind = 'line-comment';
      const nl = sql.indexOf('\n', i);
      end = nl === -1 ? n : nl;
    } else if (c === Ch.Hash && mysql) {
      kind = 'line-comment';
      const nl = sql.indexOf('\n', i);
      end = nl === -1 ? n : nl;
    } else if (c === Ch.Slash && i + 1 < n && sql.charCodeAt(i + 1) === Ch.Star) {
      kind = 'comment';
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? -1 : close + 2;
    } else if (c === Ch.Dollar && !mysql) {
      const tag = dollarTag(sql, i);
      if (tag) {
        kind = 'string';
        const close = sql.indexOf(tag, i + tag.length);
        end = close === -1 ? -1 : close + tag.length;
      }
    } else if (isDigit(c) || (c === Ch.Dot && i + 1 < n && isDigit(sql.charCodeAt(i + 1)))) {
      // A digit that continues an identifier (t1, $1, col_2) is not a number.
      if (i === 0 || !isIdentChar(sql.charCodeAt(i - 1))) {
        kind = 'number';
        end = endOfNumber(sql, i);
      }
    } else if (isIdentChar(c)) {
      // Skip the whole word so digits inside it are never read as numbers.
      let j = i + 1;
      while (j < n && isIdentChar(sql.charCodeAt(j))) j++;
      i = j;
      continue;
    }
    if (kind === undefined) {
      i++;
      continue;
    }
    flushCode(i);
    if (end === -1) {
      visit(kind, i, n);
      return false;
    }
    visit(kind, i, end);
    i = end;
    codeStart = end;
  }
  flushCode(n);
  return true;
}

/** The structural facts the comment rules need, in one scan. */
export function sqlShape(sql: string, dialect: SqlDialect): SqlShape {
  let sawSemicolon = false;
  let multipleStatements = false;
  let lastKind: SqlSegment | undefined;
  let trailingSemicolon = -1;
  const complete = scanSql(sql, dialect, (kind, start, end) => {
    if (kind === 'code') {
      for (let i = start; i < end; i++) {
        const c = sql.charCodeAt(i);
        if (c === Ch.Semicolon) {
          sawSemicolon = true;
          trailingSemicolon = i;
        } else if (!isSpace(c)) {
          if (sawSemicolon) multipleStatements = true;
          trailingSemicolon = -1;
        }
      }
    } else if (kind === 'comment' || kind === 'line-comment') {
      // A comment after the final `;` leaves no safe place before it: treated as not trailing.
      trailingSemicolon = -1;
    } else {
      if (sawSemicolon) multipleStatements = true;
      trailingSemicolon = -1;
    }
    lastKind = kind;
  });
  // A line comment ends the text only if nothing but the comment follows it.
  let endsInLineComment = false;
  if (lastKind === 'line-comment') endsInLineComment = true;
  return { complete, multipleStatements, endsInLineComment, trailingSemicolon };
}

/**
 * Replaces every literal (strings, numbers, dollar-quoted bodies) with `?`, keeping keywords,
 * identifiers, placeholders (`$1`, `?`, `:name`) and comments. An unterminated literal is masked
 * to the end of the text. Output is at most `maxLength` characters (cut, never inside a literal).
 */
export function maskSql(sql: string, dialect: SqlDialect, maxLength = Infinity): string {
  let out = '';
  scanSql(sql, dialect, (kind, start, end) => {
    if (out.length >= maxLength) return;
    if (kind === 'string' || kind === 'number') {
      out += '?';
    } else {
      out += sql.slice(start, end);
    }
  });
  return out.length > maxLength ? out.slice(0, maxLength) : out;
}
