/**
 * CKMySQL2Instrumentation against the real MariaDB/MySQL server: callback, promise, pool,
 * prepared (`execute`) and transaction calls give the same results and errors with and without
 * the agent; spans carry masked statements (never upstream's inlined values), summaries, row
 * counts; DATABASE elements land under the request's path; the optional ck_route comment
 * reaches the server.
 */
import { startTestAgent, spansWhere } from '../../fixtures/db/agent-harness';
import { MYSQL_URL, serviceTest, uniqueName } from '../../fixtures/db/services';
import { CKMySQL2Instrumentation } from '../../src/instrumentations/mysql2';

const mysqlTest = serviceTest('MySQL/MariaDB', MYSQL_URL, 3306);

const harness = startTestAgent();
const instrumentation = new CKMySQL2Instrumentation({ ckRouteComment: true });
instrumentation.enable();
// Required after enable() so upstream's require hook patches the connection class.

const mysql = require('mysql2') as typeof import('mysql2');

const mysqlPromise = require('mysql2/promise') as typeof import('mysql2/promise');

const table = uniqueName('ck_my');
const SECRET = 'bob-secret-value';

interface Outcome {
  step: string;
  value?: unknown;
  error?: { code?: string; errno?: number; message: string };
}

function errorOf(err: unknown): { code?: string; errno?: number; message: string } {
  const e = err as { code?: string; errno?: number; message?: string };
  return { code: e.code, errno: e.errno, message: String(e.message) };
}

