/**
 * CKMongoDBInstrumentation with the real `mongodb` driver: against a real mongod when
 * MONGODB_URL is set, else against the wire-protocol server in fixtures/mongo over TCP. The same
 * sequence gives the same results and errors with and without the agent; spans carry operation,
 * collection and database with values masked; DATABASE elements land under the request's path.
 */
import test from 'ava';
import { startTestAgent, spansWhere } from '../../fixtures/db/agent-harness';
import { MONGODB_URL, uniqueName } from '../../fixtures/db/services';
import { startMongoWireServer, type MongoWireServer } from '../../fixtures/mongo/wire-server';
import { CKMongoDBInstrumentation, mongoStatement } from '../../src/instrumentations/mongodb';
import { Redactor } from '../../src/capture/redaction';

const harness = startTestAgent();
const instrumentation = new CKMongoDBInstrumentation();
instrumentation.enable();

const mongodb = require('mongodb') as typeof import('mongodb');

const SECRET = 'mongo-secret-value';
const dbName = MONGODB_URL ? 'test' : 'shop';
let server: MongoWireServer | undefined;
let url = MONGODB_URL ?? '';

test.before(async () => {
  if (!MONGODB_URL) {
    server = await startMongoWireServer();
    url = server.url;
  }
});

test.after.always(async () => {
  await server?.stop();
});

interface Outcome {
  step: string;
  value?: unknown;
  error?: { name: string; code?: unknown; message: string };
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}

async function runSequence(collectionName: string): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      out.push({ step: name, value: plain(await fn()) });
    } catch (err) {
      const e = err as { name: string; code?: unknown; message: string };
      out.push({ step: name, error: { name: e.name, code: e.code, message: String(e.message) } });
    }
  };
  const client = new mongodb.MongoClient(url, { serverSelectionTimeoutMS: 3000 });
  await client.connect();
  const db = client.db(dbName);
  const orders = db.collection<{ _id: number; status?: string; secret?: string; n?: number; data?: unknown; big?: string }>(collectionName);
  try {
    await step('ping', () => db.command({ ping: 1 }));
    await step('insertOne', () => orders.insertOne({ _id: 1, status: 'new', secret: SECRET, n: 1 }));
    await step('insertMany', () =>
      orders.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i + 2, status: i % 2 ? 'paid' : 'new', n: i })))
    );
    await step('find with batches', async () => (await orders.find({ status: 'paid' }, { batchSize: 20 }).toArray()).length);
    await step('findOne', () => orders.findOne({ _id: 1 }));
    await step('find projection sort limit', () =>
      orders.find({ n: { $gte: 10 } }, { projection: { n: 1 }, sort: { n: -1 }, limit: 3 }).toArray()
    );
    await step('updateOne', () => orders.updateOne({ _id: 1 }, { $set: { status: 'paid' } }));
    await step('updateMany', () => orders.updateMany({ status: 'new' }, { $inc: { n: 1000 } }));
    await step('upsert', () => orders.updateOne({ _id: 9999 }, { $set: { status: 'ghost' } }, { upsert: true }));
    await step('aggregate', () =>
      orders.aggregate([{ $match: { status: 'paid' } }, { $sort: { n: 1 } }, { $limit: 2 }, { $project: { n: 1 } }]).toArray()
    );
    await step('countDocuments', () => orders.countDocuments({ status: 'paid' }));
    await step('cursor closed early', async () => {
      const cursor = orders.find({}, { batchSize: 5 });
      const first = await cursor.next();
      await cursor.close();
      return first?._id;
    });
    await step('duplicate key', () => orders.insertOne({ _id: 1, status: 'dup' }));
    await step('binary', async () => {
      await orders.insertOne({ _id: 5000, data: new mongodb.Binary(Buffer.from([0, 1, 2, 255])) });
      const doc = await orders.findOne({ _id: 5000 });
      return Buffer.from((doc!.data as { buffer: Uint8Array }).buffer).toString('hex');
    });
    await step('large document', async () => {
      await orders.insertOne({ _id: 6000, big: 'x'.repeat(1024 * 1024) });
      return (await orders.findOne({ _id: 6000 }))?.big?.length;
    });
    await step('unknown command', () => db.command({ ckNoSuchCommand: 1 }));
    await step('deleteMany', () => orders.deleteMany({ n: { $gte: 1000 } }));
    await step('deleteOne', () => orders.deleteOne({ _id: 9999 }));
  } finally {
    await orders.drop().catch(() => undefined);
    await client.close();
  }
  return out;
}

test.serial('the app gets the same results and errors with and without the agent', async (t) => {
  const collection = uniqueName('ck_orders');
  instrumentation.disable();
  const without = await runSequence(collection);
  instrumentation.enable();
  const { result: withAgent } = await harness.inRequest('/mongo/sequence', () => runSequence(collection));
  t.deepEqual(withAgent, without);
  t.is(without.find((o) => o.step === 'duplicate key')?.error?.code, 11000);
  t.is(without.find((o) => o.step === 'find with batches')?.value, 125);
  t.is(without.find((o) => o.step === 'binary')?.value, '000102ff');
  t.is(without.find((o) => o.step === 'large document')?.value, 1024 * 1024);
  t.truthy(without.find((o) => o.step === 'unknown command')?.error);
});

