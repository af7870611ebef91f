import test from 'ava';
import { summarizeSql } from '../../src/sql/summary';

type Expected = { operation: string; table?: string };

/** [sql, expected summary, literal fragments that must never appear in the result]. */
const CASES: Array<[string, Expected, string[]?]> = [
  // SELECT
  ['SELECT * FROM users WHERE id = 1', { operation: 'SELECT', table: 'users' }, ['1']],
  ["select id, name from orders where name = 'alice'", { operation: 'SELECT', table: 'orders' }, ['alice']],
  ['SELECT 1', { operation: 'SELECT' }],
  ['SELECT NOW()', { operation: 'SELECT' }],
  ['SELECT a FROM public.orders o JOIN items i ON i.order_id = o.id', { operation: 'SELECT', table: 'public.orders' }],
  ['SELECT * FROM "Order Items" WHERE x = $1', { operation: 'SELECT', table: 'Order Items' }],
  ['SELECT * FROM "my""table"', { operation: 'SELECT', table: 'my"table' }],
  ['SELECT * FROM `shop`.`orders` WHERE id = ?', { operation: 'SELECT', table: 'shop.orders' }],
  ["SELECT * FROM [dbo].[Customers] WHERE Name = N'Bob'", { operation: 'SELECT', table: 'dbo.Customers' }, ['Bob']],
  ['SELECT * FROM shop . orders', { operation: 'SELECT', table: 'shop.orders' }],
  ["SELECT * FROM (SELECT * FROM inner_table WHERE v = 'x') AS sub", { operation: 'SELECT', table: 'inner_table' }, ['x']],
  ['SELECT * FROM ((SELECT 1) UNION (SELECT 2)) s', { operation: 'SELECT' }],
  ['SELECT EXTRACT(YEAR FROM created_at) FROM events', { operation: 'SELECT', table: 'events' }],
  ['SELECT (SELECT max(x) FROM other) AS m FROM main_t', { operation: 'SELECT', table: 'main_t' }],
  ['SELECT * FROM generate_series(1, 10)', { operation: 'SELECT' }],
  ['SELECT * FROM ONLY parent_t', { operation: 'SELECT', table: 'parent_t' }],
  ['(SELECT a FROM t1) UNION ALL (SELECT a FROM t2)', { operation: 'SELECT', table: 't1' }],
  ["SELECT * FROM t WHERE s = 'it''s FROM secret_a'", { operation: 'SELECT', table: 't' }, ['secret_a']],
  ["SELECT 'x\\' FROM secret_b' AS v FROM t", { operation: 'SELECT', table: 't' }, ['secret_b']],
  ['SELECT $$ FROM secret_c $$ AS v FROM t', { operation: 'SELECT', table: 't' }, ['secret_c']],
  ['SELECT $tag$ FROM secret_d $tag$ FROM t', { operation: 'SELECT', table: 't' }, ['secret_d']],
  ['SELECT 42 AS answer, 3.14e10 FROM numbers', { operation: 'SELECT', table: 'numbers' }, ['42', '3.14']],
  // comments, whitespace, case
  ['/* leading */ -- line\n  \n\tSELECT * FROM t_comments', { operation: 'SELECT', table: 't_comments' }],
  ['-- only a comment', { operation: 'UNKNOWN' }],
  ['/* SELECT * FROM fake */ UPDATE real_t SET a = 1', { operation: 'UPDATE', table: 'real_t' }],
  ['select\n*\nfrom\nlowercase_t', { operation: 'SELECT', table: 'lowercase_t' }],
  ['SELECT * FROM t /* FROM other */', { operation: 'SELECT', table: 't' }],
  // INSERT / REPLACE / UPSERT
  ["INSERT INTO orders (id, note) VALUES (1, 'secret_e')", { operation: 'INSERT', table: 'orders' }, ['secret_e', '1']],
  ['insert into "public"."Orders" values ($1, $2)', { operation: 'INSERT', table: 'public.Orders' }],
  ["INSERT IGNORE INTO logs SET a = 'bval'", { operation: 'INSERT', table: 'logs' }, ['bval']],
  ['INSERT logs_no_into VALUES (1)', { operation: 'INSERT', table: 'logs_no_into' }],
  ["INSERT OR REPLACE INTO kv VALUES ('k', 'v')", { operation: 'INSERT', table: 'kv' }],
  ['INSERT INTO archive SELECT * FROM orders', { operation: 'INSERT', table: 'archive' }],
  ["REPLACE INTO cache_t (k) VALUES ('z')", { operation: 'REPLACE', table: 'cache_t' }, ['z']],
  // UPDATE / DELETE
  ['UPDATE accounts SET balance = 100 WHERE id = 7', { operation: 'UPDATE', table: 'accounts' }, ['100', '7']],
  ['UPDATE LOW_PRIORITY IGNORE items SET x = 1', { operation: 'UPDATE', table: 'items' }],
  ['UPDATE ONLY parent_t SET x = 1', { operation: 'UPDATE', table: 'parent_t' }],
  ["DELETE FROM sessions WHERE token = 'abc123secret'", { operation: 'DELETE', table: 'sessions' }, ['abc123secret']],
  ['delete from `app`.`users` where id in (1,2,3)', { operation: 'DELETE', table: 'app.users' }],
  ['DELETE LOW_PRIORITY QUICK FROM q_t', { operation: 'DELETE', table: 'q_t' }],
  ['DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id', { operation: 'DELETE', table: 't1' }],
  // DDL
  ['CREATE TABLE IF NOT EXISTS events (id SERIAL PRIMARY KEY)', { operation: 'CREATE', table: 'events' }],
  ['CREATE TEMPORARY TABLE tmp_x (a int)', { operation: 'CREATE', table: 'tmp_x' }],
  ['create unlogged table "Fast" (a int)', { operation: 'CREATE', table: 'Fast' }],
  ['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON public.t5 (a)', { operation: 'CREATE', table: 'public.t5' }],
  ['CREATE INDEX ON t6 (a)', { operation: 'CREATE', table: 't6' }],
  ['CREATE VIEW v AS SELECT * FROM t', { operation: 'CREATE' }],
  ['DROP TABLE IF EXISTS old_t', { operation: 'DROP', table: 'old_t' }],
  ['DROP TEMPORARY TABLE tmp_y', { operation: 'DROP', table: 'tmp_y' }],
  ['DROP INDEX idx_a', { operation: 'DROP' }],
  ['ALTER TABLE users ADD COLUMN age int DEFAULT 18', { operation: 'ALTER', table: 'users' }, ['18']],
  ['ALTER TABLE IF EXISTS ONLY parent_t RENAME TO p2', { operation: 'ALTER', table: 'parent_t' }],
  ['TRUNCATE logs', { operation: 'TRUNCATE', table: 'logs' }],
  ['TRUNCATE TABLE ONLY logs2 RESTART IDENTITY', { operation: 'TRUNCATE', table: 'logs2' }],
  // WITH
  ["WITH recent AS (SELECT * FROM orders WHERE d > '2024-01-01') SELECT * FROM recent", { operation: 'SELECT', table: 'recent' }, ['2024']],
  ['WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT n FROM t', { operation: 'SELECT', table: 't' }],
  [
    'WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2) DELETE FROM gone WHERE x IN (SELECT * FROM a)',
    { operation: 'DELETE', table: 'gone' },
  ],
  ['WITH moved AS (DELETE FROM q RETURNING *) INSERT INTO done SELECT * FROM moved', { operation: 'INSERT', table: 'done' }],
  ['WITH broken', { operation: 'WITH' }],
  // transaction control and other statements
  ['BEGIN', { operation: 'BEGIN' }],
  ['START TRANSACTION', { operation: 'START' }],
  ['commit', { operation: 'COMMIT' }],
  ['ROLLBACK TO SAVEPOINT sp1', { operation: 'ROLLBACK' }],
  ['SET search_path TO shop', { operation: 'SET' }],
  ['SHOW TABLES', { operation: 'SHOW' }],
  ["CALL do_things('secret_f')", { operation: 'CALL' }, ['secret_f']],
  ['MERGE INTO target t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE', { operation: 'MERGE', table: 'target' }],
  ['EXPLAIN ANALYZE SELECT * FROM t', { operation: 'EXPLAIN' }],
  // unknown and junk
  ['', { operation: 'UNKNOWN' }],
  ['   ', { operation: 'UNKNOWN' }],
  ['42', { operation: 'UNKNOWN' }],
  ["'just a string'", { operation: 'UNKNOWN' }],
  ['x1 foo', { operation: 'UNKNOWN' }],
  ['averyveryverylongkeyword stuff', { operation: 'UNKNOWN' }],
  ['Frobnicate the thing', { operation: 'FROBNICATE' }],
  ['SELECT * FROM', { operation: 'SELECT' }],
  ["SELECT * FROM 'literal_table'", { operation: 'SELECT' }, ['literal_table']],
  ['INSERT INTO', { operation: 'INSERT' }],
  ['SELECT * FROM a.b.c.d', { operation: 'SELECT' }],
];