/** Strips what differs run to run but is not the app's data (mysql2 result metadata objects). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
}

async function runSequence(): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      out.push({ step: name, value: plain(await fn()) });
    } catch (err) {
      out.push({ step: name, error: errorOf(err) });
    }
  };
  const conn = await mysqlPromise.createConnection({ uri: MYSQL_URL, multipleStatements: true });
  const pool = mysqlPromise.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
  const cbConn = mysql.createConnection({ uri: MYSQL_URL });
  const cbQuery = (sql: string, values?: unknown[]) =>
    new Promise((resolve, reject) => cbConn.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows))));
  try {
    await step('create', async () => (await conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(64), data BLOB)`))[0]);
    await step('insert literal', async () => (await conn.query(`INSERT INTO ${table} (id, name) VALUES (1, '${SECRET}')`))[0]);
    await step(
      'insert values',
      async () => (await conn.query(`INSERT INTO ${table} (id, name, data) VALUES (?, ?, ?)`, [2, SECRET, Buffer.from([0, 1, 2, 255])]))[0]
    );
    await step(
      'insert object form',
      async () => (await conn.query({ sql: `INSERT INTO ${table} (id, name) VALUES (?, ?);`, values: [3, 'carol'] }))[0]
    );
    await step('select', async () => (await conn.query(`SELECT id, name, data FROM ${table} ORDER BY id`))[0]);
    await step('execute prepared', async () => (await conn.execute(`SELECT name FROM ${table} WHERE id = ?`, [2]))[0]);
    await step('execute prepared again', async () => (await conn.execute(`SELECT name FROM ${table} WHERE id = ?`, [3]))[0]);
    await step('callback api', () => cbQuery(`SELECT COUNT(*) AS n FROM ${table}`));
    await step('callback with values', () => cbQuery(`SELECT name FROM ${table} WHERE id = ?`, [1]));
    await step('multi statement', async () => (await conn.query('SELECT 1 AS a; SELECT 2 AS b'))[0]);
    await step('transaction rollback', async () => {
      await conn.beginTransaction();
      await conn.query(`UPDATE ${table} SET name = 'changed' WHERE id = 1`);
      await conn.rollback();
      return (await conn.query(`SELECT name FROM ${table} WHERE id = 1`))[0];
    });
    await step('transaction commit', async () => {
      await conn.query('START TRANSACTION;');
      await conn.query(`DELETE FROM ${table} WHERE id = 3`);
      await conn.query('COMMIT');
      return (await conn.query(`SELECT COUNT(*) AS n FROM ${table}`))[0];
    });
    await step('syntax error', () => conn.query('SELEC 1'));
    await step('constraint violation', () => conn.query(`INSERT INTO ${table} (id, name) VALUES (1, 'dup')`));
    await step('after errors', async () => (await conn.query('SELECT 1 AS ok'))[0]);
    await step('huge result', async () => {
      const [rows] = await conn.query('SELECT seq FROM seq_1_to_100000');
      return (rows as unknown[]).length;
    });
    await step('long statement', async () => {
      const list = Array.from({ length: 20000 }, (_, i) => i).join(',');
      return (await conn.query(`SELECT COUNT(*) AS n FROM ${table} WHERE id IN (${list})`))[0];
    });
    await step('hash comment', async () => (await conn.query('SELECT 7 AS n # the end'))[0]);
    await step('pool query', async () => (await pool.query(`SELECT name FROM ${table} WHERE id = ?`, [2]))[0]);
    await step('pool execute', async () => (await pool.execute(`SELECT name FROM ${table} WHERE id = ?`, [1]))[0]);
    await step('pool error', () => pool.query('SELECT * FROM ck_missing_table_xyz'));
  } finally {
    await conn.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await conn.end();
    await pool.end();
    await new Promise((resolve) => cbConn.end(() => resolve(undefined)));
  }
  return out;
}

mysqlTest.serial('the app gets the same results and errors with and without the agent', async (t) => {
  instrumentation.disable();
  const without = await runSequence();
  instrumentation.enable();
  const { result: withAgent } = await harness.inRequest('/mysql/sequence', runSequence);
  t.deepEqual(withAgent, without);
  t.is(without.find((o) => o.step === 'syntax error')?.error?.errno, 1064);
  t.is(without.find((o) => o.step === 'constraint violation')?.error?.code, 'ER_DUP_ENTRY');
  t.is(without.find((o) => o.step === 'huge result')?.value, 100000);
  t.is(without.find((o) => o.step === 'pool error')?.error?.code, 'ER_NO_SUCH_TABLE');
});

mysqlTest.serial('spans: values never inlined, summary attributes, row counts, bounded text', async (t) => {
  const { spans } = await harness.flush();
  const mine = spansWhere(spans, (a) => a['db.system.name'] === 'mysql' && String(a['db.query.text']).includes(table));
  t.true(mine.length > 10, 'query spans were recorded');
  for (const span of spans) t.false(JSON.stringify(span).includes(SECRET), `no literal value in span ${span.name}`);
  for (const span of spans) t.false(JSON.stringify(span).includes('ck_route'), 'our comment is not in db.query.text');

  const values = mine.find((s) =>
    String(s.attributes['db.query.text']).startsWith(`INSERT INTO ${table} (id, name, data) VALUES (?, ?, ?)`)
  );
  t.truthy(values, 'bound values not formatted into the statement');
  t.is(values!.attributes['db.operation.name'], 'INSERT');
  t.is(values!.attributes['db.collection.name'], table);
  t.is(values!.attributes['db.namespace'], 'test');

  const select = mine.find((s) => s.attributes['db.query.text'] === `SELECT id, name, data FROM ${table} ORDER BY id`);
  t.is(select?.attributes['db.response.returned_rows'], 3);
  t.is(select?.attributes['db.query.summary'], `SELECT ${table}`);

  const huge = spansWhere(spans, (a) => String(a['db.query.text']).includes('seq_1_to_100000'));
  t.is(huge[0]?.attributes['db.response.returned_rows'], 100000);

  const long = mine.find((s) => String(s.attributes['db.query.text']).includes('WHERE id IN'));
  t.truthy(long);
  t.true(String(long!.attributes['db.query.text']).length <= 32 * 1024);

  const failed = spansWhere(spans, (a) => a['db.query.text'] === 'SELEC ?');
  t.is(failed[0]?.status.code, 2, 'syntax error span has error status');
  t.false(String(failed[0]?.status.message).includes('SELEC 1'), 'statement excerpts in error messages are masked');
  const duplicate = spansWhere(spans, (a) => a['db.query.text'] === `INSERT INTO ${table} (id, name) VALUES (?, ?)`).find(
    (s) => s.status.code === 2
  );
  t.is(duplicate?.status.message, 'Duplicate entry ? for key ?');
  const execute = mine.filter((s) => s.attributes['db.query.text'] === `SELECT name FROM ${table} WHERE id = ?`);
  t.true(execute.length >= 2, 'prepared statements and pool queries recorded');
});

mysqlTest.serial('DATABASE elements under the request path key, errors counted', async (t) => {
  const conn = await mysqlPromise.createConnection({ uri: MYSQL_URL });
  const tmp = `${table}_tmp`;
  try {
    const { result, pathKey } = await harness.inRequest('/mysql/elements', async () => {
      await conn.query(`CREATE TEMPORARY TABLE ${tmp} (id INT PRIMARY KEY)`);
      await conn.query(`INSERT INTO ${tmp} VALUES (1)`);
      await conn.query(`INSERT INTO ${tmp} VALUES (1)`).catch(() => undefined);
      return (await conn.query(`SELECT id FROM ${tmp}`))[0];
    });
    t.deepEqual(plain(result), [{ id: 1 }]);
    const { paths } = await harness.flush();
    const mine = paths.filter((p) => p.pathKey === pathKey && p.element.type === 'DATABASE');
    const insert = mine.find((p) => p.element.name === `INSERT ${tmp}`);
    t.truthy(insert, JSON.stringify(mine.map((p) => p.element.name)));
    t.is(insert!.calls, 2);
    t.is(insert!.errors, 1);
    t.truthy(mine.find((p) => p.element.name === `SELECT ${tmp}`));
  } finally {
    await conn.end();
  }
});

mysqlTest.serial('ck_route comment reaches the server inside a request (query and pool), never on execute', async (t) => {
  const conn = await mysqlPromise.createConnection({ uri: MYSQL_URL });
  const pool = mysqlPromise.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  const current = 'SELECT INFO AS q FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()';
  const first = (rows: unknown) => (rows as Array<{ q: string }>)[0].q;
  try {
    const { result, pathKey } = await harness.inRequest('/mysql/comment', async () => first((await conn.query(current))[0]));
    t.is(result, `${current} /*ck_route='1-${pathKey}-00'*/`);
    const { result: viaPool } = await harness.inRequest('/mysql/comment', async () => first((await pool.query(current))[0]));
    t.is(viaPool, `${current} /*ck_route='1-${pathKey}-00'*/`);
    const { result: prepared } = await harness.inRequest('/mysql/comment', async () => first((await conn.execute(current))[0]));
    t.is(prepared, current);
    t.is(first((await conn.query(current))[0]), current, 'no comment outside a request');
    const { result: hash } = await harness.inRequest('/mysql/comment', async () => first((await conn.query(`${current} # note`))[0]));
    t.is(hash, `${current} # note`);
  } finally {
    await conn.end();
    await pool.end();
  }
});

