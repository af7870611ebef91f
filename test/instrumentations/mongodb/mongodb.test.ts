/**
 * CKMongoDBInstrumentation configuration: enhancedDatabaseReporting (opt-in) records values with
 * redacted keys; requireParentSpan false; user responseHook chained.
 */
import test from 'ava';
import type { Span } from '@opentelemetry/api';
import { startTestAgent, spansWhere } from '../../../fixtures/db/agent-harness';
import { MONGODB_URL, uniqueName } from '../../../fixtures/db/services';
import { startMongoWireServer, type MongoWireServer } from '../../../fixtures/mongo/wire-server';
import { CKMongoDBInstrumentation } from '../../../src/instrumentations/mongodb';

const harness = startTestAgent();
const userRows: unknown[] = [];
const instrumentation = new CKMongoDBInstrumentation({
  enhancedDatabaseReporting: true,
  requireParentSpan: false,
  responseHook: (span: Span) => {
    userRows.push((span as unknown as { attributes: Record<string, unknown> }).attributes['db.response.returned_rows']);
  },
});
instrumentation.enable();

const { MongoClient } = require('mongodb') as typeof import('mongodb');

let server: MongoWireServer | undefined;
test.before(async () => {
  if (!MONGODB_URL) server = await startMongoWireServer();
});
test.after.always(async () => server?.stop());

test('enhanced reporting keeps values but redacts secret keys; spans outside requests; user hook chained', async (t) => {
  const client = new MongoClient(MONGODB_URL ?? server!.url, { serverSelectionTimeoutMS: 3000 });
  const name = uniqueName('ck_cfg');
  await client.connect();
  try {
    const c = client.db('test').collection(name);
    await c.insertOne({ _id: 1 as never, user: 'ann', password: 'hunter2' });
    t.is((await c.find({ user: 'ann' }).toArray()).length, 1);
    const { spans } = await harness.flush();
    const insert = spansWhere(spans, (a) => a['db.collection.name'] === name && a['db.operation.name'] === 'insert')[0];
    t.truthy(insert, 'recorded without a parent span');
    t.true(String(insert.attributes['db.query.text']).includes('"user":"ann"'));
    t.true(String(insert.attributes['db.query.text']).includes('"password":"[REDACTED]"'));
    t.false(JSON.stringify(spans).includes('hunter2'));
    t.true(userRows.includes(1), 'user responseHook saw our returned_rows');
  } finally {
    await client
      .db('test')
      .collection(name)
      .drop()
      .catch(() => undefined);
    await client.close();
  }
});
