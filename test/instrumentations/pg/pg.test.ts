/**
 * CKPgInstrumentation configuration: user hooks chained after ours (and isolated), options passed
 * through to upstream, the opt-in to unmasked statements (with redaction), ckRouteComment kept
 * out of upstream's config.
 */
import { startTestAgent, spansWhere } from '../../../fixtures/db/agent-harness';
import { PG_URL, serviceTest, uniqueName } from '../../../fixtures/db/services';
import { CKPgInstrumentation } from '../../../src/instrumentations/pg';
import type { Span } from '@opentelemetry/api';
import { captureAgentLog } from '../../../fixtures/agent-log';

const agentLog = captureAgentLog();

const pgTest = serviceTest('PostgreSQL', PG_URL, 5432);
const harness = startTestAgent();
const seen: Array<{ hook: string; operation: unknown; rows?: unknown }> = [];
const instrumentation = new CKPgInstrumentation({
  enhancedDatabaseReporting: true,
  requestHook: (span: Span, info) => {
    seen.push({ hook: 'request', operation: (span as unknown as { attributes: Record<string, unknown> }).attributes['db.operation.name'] });
    if (info.query.text.includes('ck_throw')) throw new Error('user hook failure');
  },
  responseHook: (span: Span) => {
    seen.push({
      hook: 'response',
      operation: undefined,
      rows: (span as unknown as { attributes: Record<string, unknown> }).attributes['db.response.returned_rows'],
    });
  },
});

pgTest.serial('upstream is built disabled, without CK-only options; enable() patches', (t) => {
  t.is(instrumentation.getUpstream(), undefined);
  instrumentation.enable();
  const upstream = instrumentation.getUpstream() as unknown as { getConfig(): Record<string, unknown>; isEnabled(): boolean };
  t.true(upstream.isEnabled());
  t.false('ckRouteComment' in upstream.getConfig());
  t.is(upstream.getConfig().enhancedDatabaseReporting, true);
  t.true(instrumentation.isEnabled());
});

pgTest.serial('user hooks run after ours and a throwing user hook changes nothing for the app', async (t) => {
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { result } = await harness.inRequest('/pg/hooks', async () => {
      const a = await client.query('SELECT 1 AS ck_throw');
      const b = await client.query('SELECT generate_series(1, 3) AS n');
      return [a.rows, b.rows.length];
    });
    t.deepEqual(result, [[{ ck_throw: 1 }], 3]);
    t.is(agentLog.matching('warn', /user pg requestHook hook threw \(ignored\): user hook failure/).length, 1);
    t.deepEqual(
      seen.filter((s) => s.hook === 'request').map((s) => s.operation),
      ['SELECT', 'SELECT']
    );
    t.deepEqual(
      seen.filter((s) => s.hook === 'response').map((s) => s.rows),
      [1, 3]
    );
  } finally {
    await client.end();
  }
});

pgTest.serial('enhancedDatabaseReporting (opt-in): statements unmasked but redacted, values recorded', async (t) => {
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  const marker = uniqueName('ck_enh');
  await client.connect();
  try {
    await harness.inRequest('/pg/enhanced', async () => {
      await client.query(`SELECT 'visible' AS ${marker}, 'hunter2' AS password WHERE 'hunter2' = 'hunter2' OR $1 = 1`, [1]);
      await client.query(`SELECT 1 AS ${marker}_b WHERE 'x' <> 'password=hunter2'`);
    });
    const { spans } = await harness.flush();
    const [span] = spansWhere(spans, (a) => String(a['db.query.text']).includes(`AS ${marker},`));
    t.true(String(span.attributes['db.query.text']).includes("'visible'"), 'literals kept when opted in');
    t.deepEqual(span.attributes['db.postgresql.values'], ['1']);
    const [redacted] = spansWhere(spans, (a) => String(a['db.query.text']).includes(`${marker}_b`));
    t.false(String(redacted.attributes['db.query.text']).includes('hunter2'), 'key=value secrets redacted');
  } finally {
    await client.end();
  }
});