mysqlTest.serial('connection refused and a connection killed mid-query give the same errors with and without the agent', async (t) => {
  const refused = async () => {
    try {
      const c = await mysqlPromise.createConnection({ host: '127.0.0.1', port: 1, user: 'root', connectTimeout: 2000 });
      await c.end();
      return 'connected';
    } catch (err) {
      return errorOf(err).code;
    }
  };
  const killed = async () => {
    const victim = await mysqlPromise.createConnection({ uri: MYSQL_URL });
    const killer = await mysqlPromise.createConnection({ uri: MYSQL_URL });
    (victim as unknown as { connection: NodeJS.EventEmitter }).connection.on('error', () => undefined);
    try {
      const [[{ id }]] = (await victim.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      const running = victim.query('SELECT SLEEP(30) AS s').then(
        () => 'finished',
        (err) => errorOf(err).code
      );
      for (let i = 0; i < 200; i++) {
        const [rows] = await killer.query('SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
        if (String((rows as Array<{ INFO: string | null }>)[0]?.INFO).includes('SLEEP')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await killer.query(`KILL ${Number(id)}`);
      return await running;
    } finally {
      await killer.end();
      victim.destroy();
    }
  };
  instrumentation.disable();
  const baseline = [await refused(), await killed()];
  instrumentation.enable();
  const { result: instrumented } = await harness.inRequest('/mysql/bad', async () => [await refused(), await killed()]);
  t.deepEqual(instrumented, baseline);
  t.is(baseline[0], 'ECONNREFUSED');
  t.not(baseline[1], 'finished');
  const { spans } = await harness.flush();
  const sleep = spansWhere(spans, (a) => a['db.query.text'] === 'SELECT SLEEP(?) AS s');
  t.is(sleep[0]?.status.code, 2, 'killed query span is an error');
});
