import test from 'ava';
import { maskSql, sqlShape } from '../../src/sql/segments';

test('masks string and number literals, keeps identifiers and placeholders (postgresql)', (t) => {
  t.is(
    maskSql("SELECT id, t1.col_2 FROM t1 WHERE name = 'bob' AND age > 42 AND x = $1", 'postgresql'),
    'SELECT id, t1.col_2 FROM t1 WHERE name = ? AND age > ? AND x = $1'
  );
  t.is(
    maskSql('SELECT "Weird Col" FROM "T" WHERE v IN (1, 2.5, -3e10, .5)', 'postgresql'),
    'SELECT "Weird Col" FROM "T" WHERE v IN (?, ?, -?, ?)'
  );
});

test('postgresql: backslash is an ordinary character except in E strings', (t) => {
  // In standard strings 'a\' is complete, so 'secret' is a second literal and must be masked too.
  t.is(maskSql("SELECT 'a\\', 'secret'", 'postgresql'), 'SELECT ?, ?');
  t.is(maskSql("SELECT E'it\\'s', 'secret'", 'postgresql'), 'SELECT E?, ?');
  t.is(maskSql("SELECT 'it''s', 'secret'", 'postgresql'), 'SELECT ?, ?');
});

test('postgresql: dollar-quoted bodies are masked, $1 parameters are kept', (t) => {
  t.is(maskSql('SELECT $$secret; -- not a comment$$, $tag$x$tag$, $1', 'postgresql'), 'SELECT ?, ?, $1');
});

test('mysql: backslash escapes, double quotes are strings, backticks identifiers, # comments', (t) => {
  t.is(
    maskSql("SELECT `a b` FROM t WHERE s = 'it\\'s' AND d = \"secret\" # note 5", 'mysql'),
    'SELECT `a b` FROM t WHERE s = ? AND d = ? # note 5'
  );
  t.is(maskSql('SELECT 5--1', 'mysql'), 'SELECT ?--?');
  t.is(maskSql('SELECT 0x1F, x', 'mysql'), 'SELECT ?, x');
});

test('an unterminated literal is masked to the end', (t) => {
  t.is(maskSql("SELECT 'secret and more", 'postgresql'), 'SELECT ?');
  t.is(maskSql("SELECT 'secret and more", 'mysql'), 'SELECT ?');
});

test('comments are kept verbatim and their contents are not treated as literals', (t) => {
  t.is(maskSql("SELECT 1 /* it's 5 */ -- don't\n, 'x'", 'postgresql'), "SELECT ? /* it's 5 */ -- don't\n, ?");
});

test('masked output is bounded', (t) => {
  const long = 'SELECT ' + 'col, '.repeat(10000) + "'v'";
  t.true(maskSql(long, 'postgresql', 100).length <= 100);
});

test('shape: multiple statements, trailing semicolon, line comments, open literals', (t) => {
  t.deepEqual(sqlShape('SELECT 1', 'postgresql'), {
    complete: true,
    multipleStatements: false,
    endsInLineComment: false,
    trailingSemicolon: -1,
  });
  t.is(sqlShape('SELECT 1;  ', 'postgresql').trailingSemicolon, 8);
  t.true(sqlShape('SELECT 1; SELECT 2', 'postgresql').multipleStatements);
  t.false(sqlShape("SELECT ';x'", 'postgresql').multipleStatements);
  t.false(sqlShape('SELECT 1; -- trailing', 'postgresql').multipleStatements);
  t.true(sqlShape('SELECT 1 -- trailing', 'postgresql').endsInLineComment);
  t.false(sqlShape('SELECT 1 -- c\n', 'postgresql').endsInLineComment);
  t.true(sqlShape('SELECT 1 # c', 'mysql').endsInLineComment);
  t.false(sqlShape('SELECT 1 # c', 'postgresql').endsInLineComment);
  t.false(sqlShape("SELECT 'open", 'postgresql').complete);
  t.false(sqlShape('SELECT 1 /* open', 'postgresql').complete);
  t.false(sqlShape('SELECT $$ open', 'postgresql').complete);
});
