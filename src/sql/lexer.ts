/**
 * The one SQL lexer (docs/datastores.md). The statement masker, the ck_route comment rules and the
 * statement summariser all read statements through it. It knows just enough lexical structure to
 * tell literals and comments from code: quoted strings (with each dialect's escape rules), quoted
 * identifiers, PostgreSQL dollar quotes and `$1` parameters, numbers, `--` / `#` line comments and
 * `/* *\/` block comments. It never parses grammar.
 *
 * Dialect matters for safety: in PostgreSQL a backslash inside '...' is an ordinary character
 * (standard_conforming_strings, the default since 9.1) unless the string is an E'...' string; in
 * MySQL/MariaDB a backslash escapes the next character, `"..."` is a string (not an identifier)
 * and `#` starts a line comment. Scanning with the wrong rules could end a literal early and let
 * part of it through unmasked, so every masking caller names its dialect. `generic` is for
 * statements of unknown origin (spans of vanilla instrumentations) that are only summarised:
 * tolerant rules, `[bracketed]` identifiers too.
 */

export type SqlDialect = 'postgresql' | 'mysql' | 'generic';

interface DialectRules {
  /** Backslash escapes in '...': always, or only in PostgreSQL E'...' strings. */
  readonly backslashAlways: boolean;
  readonly doubleQuoteIsString: boolean;
  readonly backtickIdentifiers: boolean;
  readonly bracketIdentifiers: boolean;
  readonly hashComments: boolean;
  readonly dollarQuotes: boolean;
  /** MySQL needs whitespace (or the end) after `--`: there `1--1` is arithmetic. */
  readonly dashDashNeedsSpace: boolean;
}

const RULES: Record<SqlDialect, DialectRules> = {
  postgresql: {
    backslashAlways: false,
    doubleQuoteIsString: false,
    backtickIdentifiers: false,
    bracketIdentifiers: false,
    hashComments: false,
    dollarQuotes: true,
    dashDashNeedsSpace: false,
  },
  mysql: {
    backslashAlways: true,
    doubleQuoteIsString: true,
    backtickIdentifiers: true,
    bracketIdentifiers: false,
    hashComments: true,
    dollarQuotes: false,
    dashDashNeedsSpace: true,
  },
  generic: {
    backslashAlways: true,
    doubleQuoteIsString: false,
    backtickIdentifiers: true,
    bracketIdentifiers: true,
    hashComments: false,
    dollarQuotes: true,
    dashDashNeedsSpace: false,
  },
};

export const enum SqlToken {
  End,
  /** Keyword or unquoted identifier (letters, digits, `_`, `$`, non-ASCII). */
  Word,
  QuotedIdentifier,
  String,
  Number,
  /** `$1` (PostgreSQL positional parameter): code, never masked. */
  Parameter,
  /** Any other single character. */
  Punct,
  Comment,
  LineComment,
}

/** Character codes the lexer tests for. */
const Ch = {
  Tab: 9,
  LF: 10,
  CR: 13,
  Space: 32,
  DoubleQuote: 34,
  Hash: 35,
  Dollar: 36,
  SingleQuote: 39,
  Star: 42,
  Minus: 45,
  Dot: 46,
  Slash: 47,
  Zero: 48,
  Nine: 57,
  Semicolon: 59,
  OpenBracket: 91,
  Backslash: 92,
  CloseBracket: 93,
  Underscore: 95,
  Backtick: 96,
} as const;

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

/** Identifier characters (ASCII letters, digits, `_`, `$`, and anything non-ASCII). */
function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === Ch.Underscore || c === Ch.Dollar || c > 127;
}

/** ASCII whitespace. */
export function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.LF || c === Ch.CR || c === 11 || c === 12;
}

/** Whitespace between tokens: ASCII space, plus the no-break space and BOM that editors leave. */
function isBlank(c: number): boolean {
  return isSpace(c) || c === 0xa0 || c === 0xfeff;
}

/**
 * A forward-only tokenizer. After `next()`, the token is `sql.slice(start, end)`; `open` is true
 * when it is a literal, quoted identifier or comment left unterminated (it then runs to the end).
 * `pos` may be saved and restored to look ahead.
 */
export class SqlLexer {
  kind: SqlToken = SqlToken.End;
  start = 0;
  end = 0;
  open = false;
  /** Where the next token is searched from. */
  pos = 0;
  private readonly rules: DialectRules;

  constructor(
    readonly sql: string,
    dialect: SqlDialect
  ) {
    this.rules = RULES[dialect];
  }

  /** The raw text of the current token. */
  text(): string {
    return this.sql.slice(this.start, this.end);
  }

