/**
 * CKPgInstrumentation against the real PostgreSQL server: the same sequence of pg calls runs
 * with the instrumentation disabled and enabled and must give the same results and errors; the
 * instrumented run must produce masked, summarised spans, DATABASE elements under the request's
 * path key, row counts and (ckRouteComment) the ck_route comment seen by the server.
 */
import { startTestAgent, spansWhere } from '../../fixtures/db/agent-harness';
import { PG_URL, serviceTest, uniqueName } from '../../fixtures/db/services';
import { CKPgInstrumentation } from '../../src/instrumentations/pg';

const pgTest = serviceTest('PostgreSQL', PG_URL, 5432);

const harness = startTestAgent();
const instrumentation = new CKPgInstrumentation({ ckRouteComment: true });
instrumentation.enable();
// Required after enable() so upstream's require hook patches it.

const pg = require('pg') as typeof import('pg');

const table = uniqueName('ck_pg');
const SECRET = 'alice-secret-literal';

interface Outcome {
  step: string;
  value?: unknown;
  error?: { code?: string; message: string };
}

function errorOf(err: unknown): { code?: string; message: string } {
  const e = err as { code?: string; message?: string };
  return { code: e.code, message: String(e.message) };
}

/** Runs every kind of call the wrapper must leave untouched; returns what the app saw. */
async function runSequence(): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      out.push({ step: name, value: await fn() });
    } catch (err) {
      out.push({ step: name, error: errorOf(err) });
    }
  };
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  try {
    await step('create', async () => (await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text, data bytea)`)).command);
    await step('insert literal', async () => (await client.query(`INSERT INTO ${table} (id, name) VALUES (1, '${SECRET}')`)).rowCount);
    await step(
      'insert params',
      async () =>
        (await client.query(`INSERT INTO ${table} (id, name, data) VALUES ($1, $2, $3)`, [2, 'bob', Buffer.from([0, 1, 2, 255, 254])]))
          .rowCount
    );
    await step(
      'insert config object',
      async () => (await client.query({ text: `INSERT INTO ${table} (id, name) VALUES ($1, $2);`, values: [3, 'carol'] })).rowCount
    );
    await step('select', async () => (await client.query(`SELECT id, name, data FROM ${table} ORDER BY id`)).rows);
    await step(
      'select rowMode array',
      async () => (await client.query({ text: `SELECT id FROM ${table} ORDER BY id`, rowMode: 'array' })).rows
    );
    await step(
      'named prepared',
      async () => (await client.query({ name: `${table}_by_id`, text: `SELECT name FROM ${table} WHERE id = $1`, values: [2] })).rows
    );
    await step(
      'named prepared again',
      async () => (await client.query({ name: `${table}_by_id`, text: `SELECT name FROM ${table} WHERE id = $1`, values: [3] })).rows
    );
    await step(
      'callback api',
      () =>
        new Promise((resolve, reject) =>
          client.query(`SELECT count(*)::int AS n FROM ${table}`, (err, res) => (err ? reject(err) : resolve(res.rows)))
        )
    );
    await step(
      'callback with values',
      () =>
        new Promise((resolve, reject) =>
          client.query(`SELECT name FROM ${table} WHERE id = $1`, [1], (err, res) => (err ? reject(err) : resolve(res.rows)))
        )
    );
    await step('multi statement', async () => {
      const results = (await client.query(`SELECT 1 AS a; SELECT 2 AS b`)) as unknown as Array<{ rows: unknown[] }>;
      return results.map((r) => r.rows);
    });
    await step('transaction rollback', async () => {
      await client.query('BEGIN');
      await client.query(`UPDATE ${table} SET name = 'changed' WHERE id = 1`);
      await client.query('ROLLBACK');
      return (await client.query(`SELECT name FROM ${table} WHERE id = 1`)).rows;
    });
    await step('transaction commit', async () => {
      await client.query('BEGIN;');
      await client.query(`DELETE FROM ${table} WHERE id = 3`);
      await client.query('COMMIT');
      return (await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows;
    });
    await step('syntax error', () => client.query('SELEC 1'));
    await step('constraint violation', () => client.query(`INSERT INTO ${table} (id, name) VALUES (1, 'dup')`));
    await step('after errors', async () => (await client.query('SELECT 1 AS ok')).rows);
    await step('huge result', async () => (await client.query('SELECT g FROM generate_series(1, 100000) AS g')).rows.length);
    await step('long statement', async () => {
      const list = Array.from({ length: 20000 }, (_, i) => i).join(',');
      return (await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE id IN (${list})`)).rows;
    });
    await step('trailing line comment', async () => (await client.query('SELECT 7 AS n -- the end')).rows);
    await step('pool query', async () => (await pool.query(`SELECT name FROM ${table} WHERE id = $1`, [2])).rows);
    await step('pool client', async () => {
      const pooled = await pool.connect();
      try {
        return (await pooled.query(`SELECT count(*)::int AS n FROM ${table}`)).rows;
      } finally {
        pooled.release();
      }
    });
    await step('pool error', () => pool.query('SELECT * FROM ck_missing_table_xyz'));
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await client.end();
    await pool.end();
  }
  return out;
}