test.serial('spans: operation, collection and database; values masked; getMore batches counted', async (t) => {
  const { spans } = await harness.flush();
  const mongo = spansWhere(spans, (a) => a['db.system.name'] === 'mongodb');
  t.true(mongo.length > 10, 'mongodb spans recorded');
  for (const span of spans) t.false(JSON.stringify(span).includes(SECRET), `no value in span ${span.name}`);
  const insert = mongo.find((s) => s.attributes['db.operation.name'] === 'insert');
  t.truthy(insert);
  t.regex(String(insert!.attributes['db.collection.name']), /^ck_orders_/);
  t.is(insert!.attributes['db.namespace'], dbName);
  t.true(String(insert!.attributes['db.query.text']).includes('"secret":"?"'));
  const ping = mongo.find((s) => s.attributes['db.operation.name'] === 'ping');
  t.truthy(ping);
  t.is(ping!.attributes['db.collection.name'], undefined, '$cmd is not a collection');
  t.is(ping!.name, 'ping');
  const getMores = mongo.filter((s) => s.attributes['db.operation.name'] === 'getMore');
  t.true(getMores.length >= 6, 'cursor batches fetched with getMore');
  const find = mongo.find((s) => s.attributes['db.operation.name'] === 'find' && s.attributes['db.response.returned_rows'] === 20);
  t.truthy(find, 'first batch size recorded');
  const unknown = mongo.find((s) => s.attributes['db.operation.name'] === 'ckNoSuchCommand');
  t.is(unknown?.status.code, 2);
});

test.serial('DATABASE elements under the request path key, errors counted, nothing outside a request', async (t) => {
  const collection = uniqueName('ck_elements');
  const client = new mongodb.MongoClient(url, { serverSelectionTimeoutMS: 3000 });
  await client.connect();
  try {
    const c = client.db(dbName).collection(collection);
    await c.insertOne({ outside: true }); // no parent span: upstream's requireParentSpan default
    const { pathKey } = await harness.inRequest('/mongo/elements', async () => {
      await c.insertOne({ a: 1 });
      await c.findOne({ a: 1 });
      await c.findOne({ a: 2 });
      await client
        .db(dbName)
        .command({ ckNoSuchCommand: 1 })
        .catch(() => undefined);
    });
    const { spans, paths } = await harness.flush();
    const mine = paths.filter((p) => p.pathKey === pathKey && p.element.type === 'DATABASE');
    t.is(mine.find((p) => p.element.name === `FIND ${collection}`)?.calls, 2, JSON.stringify(mine.map((p) => p.element.name)));
    t.is(mine.find((p) => p.element.name === `INSERT ${collection}`)?.calls, 1);
    t.is(mine.find((p) => p.element.name === 'CKNOSUCHCOMMAND')?.errors, 1);
    const inserts = spansWhere(spans, (a) => a['db.collection.name'] === collection && a['db.operation.name'] === 'insert');
    t.is(inserts.length, 1, 'the insert outside a request made no span');
  } finally {
    await client
      .db(dbName)
      .collection(collection)
      .drop()
      .catch(() => undefined);
    await client.close();
  }
});

test.serial('connection refused and a connection dropped mid-query: same errors with and without the agent', async (t) => {
  const refused = async () => {
    const client = new mongodb.MongoClient('mongodb://127.0.0.1:1/?directConnection=true', { serverSelectionTimeoutMS: 300 });
    try {
      await client.connect();
      return 'connected';
    } catch (err) {
      return (err as Error).name;
    } finally {
      await client.close();
    }
  };
  const dropped = async () => {
    if (!server) return 'skipped: needs the wire server';
    const client = new mongodb.MongoClient(url, { serverSelectionTimeoutMS: 3000 });
    await client.connect();
    try {
      // Twice: the driver retries a read once on a fresh connection.
      server.failNext('find', { close: true });
      server.failNext('find', { close: true });
      await client.db(dbName).collection('anything').findOne({});
      return 'found';
    } catch (err) {
      return (err as Error).name;
    } finally {
      await client.close();
    }
  };
  instrumentation.disable();
  const baseline = [await refused(), await dropped()];
  instrumentation.enable();
  const { result } = await harness.inRequest('/mongo/bad', async () => [await refused(), await dropped()]);
  t.deepEqual(result, baseline);
  t.is(baseline[0], 'MongoServerSelectionError');
  if (server) t.is(baseline[1], 'MongoNetworkError');
});

test('mongoStatement: masks values, bounds size and work, redacts keys when values are on', (t) => {
  const command = { find: 'orders', filter: { email: 'a@b.c', total: { $gt: 5 }, tags: ['x', 'y'] }, limit: 1 };
  t.is(mongoStatement(command, 1000), '{"find":"?","filter":{"email":"?","total":{"$gt":"?"},"tags":["?","?"]},"limit":"?"}');
  const redactor = new Redactor({ headerNames: [], bodyKeys: ['pass'] });
  t.is(mongoStatement({ user: 'u', password: 'p' }, 1000, true, redactor), '{"user":"u","password":"[REDACTED]"}');
  const huge = { filter: { _id: { $in: Array.from({ length: 100000 }, (_, i) => i) } } };
  t.true(mongoStatement(huge, 500).length <= 500);
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  t.is(mongoStatement(circular, 1000), '{"a":"?","self":"[Circular]"}');
});
