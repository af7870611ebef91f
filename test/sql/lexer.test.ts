import test from 'ava';
import { SqlLexer, SqlToken, type SqlDialect } from '../../src/sql/lexer';

function tokens(sql: string, dialect: SqlDialect): Array<[SqlToken, string]> {
  const lexer = new SqlLexer(sql, dialect);
  const out: Array<[SqlToken, string]> = [];
  while (lexer.next() !== SqlToken.End)
    out.push([lexer.kind, lexer.kind === SqlToken.QuotedIdentifier ? lexer.identifier() : lexer.text()]);
  return out;
}

test("the same text is tokenized by each dialect's rules", (t) => {
  const sql = 'SELECT "a""b", `c`, [d] FROM t # x';
  t.deepEqual(tokens(sql, 'postgresql').slice(0, 4), [
    [SqlToken.Word, 'SELECT'],
    [SqlToken.QuotedIdentifier, 'a"b'],
    [SqlToken.Punct, ','],
    [SqlToken.Punct, '`'],
  ]);
  t.deepEqual(tokens(sql, 'mysql').slice(0, 5), [
    [SqlToken.Word, 'SELECT'],
    [SqlToken.String, '"a""b"'],
    [SqlToken.Punct, ','],
    [SqlToken.QuotedIdentifier, 'c'],
    [SqlToken.Punct, ','],
  ]);
  t.deepEqual(tokens(sql, 'mysql').at(-1), [SqlToken.LineComment, '# x']);
  const generic = tokens(sql, 'generic');
  t.deepEqual(generic[5], [SqlToken.QuotedIdentifier, 'd'], 'brackets are identifiers in generic SQL only');
  t.deepEqual(generic.slice(-2), [
    [SqlToken.Punct, '#'],
    [SqlToken.Word, 'x'],
  ]);
});

test('parameters, dollar quotes, E strings and numbers (postgresql)', (t) => {
  t.deepEqual(tokens("SELECT $1, $$a$$, E'x\\'y', 1.5e3, t1", 'postgresql'), [
    [SqlToken.Word, 'SELECT'],
    [SqlToken.Parameter, '$1'],
    [SqlToken.Punct, ','],
    [SqlToken.String, '$$a$$'],
    [SqlToken.Punct, ','],
    [SqlToken.Word, 'E'],
    [SqlToken.String, "'x\\'y'"],
    [SqlToken.Punct, ','],
    [SqlToken.Number, '1.5e3'],
    [SqlToken.Punct, ','],
    [SqlToken.Word, 't1'],
  ]);
});

test('unterminated tokens run to the end and say so', (t) => {
  for (const [sql, kind] of [
    ["SELECT 'open", SqlToken.String],
    ['SELECT /* open', SqlToken.Comment],
    ['SELECT "open', SqlToken.QuotedIdentifier],
    ['SELECT $q$ open', SqlToken.String],
  ] as const) {
    const lexer = new SqlLexer(sql, 'postgresql');
    lexer.next();
    t.is(lexer.next(), kind, sql);
    t.true(lexer.open, sql);
    t.is(lexer.end, sql.length, sql);
    t.is(lexer.next(), SqlToken.End);
  }
});