  /** A quoted identifier's name (quotes removed, doubled quotes unescaped), or the word. */
  identifier(): string {
    if (this.kind !== SqlToken.QuotedIdentifier) return this.text();
    const s = this.sql;
    const close = s.charCodeAt(this.start) === Ch.OpenBracket ? Ch.CloseBracket : s.charCodeAt(this.start);
    const contentEnd = !this.open && this.end - 1 > this.start ? this.end - 1 : this.end;
    let name = s.slice(this.start + 1, contentEnd);
    if (close !== Ch.CloseBracket && name.length > 1) {
      const q = String.fromCharCode(close);
      if (name.includes(q + q)) name = name.split(q + q).join(q);
    }
    return name;
  }

  next(): SqlToken {
    const s = this.sql;
    const n = s.length;
    const rules = this.rules;
    let i = this.pos;
    while (i < n && isBlank(s.charCodeAt(i))) i++;
    this.open = false;
    if (i >= n) return this.set(SqlToken.End, n, n);
    const c = s.charCodeAt(i);
    const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;

    if (c === Ch.SingleQuote) {
      // PostgreSQL E'...' strings honour backslash escapes; the E is the identifier just before.
      const escapes =
        rules.backslashAlways || (i > 0 && (s.charCodeAt(i - 1) | 0x20) === 101 && (i === 1 || !isIdentChar(s.charCodeAt(i - 2))));
      return this.quoted(SqlToken.String, i, c, escapes);
    }
    if (c === Ch.DoubleQuote) {
      return rules.doubleQuoteIsString ? this.quoted(SqlToken.String, i, c, true) : this.quoted(SqlToken.QuotedIdentifier, i, c, false);
    }
    if (c === Ch.Backtick && rules.backtickIdentifiers) return this.quoted(SqlToken.QuotedIdentifier, i, c, false);
    if (c === Ch.OpenBracket && rules.bracketIdentifiers) return this.quoted(SqlToken.QuotedIdentifier, i, Ch.CloseBracket, false);
    if (c === Ch.Minus && next === Ch.Minus && (!rules.dashDashNeedsSpace || i + 2 >= n || isSpace(s.charCodeAt(i + 2)))) {
      return this.lineComment(i);
    }
    if (c === Ch.Hash && rules.hashComments) return this.lineComment(i);
    if (c === Ch.Slash && next === Ch.Star) {
      const close = s.indexOf('*/', i + 2);
      if (close === -1) return this.unterminated(SqlToken.Comment, i);
      return this.set(SqlToken.Comment, i, close + 2);
    }
    if (c === Ch.Dollar && rules.dollarQuotes) {
      if (isDigit(next)) {
        let j = i + 1;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        return this.set(SqlToken.Parameter, i, j);
      }
      const tag = dollarTag(s, i);
      if (tag) {
        const close = s.indexOf(tag, i + tag.length);
        if (close === -1) return this.unterminated(SqlToken.String, i);
        return this.set(SqlToken.String, i, close + tag.length);
      }
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(next))) {
      // A digit that continues an identifier (t1, col_2) is part of that word, read below.
      if (i === 0 || !isIdentChar(s.charCodeAt(i - 1))) return this.set(SqlToken.Number, i, endOfNumber(s, i));
    }
    if (isIdentChar(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(s.charCodeAt(j))) j++;
      return this.set(SqlToken.Word, i, j);
    }
    return this.set(SqlToken.Punct, i, i + 1);
  }

  private quoted(kind: SqlToken, start: number, close: number, backslashEscapes: boolean): SqlToken {
    const end = endOfQuoted(this.sql, start, close, backslashEscapes);
    return end === -1 ? this.unterminated(kind, start) : this.set(kind, start, end);
  }

  private lineComment(start: number): SqlToken {
    const nl = this.sql.indexOf('\n', start);
    return this.set(SqlToken.LineComment, start, nl === -1 ? this.sql.length : nl);
  }

  private unterminated(kind: SqlToken, start: number): SqlToken {
    this.set(kind, start, this.sql.length);
    this.open = true;
    return kind;
  }

  private set(kind: SqlToken, start: number, end: number): SqlToken {
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.pos = end;
    return kind;
  }
}

/** End index (exclusive) of a quoted run starting at `start` (the opening quote), or -1 if open. */
function endOfQuoted(sql: string, start: number, close: number, backslashEscapes: boolean): number {
  const n = sql.length;
  let i = start + 1;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === Ch.Backslash) {
      i += 2;
      continue;
    }
    if (c === close) {
      // A doubled quote is an escaped quote in every dialect (not for `]`).
      if (close !== Ch.CloseBracket && i + 1 < n && sql.charCodeAt(i + 1) === close) {
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
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === Ch.Dollar) return sql.slice(start, i + 1);
    if (!isIdentChar(c)) return undefined;
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
