import test from 'ava';
import { Redactor } from '../../../src/capture/redaction';
import {
  DEFAULT_STATEMENT_MAX_LENGTH,
  SqlStatementDescriber,
  UNCHANGED,
  commentMysqlQueryArg,
  commentPgQueryArg,
  installQueryPatch,
  redactSqlLiterals,
  removeQueryPatch,
  returnedRows,
  scrubRouteComment,
  statementMaxLength,
} from '../../../src/instrumentations/sql-common/statement';

const ROUTE = '1-4f1c2a9be07d3318-01';
const redactor = new Redactor({ headerNames: [], bodyKeys: ['pass', 'secret', 'token', 'api[-_]?key'] });

test('describer: masks, strips our comment, summarises, bounds, caches', (t) => {
  const d = new SqlStatementDescriber({ dialect: 'postgresql', maskLiterals: true, maxLength: 40 });
  const info = d.describe(`SELECT * FROM orders WHERE email = 'a@b.c' /*ck_route='${ROUTE}'*/`);
  t.deepEqual(info, { queryText: 'SELECT * FROM orders WHERE email = ?', operation: 'SELECT', table: 'orders' });
  t.is(d.describe(`SELECT * FROM orders WHERE email = 'a@b.c' /*ck_route='${ROUTE}'*/`), info, 'cached object');
  t.true(d.describe(`SELECT ${'x, '.repeat(100)}1 FROM t`).queryText.length <= 40);
  t.deepEqual(d.describe('not sql at all ;;'), { queryText: 'not sql at all ;;', operation: 'NOT' });
});

test('describer with literals (opt-in) applies redaction rules', (t) => {
  const d = new SqlStatementDescriber({ dialect: 'mysql', maskLiterals: false, maxLength: 1000, redactor });
  t.is(d.describe("UPDATE users SET password = 'hunter2', name = 'ann' WHERE id = 5").queryText,
    "UPDATE users SET password = '[REDACTED]', name = 'ann' WHERE id = 5");
  t.is(redactSqlLiterals("SELECT 'token=abc&x=1'", 'postgresql', redactor), "SELECT 'token=[REDACTED]&x=1'");
  t.is(redactSqlLiterals('SELECT * FROM t WHERE "api_key" = 42', 'postgresql', redactor), "SELECT * FROM t WHERE \"api_key\" = '[REDACTED]'");
});

test('statementMaxLength follows the attribute limit, capped', (t) => {
  t.is(statementMaxLength(Infinity), DEFAULT_STATEMENT_MAX_LENGTH);
  t.is(statementMaxLength(100), 100);
  t.is(statementMaxLength(10 ** 9), DEFAULT_STATEMENT_MAX_LENGTH);
});

test('returnedRows: pg and mysql2 result shapes', (t) => {
  t.is(returnedRows({ command: 'SELECT', rows: [1, 2], fields: [{}] }), 2);
  t.is(returnedRows({ command: 'INSERT', rows: [], fields: [] }), undefined);
  t.is(returnedRows([{ command: 'SELECT', rows: [1], fields: [{}] }, { command: 'SELECT', rows: [1, 2], fields: [{}] }]), 3);
  t.is(returnedRows([{ id: 1 }, { id: 2 }, { id: 3 }]), 3);
  t.is(returnedRows({ affectedRows: 3 }), undefined);
  t.is(returnedRows([[{ a: 1 }], [{ b: 1 }, { b: 2 }]]), 3);
  t.is(returnedRows(undefined), undefined);
});

test('pg arguments: strings and plain configs commented (copied), named/submittable untouched', (t) => {
  t.is(commentPgQueryArg('SELECT 1', ROUTE), `SELECT 1 /*ck_route='${ROUTE}'*/`);
  const config = { text: 'SELECT $1', values: [1] };
  const commented = commentPgQueryArg(config, ROUTE) as { text: string; values: unknown[] };
  t.not(commented, config);
  t.is(config.text, 'SELECT $1', 'the app object is not mutated');
  t.deepEqual(commented.values, [1]);
  t.is(commentPgQueryArg({ name: 'q', text: 'SELECT 1' }, ROUTE), UNCHANGED);
  t.is(commentPgQueryArg({ text: 'SELECT 1', submit() {} }, ROUTE), UNCHANGED);
  t.is(commentPgQueryArg('SELECT 1; SELECT 2', ROUTE), UNCHANGED);
  t.is(commentPgQueryArg(42, ROUTE), UNCHANGED);
});

test('mysql2 arguments: strings, plain options copied, Query commands updated in place', (t) => {
  t.is(commentMysqlQueryArg('SELECT 1;', ROUTE), `SELECT 1 /*ck_route='${ROUTE}'*/;`);
  const options = { sql: 'SELECT ?', values: [1] };
  t.deepEqual(commentMysqlQueryArg(options, ROUTE), { sql: `SELECT ? /*ck_route='${ROUTE}'*/`, values: [1] });
  t.is(options.sql, 'SELECT ?');
  class Query {
    sql = 'SELECT 2';
  }
  const q = new Query();
  t.is(commentMysqlQueryArg(q, ROUTE), q);
  t.is(q.sql, `SELECT 2 /*ck_route='${ROUTE}'*/`);
  class Other {
    sql = 'SELECT 3';
  }
  t.is(commentMysqlQueryArg(new Other(), ROUTE), UNCHANGED);
  t.is(commentMysqlQueryArg('SELECT 1 # c', ROUTE), UNCHANGED);
});

test('scrubRouteComment restores error text built from the commented statement', (t) => {
  const err = Object.assign(new Error(`near 'SELEC 1 /*ck_route='${ROUTE}'*/' at line 1`), {
    sqlMessage: `near 'SELEC 1 /*ck_route='${ROUTE}'*/' at line 1`,
    sql: `SELEC 1 /*ck_route='${ROUTE}'*/`,
  });
  scrubRouteComment(err);
  t.is(err.message, "near 'SELEC 1' at line 1");
  t.is(err.sqlMessage, "near 'SELEC 1' at line 1");
  t.is(err.sql, 'SELEC 1');
  const cut = { message: "near 'x /*ck_route='1-4f1c2a9b" };
  scrubRouteComment(cut);
  t.is(cut.message, "near 'x");
  t.notThrows(() => scrubRouteComment(null));
});

test('installQueryPatch is idempotent and removable; not shimmer-marked', (t) => {
  const proto: Record<string, unknown> = { query: function original() { return 'orig'; } };
  const original = proto.query;
  const wrap = (fn: (this: unknown, ...a: unknown[]) => unknown) => function wrapped(this: unknown) { return `ck(${String(fn.call(this))})`; };
  installQueryPatch(proto, 'query', wrap);
  installQueryPatch(proto, 'query', wrap);
  t.is((proto.query as () => string)(), 'ck(orig)');
  t.false('__wrapped' in (proto.query as object));
  removeQueryPatch(proto, 'query');
  t.is(proto.query, original);
  removeQueryPatch(proto, 'query');
  t.is(proto.query, original);
});
