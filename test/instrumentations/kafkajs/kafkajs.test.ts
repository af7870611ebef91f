/**
 * CKKafkaJsInstrumentation with the real kafkajs 2.x against the Kafka wire-protocol fixture
 * broker (fixtures/kafka; a real cluster when KAFKA_BROKERS is set): ck-route through record
 * headers, eachMessage entries and one entry per eachBatch batch under the producer's key, a
 * failing handler, bad ck-route values, capture, and the app's objects and bytes left as they were.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { EachBatchPayload, EachMessagePayload, IHeaders, Message } from 'kafkajs';
import { captureAgentLog } from '../../../fixtures/agent-log';
import { startTestAgent, type PathLine } from '../../../fixtures/db/agent-harness';
import { startKafka } from '../../../fixtures/kafka/wire-server';
import { ROOT_KEY } from '../../../src/graph/types';
import { CKKafkaJsInstrumentation } from '../../../src/instrumentations/kafkajs';

const WAIT_MS = 30_000;
const agentLog = captureAgentLog();
const harness = startTestAgent({ dataCapture: { bodyMaxSizeBytes: 64 } });
const instrumentation = new CKKafkaJsInstrumentation();
instrumentation.enable();

const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const invalidRoutes = () => (harness.agent.metrics as unknown as { routeInvalid: number }).routeInvalid;

/** Topic names without digits, so the element name is the topic itself. */
function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID()
    .replace(/[^a-f]/g, '')
    .replace(/[a-f]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 6))
    .slice(0, 8)}`;
}

function find(paths: PathLine[], type: string, name: string): PathLine[] {
  return paths.filter((p) => p.element.type === type && p.element.name === name);
}

let brokers: string[] = [];
let closeKafka: () => Promise<void> = async () => undefined;

test.before(async () => {
  const kafka = await startKafka();
  brokers = kafka.brokers;
  closeKafka = () => kafka.close();
});

test.after.always(async () => {
  await closeKafka();
});

function client(id: string) {
  return new Kafka({ clientId: id, brokers, retry: { initialRetryTime: 100, retries: 8 }, logLevel: logLevel.NOTHING });
}

function until(what: string, predicate: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > WAIT_MS) return reject(new Error(`no ${what} within ${WAIT_MS} ms`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

/** Runs a consumer on `topic` from the beginning with `handlers` until `done()`, then disconnects. */
async function consume(
  topic: string,
  handlers: { eachMessage?: (p: EachMessagePayload) => Promise<void> | void; eachBatch?: (p: EachBatchPayload) => Promise<void> | void },
  done: () => boolean
): Promise<void> {
  const consumer = client(`c-${topic}`).consumer({ groupId: `g-${topic}`, retry: { initialRetryTime: 50, retries: 5 } });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run(handlers as Parameters<typeof consumer.run>[0]);
    await until(`messages on ${topic}`, done);
  } finally {
    await consumer.disconnect();
  }
}

const routeOf = (headers: IHeaders | undefined) => headers?.['ck-route']?.toString();

test.serial('eachMessage: send inside a request carries ck-route; each message is an entry under the producer key', async (t) => {
  const topic = uniqueTopic('orders');
  const producer = client('p1').producer();
  await producer.connect();
  const messages: Message[] = [{ value: 'one', headers: { 'x-app': 'kept' } }, { value: 'two' }];
  const { pathKey } = await harness.inRequest('/orders', async () => {
    await producer.send({ topic, messages });
  });
  await producer.disconnect();
  t.deepEqual(messages, [{ value: 'one', headers: { 'x-app': 'kept' } }, { value: 'two' }], "the app's messages are unchanged");
  const seen: EachMessagePayload[] = [];
  await consume(topic, { eachMessage: async (p) => void seen.push(p) }, () => seen.length >= 2);
  t.deepEqual(
    seen.map((p) => routeOf(p.message.headers)),
    [`1-${pathKey}-00`, `1-${pathKey}-00`]
  );
  t.is(seen[0].message.headers?.['x-app']?.toString(), 'kept');
  const { paths } = await harness.flush();
  const producerRow = find(paths, 'MESSAGING_PRODUCER', `kafka ${topic}`);
  t.is(producerRow[0]?.pathKey, pathKey);
  t.is(producerRow[0]?.calls, 2);
  const consumerRow = find(paths, 'MESSAGING_CONSUMER', `kafka ${topic}`);
  t.is(consumerRow.length, 1);
  t.is(consumerRow[0].parentKey, pathKey);
  t.is(consumerRow[0].calls, 2);
  t.is(consumerRow[0].errors, 0);
});

test.serial('eachBatch: one entry per batch, parent from the first message with a valid ck-route', async (t) => {
  const topic = uniqueTopic('batch');
  const producer = client('p2').producer();
  await producer.connect();
  const firstKey = 'aaaaaaaaaaaaaaaa';
  await producer.send({
    topic,
    messages: [
      { value: '1', headers: { 'ck-route': 'junk' } },
      { value: '2', headers: { 'ck-route': `1-${firstKey}-00` } },
      { value: '3', headers: { 'ck-route': '1-bbbbbbbbbbbbbbbb-00' } },
      { value: '4' },
    ],
  });
  await producer.disconnect();
  const before = invalidRoutes();
  let batches = 0;
  let values: string[] = [];
  await consume(
    topic,
    {
      eachBatch: async ({ batch }) => {
        batches++;
        values = values.concat(batch.messages.map((m) => String(m.value)));
      },
    },
    () => values.length >= 4
  );
  t.is(batches, 1, 'one send, one fetch: one batch');
  t.deepEqual(values, ['1', '2', '3', '4']);
  t.is(invalidRoutes() - before, 1, 'the junk value is counted once');
  const { paths, spans } = await harness.flush();
  const consumerRow = find(paths, 'MESSAGING_CONSUMER', `kafka ${topic}`);
  t.is(consumerRow.length, 1);
  t.is(consumerRow[0].calls, 1, 'one entry for the batch');
  t.is(consumerRow[0].parentKey, firstKey);
  const entry = spans.find((s) => s.kind === 'CONSUMER' && s.name === `poll ${topic}`);
  t.is(entry?.attributes['ck.route.incoming'], `1-${firstKey}-00`);
  const perMessage = spans.filter((s) => s.name === `process ${topic}`);
  t.is(perMessage.length, 4);
  for (const s of perMessage) {
    t.is(s.kind, 'INTERNAL');
    t.is(s.parentSpanId, entry?.spanId);
    t.is(s.attributes['ck.path.key'], consumerRow[0].pathKey);
  }
});

test.serial('a handler that throws fails its entry; kafkajs retries it as without the agent', async (t) => {
  const topic = uniqueTopic('fail');
  const producer = client('p3').producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'x' }] });
  await producer.disconnect();
  let attempts = 0;
  let handled = false;
  await consume(
    topic,
    {
      // Not async: a synchronous throw, which upstream alone would leave with an unended span.
      eachMessage: () => {
        attempts++;
        if (attempts === 1) throw new Error('first attempt fails');
        handled = true;
      },
    },
    () => handled
  );
  t.is(attempts, 2);
  const { paths, spans } = await harness.flush();
  const row = find(paths, 'MESSAGING_CONSUMER', `kafka ${topic}`)[0];
  t.is(row?.calls, 2);
  t.is(row?.errors, 1);
  t.is(row?.parentKey, ROOT_KEY);
  const failed = spans.filter((s) => s.name === `process ${topic}` && s.status.code === 2);
  t.is(failed.length, 1);
});

test.serial('bad ck-route values: external entries, counted, never an exception; messages without headers work', async (t) => {
  const topic = uniqueTopic('bad');
  const producer = client('p4').producer();
  await producer.connect();
  const valid = '1-0123456789abcdef-00';
  await producer.send({
    topic,
    messages: [
      { value: 'a', headers: { 'ck-route': 'junk' } },
      { value: 'b', headers: { 'ck-route': Buffer.alloc(1000, 0x31) } },
      { value: 'c', headers: { 'ck-route': [valid, valid] } },
      { value: 'd', headers: { 'ck-route': Buffer.from([0xff, 0xfe, 0x00]) } },
      { value: 'e' },
    ],
  });
  await producer.disconnect();
  const before = invalidRoutes();
  const seen: string[] = [];
  await consume(topic, { eachMessage: async ({ message }) => void seen.push(String(message.value)) }, () => seen.length >= 5);
  t.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
  t.is(invalidRoutes() - before, 4);
  const { paths } = await harness.flush();
  const row = find(paths, 'MESSAGING_CONSUMER', `kafka ${topic}`);
  t.is(row.length, 1);
  t.is(row[0].parentKey, ROOT_KEY);
  t.is(row[0].calls, 5);
});

test.serial('capture: record headers and a JSON payload (content-type header) on producer and consumer spans', async (t) => {
  const topic = uniqueTopic('cap');
  const producer = client('p5').producer();
  await producer.connect();
  const json = JSON.stringify({ order: 7, password: 'hunter2', note: 'x'.repeat(100) });
  await harness.inRequest('/capture', async () => {
    await producer.send({
      topic,
      messages: [
        { value: json, headers: { 'content-type': 'application/json', authorization: 'Bearer s', 'x-tenant': 't1' } },
        { value: Buffer.from([0, 1, 2]), headers: { 'content-type': 'application/octet-stream' } },
      ],
    });
  });
  await producer.disconnect();
  const seen: string[] = [];
  await consume(topic, { eachMessage: async ({ message }) => void seen.push(String(message.value)) }, () => seen.length >= 2);
  const { spans } = await harness.flush();
  for (const kind of ['PRODUCER', 'CONSUMER']) {
    const [first, second] = spans.filter((s) => s.kind === kind && s.attributes['messaging.destination.name'] === topic);
    const a = first?.attributes ?? {};
    t.is(a['messaging.request.header.authorization'], '[REDACTED]', kind);
    t.is(a['messaging.request.header.x-tenant'], 't1', kind);
    t.regex(String(a['messaging.request.header.ck-route']), /^1-[0-9a-f]{16}-00$/, kind);
    t.true(String(a['messaging.request.body']).startsWith('{"order":7,"password":"[REDACTED]"'), kind);
    t.deepEqual(a['ck.capture.truncated'], ['messaging.request.body'], kind);
    t.is(second?.attributes['messaging.request.body'], undefined, `${kind}: octet-stream not captured`);
  }
});

test.serial('the consumer sees the same bytes and app headers with and without the agent', async (t) => {
  const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const run = async () => {
    const topic = uniqueTopic('bytes');
    const producer = client('p6').producer();
    await producer.connect();
    const message = { key: 'k', value, headers: { 'x-a': 'b', 'x-bin': Buffer.from([0xff, 0]) } };
    await harness.inRequest('/bytes', async () => {
      await producer.send({ topic, messages: [message] });
    });
    await producer.disconnect();
    t.deepEqual(Object.keys(message.headers), ['x-a', 'x-bin'], "the app's headers object is unchanged");
    let received: EachMessagePayload['message'] | undefined;
    await consume(topic, { eachMessage: async (p) => void (received = p.message) }, () => received !== undefined);
    return received!;
  };
  const withAgent = await run();
  instrumentation.disable();
  let without: EachMessagePayload['message'];
  try {
    without = await run();
  } finally {
    instrumentation.enable();
  }
  t.true(withAgent.value?.equals(value));
  t.true(without.value?.equals(value));
  t.is(String(withAgent.key), String(without.key));
  const strip = (headers: IHeaders | undefined) => {
    const { 'ck-route': _route, traceparent: _tp, tracestate: _ts, ...rest } = headers ?? {};
    return rest;
  };
  t.deepEqual(strip(withAgent.headers), strip(without.headers));
  t.is(without.headers?.['ck-route'], undefined);
  await harness.flush();
});

test.after.always('no agent warnings', (t) => {
  t.deepEqual(agentLog.lines, []);
});