for (const [sql, expected, forbidden] of CASES) {
  test(`summarizeSql(${JSON.stringify(sql.length > 70 ? sql.slice(0, 70) + '…' : sql)})`, (t) => {
    const summary = summarizeSql(sql);
    t.deepEqual({ ...summary }, expected);
    t.false('table' in summary && summary.table === undefined, 'no table key when there is no table');
    const text = JSON.stringify(summary);
    for (const literal of forbidden ?? []) t.false(text.includes(literal), `literal ${literal} leaked`);
    // Cached second call: same answer.
    t.deepEqual({ ...summarizeSql(sql) }, expected);
  });
}

test('only the first 4 KiB are scanned', (t) => {
  const padded = 'SELECT ' + 'a, '.repeat(2000) + 'b FROM far_table';
  t.deepEqual({ ...summarizeSql(padded) }, { operation: 'SELECT' });
  const early = 'SELECT * FROM near_table WHERE x IN (' + '1, '.repeat(1_000_000) + '2)';
  t.deepEqual({ ...summarizeSql(early) }, { operation: 'SELECT', table: 'near_table' });
});

test('unterminated literals and comments never throw', (t) => {
  for (const sql of [
    "SELECT 'unterminated FROM t",
    'SELECT "x FROM t',
    'SELECT /* open FROM t',
    'SELECT $$ open',
    'SELECT [x',
    'SELECT `x',
    "SELECT '\\",
  ]) {
    t.notThrows(() => summarizeSql(sql));
    t.is(summarizeSql(sql).operation, 'SELECT');
  }
  t.is(summarizeSql(undefined as unknown as string).operation, 'UNKNOWN');
});

test('results are shared and frozen (callers cannot corrupt the cache)', (t) => {
  const a = summarizeSql('SELECT * FROM frozen_t');
  t.true(Object.isFrozen(a));
  t.is(summarizeSql('SELECT * FROM frozen_t'), a);
});

test('operation is always a short upper-case word (low cardinality)', (t) => {
  const samples = ['sElEcT 1', 'vacuum full', 'a', 'Ünïcode stuff', '$1', ';', 'lock table t'];
  for (const sql of samples) t.regex(summarizeSql(sql).operation, /^[A-Z]{1,16}$/);
});
