/**
 * Statements as segments (docs/datastores.md): literal and comment runs apart from code, read
 * through the one lexer (lexer.ts). The statement masker, the literal redaction of opt-in raw
 * statements and the ck_route comment rules are built on `scanSql`.
 */
import { isSpace, SqlLexer, SqlToken, type SqlDialect } from './lexer';

const SEMICOLON = 59;

/**
 * Segment kinds handed to `scanSql` visitors. Only `code` runs are structure (words, punctuation,
 * parameters, whitespace); everything else is a literal or a comment.
 */
export type SqlSegment = 'code' | 'string' | 'number' | 'identifier' | 'comment' | 'line-comment';

function segmentOf(kind: SqlToken): SqlSegment {
  switch (kind) {
    case SqlToken.String:
      return 'string';
    case SqlToken.Number:
      return 'number';
    case SqlToken.QuotedIdentifier:
      return 'identifier';
    case SqlToken.Comment:
      return 'comment';
    case SqlToken.LineComment:
      return 'line-comment';
    default:
      return 'code';
  }
}

/**
 * Walks `sql`, calling `visit(kind, start, end)` for each segment in order (adjacent code tokens
 * and the whitespace between them form one `code` segment). Returns false when the text ends
 * inside an open literal or comment (the open run is reported as far as it goes).
 */
export function scanSql(sql: string, dialect: SqlDialect, visit: (kind: SqlSegment, start: number, end: number) => void): boolean {
  const lexer = new SqlLexer(sql, dialect);
  let codeStart = 0;
  while (lexer.next() !== SqlToken.End) {
    const segment = segmentOf(lexer.kind);
    if (segment === 'code') continue;
    if (lexer.start > codeStart) visit('code', codeStart, lexer.start);
    visit(segment, lexer.start, lexer.end);
    if (lexer.open) return false;
    codeStart = lexer.end;
  }
  if (sql.length > codeStart) visit('code', codeStart, sql.length);
  return true;
}

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
        if (c === SEMICOLON) {
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
  return { complete, multipleStatements, endsInLineComment: lastKind === 'line-comment', trailingSemicolon };
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
    out += kind === 'string' || kind === 'number' ? '?' : sql.slice(start, end);
  });
  return out.length > maxLength ? out.slice(0, maxLength) : out;
}
