import test from 'ava';
import { appendRouteComment, routeCommentSkipReason, stripRouteComment } from '../../src/sql/route-comment';

const ROUTE = '1-4f1c2a9be07d3318-00';
const C = ` /*ck_route='${ROUTE}'*/`;

test('appends a trailing comment', (t) => {
  t.is(appendRouteComment('SELECT * FROM t WHERE id = $1', ROUTE, 'postgresql'), `SELECT * FROM t WHERE id = $1${C}`);
  t.is(appendRouteComment('SELECT 1\n', ROUTE, 'mysql'), `SELECT 1${C}\n`);
});

test('goes before a final semicolon', (t) => {
  t.is(appendRouteComment('SELECT 1;', ROUTE, 'postgresql'), `SELECT 1${C};`);
  t.is(appendRouteComment('SELECT 1 ; ', ROUTE, 'mysql'), `SELECT 1${C}; `);
});

test('after a block comment and after a line comment closed by a newline', (t) => {
  t.is(appendRouteComment('SELECT 1 /* x */', ROUTE, 'postgresql'), `SELECT 1 /* x */${C}`);
  t.is(appendRouteComment('SELECT 1 -- x\nFROM t', ROUTE, 'postgresql'), `SELECT 1 -- x\nFROM t${C}`);
});

test('never twice', (t) => {
  const once = appendRouteComment('SELECT 1', ROUTE, 'postgresql');
  t.is(appendRouteComment(once, ROUTE, 'postgresql'), once);
  t.is(routeCommentSkipReason(once, ROUTE, 'postgresql'), 'already-present');
});

test('skip rules', (t) => {
  t.is(routeCommentSkipReason('   ', ROUTE, 'postgresql'), 'empty');
  t.is(routeCommentSkipReason('SELECT 1', "1-x'*/ DROP", 'postgresql'), 'invalid-route');
  t.is(routeCommentSkipReason('SELECT 1; SELECT 2', ROUTE, 'postgresql'), 'multiple-statements');
  t.is(routeCommentSkipReason('SELECT 1 -- done', ROUTE, 'postgresql'), 'line-comment');
  t.is(routeCommentSkipReason('SELECT 1 # done', ROUTE, 'mysql'), 'line-comment');
  t.is(routeCommentSkipReason("SELECT 'open", ROUTE, 'postgresql'), 'incomplete');
  t.is(routeCommentSkipReason('SELECT 1; -- done', ROUTE, 'postgresql'), 'line-comment');
  t.is(appendRouteComment('SELECT 1; SELECT 2', ROUTE, 'postgresql'), 'SELECT 1; SELECT 2');
  t.is(routeCommentSkipReason("SELECT ';' FROM t", ROUTE, 'postgresql'), undefined);
});

test('strip removes exactly what append added', (t) => {
  for (const sql of ['SELECT 1', 'SELECT 1;', 'SELECT $1 /* x */', "SELECT 'ck_route' FROM t"]) {
    t.is(stripRouteComment(appendRouteComment(sql, ROUTE, 'postgresql')), sql);
  }
  t.is(stripRouteComment("SELECT 1 /*ck_route='evil'*/"), "SELECT 1 /*ck_route='evil'*/");
});