pgTest.serial('the app gets the same results and errors with and without the agent', async (t) => {
  instrumentation.disable();
  const without = await runSequence();
  instrumentation.enable();
  const { result: withAgent } = await harness.inRequest('/pg/sequence', runSequence);
  t.deepEqual(withAgent, without);
  // Sanity: the sequence really covered errors and binary data.
  t.is(without.find((o) => o.step === 'syntax error')?.error?.code, '42601');
  t.is(without.find((o) => o.step === 'constraint violation')?.error?.code, '23505');
  t.is(without.find((o) => o.step === 'huge result')?.value, 100000);
  const rows = without.find((o) => o.step === 'select')?.value as Array<{ data: Buffer | null }>;
  t.deepEqual(rows[1].data, Buffer.from([0, 1, 2, 255, 254]));
});

pgTest.serial('spans: masked statements, summary attributes, row counts, bounded text', async (t) => {
  const { spans } = await harness.flush();
  const mine = spansWhere(spans, (a) => typeof a['db.query.text'] === 'string' && String(a['db.query.text']).includes(table));
  t.true(mine.length > 10, 'query spans were recorded');
  for (const span of spans) t.false(JSON.stringify(span).includes(SECRET), `no literal value in span ${span.name}`);
  for (const span of spans) t.false(JSON.stringify(span).includes('ck_route'), 'our comment is not in db.query.text');

  const literal = mine.find((s) => String(s.attributes['db.query.text']).startsWith(`INSERT INTO ${table} (id, name) VALUES (?, ?)`));
  t.truthy(literal, 'literal insert recorded masked');
  t.is(literal!.attributes['db.operation.name'], 'INSERT');
  t.is(literal!.attributes['db.collection.name'], table);
  t.is(literal!.attributes['db.system.name'], 'postgresql');
  t.is(literal!.attributes['db.namespace'], 'test');

  const select = mine.find((s) => s.attributes['db.query.text'] === `SELECT id, name, data FROM ${table} ORDER BY id`);
  t.is(select?.attributes['db.response.returned_rows'], 3);
  t.is(select?.attributes['db.query.summary'], `SELECT ${table}`);

  const huge = spansWhere(spans, (a) => String(a['db.query.text']).includes('generate_series'));
  t.is(huge[0]?.attributes['db.response.returned_rows'], 100000);

  const long = mine.find((s) => String(s.attributes['db.query.text']).includes('WHERE id IN'));
  t.truthy(long);
  t.true(String(long!.attributes['db.query.text']).length <= 32 * 1024);

  const failed = spansWhere(spans, (a) => a['db.query.text'] === 'SELEC ?');
  t.is(failed[0]?.status.code, 2, 'syntax error span has error status');
});

