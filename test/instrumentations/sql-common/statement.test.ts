import test from 'ava';
import { Redactor } from '../../../src/capture/redaction';
import { SqlStatementDescriber, redactSqlLiterals, returnedRows } from '../../../src/instrumentations/sql-common/statement';

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
  t.is(
    d.describe("UPDATE users SET password = 'hunter2', name = 'ann' WHERE id = 5").queryText,
    "UPDATE users SET password = '[REDACTED]', name = 'ann' WHERE id = 5"
  );
  t.is(redactSqlLiterals("SELECT 'token=abc&x=1'", 'postgresql', redactor), "SELECT 'token=[REDACTED]&x=1'");
  t.is(
    redactSqlLiterals('SELECT * FROM t WHERE "api_key" = 42', 'postgresql', redactor),
    'SELECT * FROM t WHERE "api_key" = \'[REDACTED]\''
  );
});

test('returnedRows: pg and mysql2 result shapes', (t) => {
  t.is(returnedRows({ command: 'SELECT', rows: [1, 2], fields: [{}] }), 2);
  t.is(returnedRows({ command: 'INSERT', rows: [], fields: [] }), undefined);
  t.is(
    returnedRows([
      { command: 'SELECT', rows: [1], fields: [{}] },
      { command: 'SELECT', rows: [1, 2], fields: [{}] },
    ]),
    3
  );
  t.is(returnedRows([{ id: 1 }, { id: 2 }, { id: 3 }]), 3);
  t.is(returnedRows({ affectedRows: 3 }), undefined);
  t.is(returnedRows([[{ a: 1 }], [{ b: 1 }, { b: 2 }]]), 3);
  t.is(returnedRows(undefined), undefined);
});
