/**
 * CKMySQL2Instrumentation configuration: maskStatement false (explicit opt-in) restores upstream's
 * formatted statements with redaction applied; user maskStatementHook and responseHook honoured.
 */
import type { Span } from '@opentelemetry/api';
import { startTestAgent, spansWhere } from '../../../fixtures/db/agent-harness';
import { MYSQL_URL, serviceTest, uniqueName } from '../../../fixtures/db/services';
import { CKMySQL2Instrumentation } from '../../../src/instrumentations/mysql2';

const mysqlTest = serviceTest('MySQL/MariaDB', MYSQL_URL, 3306);
const harness = startTestAgent();
const userRows: unknown[] = [];
const instrumentation = new CKMySQL2Instrumentation({
  maskStatement: false,
  responseHook: (span: Span) => {
    userRows.push((span as unknown as { attributes: Record<string, unknown> }).attributes['db.response.returned_rows']);
  },
});
instrumentation.enable();

const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
// Upstream's query wrapper captures mysql2's format() when lib/connection.js is patched, which
// happens before the main module (that provides format) finishes loading; only a re-patch
// inlines values. Re-enable so this test sees the opt-in at its most revealing.
instrumentation.disable();
instrumentation.enable();

mysqlTest('maskStatement false: values formatted in (upstream behaviour), secrets redacted, hooks chained', async (t) => {
  const conn = await mysql.createConnection({ uri: MYSQL_URL });
  const marker = uniqueName('ck_fmt');
  try {
    const { result } = await harness.inRequest('/mysql/cfg', async () => {
      const [rows] = await conn.query(`SELECT ? AS ${marker}, ? AS b`, ['visible', 2]);
      await conn.query(`SELECT 1 AS ${marker}_p WHERE 'password=hunter2' <> ''`);
      return rows;
    });
    t.deepEqual(JSON.parse(JSON.stringify(result)), [{ [marker]: 'visible', b: 2 }]);
    const { spans } = await harness.flush();
    const [formatted] = spansWhere(spans, (a) => String(a['db.query.text']).includes(`AS ${marker},`));
    t.is(formatted.attributes['db.query.text'], `SELECT 'visible' AS ${marker}, 2 AS b`);
    t.is(formatted.attributes['db.operation.name'], 'SELECT');
    const [secret] = spansWhere(spans, (a) => String(a['db.query.text']).includes(`${marker}_p`));
    t.false(String(secret.attributes['db.query.text']).includes('hunter2'));
    t.true(userRows.includes(1));
  } finally {
    await conn.end();
  }
});
