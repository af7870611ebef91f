import test from 'ava';
import { commentMysqlQueryArg } from '../../../src/instrumentations/mysql2/patch';
import { commentPgQueryArg } from '../../../src/instrumentations/pg/patch';
import { UNCHANGED, scrubRouteComment } from '../../../src/instrumentations/sql-common/route-comment-patch';

const ROUTE = '1-4f1c2a9be07d3318-01';

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