pgTest.serial('DATABASE elements are recorded under the request path key, errors counted', async (t) => {
  const { result, pathKey } = await harness.inRequest('/pg/elements', async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`CREATE TEMP TABLE ${table}_tmp (id int PRIMARY KEY)`);
      await client.query(`INSERT INTO ${table}_tmp VALUES (1)`);
      await client.query(`INSERT INTO ${table}_tmp VALUES (1)`).catch(() => undefined);
      return (await client.query(`SELECT id FROM ${table}_tmp`)).rows;
    } finally {
      await client.end();
    }
  });
  t.deepEqual(result, [{ id: 1 }]);
  t.regex(pathKey, /^[0-9a-f]{16}$/);
  const { paths } = await harness.flush();
  const mine = paths.filter((p) => p.pathKey === pathKey && p.element.type === 'DATABASE');
  const insert = mine.find((p) => p.element.name === `INSERT ${table}_tmp`);
  t.truthy(insert, `INSERT element under ${pathKey}: ${JSON.stringify(mine.map((p) => p.element.name))}`);
  t.is(insert!.calls, 2);
  t.is(insert!.errors, 1);
  t.truthy(mine.find((p) => p.element.name === `SELECT ${table}_tmp`));
  t.is(insert!.element.role, 'exit');
});

pgTest.serial('ck_route comment reaches the server inside a request, not outside, and named statements keep their text', async (t) => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const current = 'SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid()';
    const { result, pathKey } = await harness.inRequest('/pg/comment', async () => (await client.query(current)).rows[0].query as string);
    t.is(result, `${current} /*ck_route='1-${pathKey}-00'*/`);
    const { result: semicolon } = await harness.inRequest(
      '/pg/comment',
      async () => (await client.query(`${current};`)).rows[0].query as string
    );
    t.regex(semicolon, /\/\*ck_route='1-[0-9a-f]{16}-00'\*\/;$/);
    const outside = (await client.query(current)).rows[0].query as string;
    t.is(outside, current);
    const { result: named } = await harness.inRequest(
      '/pg/comment',
      async () => (await client.query({ name: 'ck_current_query', text: current })).rows[0].query as string
    );
    t.is(named, current);
    const { result: lineComment } = await harness.inRequest(
      '/pg/comment',
      async () => (await client.query(`${current} -- note`)).rows[0].query as string
    );
    t.is(lineComment, `${current} -- note`);
  } finally {
    await client.end();
  }
});

pgTest.serial('connection refused and a backend killed mid-query give the same errors with and without the agent', async (t) => {
  const refused = async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test', connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return 'connected';
    } catch (err) {
      return errorOf(err).code;
    }
  };
  const killed = async () => {
    const victim = new pg.Client({ connectionString: PG_URL });
    const killer = new pg.Client({ connectionString: PG_URL });
    await victim.connect();
    await killer.connect();
    victim.on('error', () => undefined);
    try {
      const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const running = victim.query('SELECT pg_sleep(30)').then(
        () => 'finished',
        (err) => errorOf(err).code
      );
      // Wait until the sleep is really running on the server, then terminate that backend.
      for (let i = 0; i < 200; i++) {
        const state = await killer.query('SELECT state, query FROM pg_stat_activity WHERE pid = $1', [pid]);
        if (state.rows[0]?.state === 'active' && String(state.rows[0].query).includes('pg_sleep')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      return await running;
    } finally {
      await killer.end();
      await victim.end().catch(() => undefined);
    }
  };
  instrumentation.disable();
  const baseline = [await refused(), await killed()];
  instrumentation.enable();
  const { result: instrumented } = await harness.inRequest('/pg/bad', async () => [await refused(), await killed()]);
  t.deepEqual(instrumented, baseline);
  t.deepEqual(baseline, ['ECONNREFUSED', '57P01']);
  const { spans } = await harness.flush();
  const sleep = spansWhere(spans, (a) => a['db.query.text'] === 'SELECT pg_sleep(?)');
  t.is(sleep[0]?.status.code, 2, 'killed query span is an error');
});

pgTest.serial('disable() stops spans; re-enable resumes', async (t) => {
  const marker = uniqueName('ck_disabled');
  instrumentation.disable();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await harness.inRequest('/pg/disabled', async () => client.query(`SELECT 1 AS ${marker}`));
  instrumentation.enable();
  await harness.inRequest('/pg/enabled', async () => client.query(`SELECT 2 AS ${marker}_on`));
  await client.end();
  const { spans } = await harness.flush();
  t.is(
    spansWhere(spans, (a) => String(a['db.query.text']).includes(`AS ${marker}`) && !String(a['db.query.text']).includes('_on')).length,
    0
  );
  t.is(spansWhere(spans, (a) => String(a['db.query.text']).includes(`${marker}_on`)).length, 1);
});
