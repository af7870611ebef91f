/**
 * The MongoDB wire-protocol test server (fixtures/mongo) driven by the real `mongodb` driver,
 * without any agent: the fixture itself must behave like a server for the wrapper tests to mean
 * anything.
 */
import test from 'ava';
import { MongoClient, MongoServerError } from 'mongodb';
import { startMongoWireServer } from '../../fixtures/mongo/wire-server';

test('handshake, CRUD, cursors, aggregate, errors and unacknowledged writes over TCP', async (t) => {
  const server = await startMongoWireServer();
  const client = new MongoClient(server.url, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.connect();
    t.is(server.commandLog[0].toLowerCase(), 'ismaster', 'legacy OP_QUERY handshake answered');
    const db = client.db('wire');
    t.is((await db.command({ ping: 1 })).ok, 1);
    t.is((await db.admin().command({ buildInfo: 1 })).version, '7.0.0');
    const c = db.collection<{ _id: number; n: number; tag?: string }>('items');
    await c.insertMany(Array.from({ length: 120 }, (_, i) => ({ _id: i, n: i, tag: i % 3 === 0 ? 'fizz' : 'other' })));
    t.is((await c.find({}, { batchSize: 7 }).toArray()).length, 120);
    t.deepEqual(
      await c
        .find({ n: { $in: [3, 5] } })
        .sort({ n: -1 })
        .project({ _id: 0, n: 1 })
        .toArray(),
      [{ n: 5 }, { n: 3 }]
    );
    t.is((await c.updateMany({ tag: 'fizz' }, { $inc: { n: 1000 } })).modifiedCount, 40);
    t.is(await c.countDocuments({ n: { $gte: 1000 } }), 40);
    t.deepEqual(await c.aggregate([{ $match: { tag: 'other' } }, { $skip: 1 }, { $limit: 2 }, { $project: { _id: 1 } }]).toArray(), [
      { _id: 2 },
      { _id: 4 },
    ]);
    t.is((await c.deleteMany({ tag: 'fizz' })).deletedCount, 40);
    const error = await t.throwsAsync(c.insertOne({ _id: 1, n: 0 }));
    t.is((error as MongoServerError).code, 11000);
    await t.throwsAsync(db.command({ nope: 1 }), { message: /no such command/ });
    await c.insertOne({ _id: 500, n: 1 }, { writeConcern: { w: 0 } });
    t.is((await c.findOne({ _id: 500 }))?.n, 1, 'w:0 insert (moreToCome, no reply) applied');
    const cursor = c.find({}, { batchSize: 2 });
    await cursor.next();
    await cursor.close();
    t.true(server.commandLog.includes('killCursors'));
    t.true(server.commandLog.includes('getMore'));
  } finally {
    await client.close();
    await server.stop();
  }
});

test('failNext closes the connection or returns the given error', async (t) => {
  const server = await startMongoWireServer();
  const client = new MongoClient(server.url, { serverSelectionTimeoutMS: 2000, retryReads: false });
  try {
    await client.connect();
    const c = client.db('wire').collection('x');
    server.failNext('find', { close: true });
    await t.throwsAsync(c.findOne({}), { name: 'MongoNetworkError' });
    server.failNext('find', { code: 2, codeName: 'BadValue', errmsg: 'injected' });
    await t.throwsAsync(c.findOne({}), { message: 'injected' });
    t.is(await c.findOne({}), null);
  } finally {
    await client.close();
    await server.stop();
  }
});
