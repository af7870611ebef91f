/**
 * CKAmqplibInstrumentation against the real RabbitMQ (AMQP_URL, default amqp://guest:guest@127.0.0.1:5672):
 * ck-route through message headers (promise and callback APIs, publish / sendToQueue / confirm
 * channels), consumer entries under the producer's key, errors from nack / reject / a failing
 * handler, bad ck-route values, capture of headers and payload, and the app's objects and bytes
 * left as they were.
 */
import test from 'ava';
import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Channel, ConsumeMessage } from 'amqplib';
import { captureAgentLog } from '../../../fixtures/agent-log';
import { startTestAgent, type PathLine } from '../../../fixtures/db/agent-harness';
import { serviceTest } from '../../../fixtures/db/services';
import { ROOT_KEY } from '../../../src/graph/types';
import { CKAmqplibInstrumentation } from '../../../src/instrumentations/amqplib';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const agentLog = captureAgentLog();
const rabbitAvailable = serviceTest('RabbitMQ', AMQP_URL, 5672);
// One queue server, one agent: the tests run one after the other (flush() reads every line so far).
const rabbitTest = rabbitAvailable === test ? test.serial : rabbitAvailable;
const harness = startTestAgent({ dataCapture: { bodyMaxSizeBytes: 64 } });
const instrumentation = new CKAmqplibInstrumentation();
instrumentation.enable();

const amqp = require('amqplib') as typeof import('amqplib');
const amqpCallback = require('amqplib/callback_api') as typeof import('amqplib/callback_api');

/** A unique queue/exchange name without digits, so the element name is the name itself (digits would collapse to {id}). */
function uniqueName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += String.fromCharCode(0x67 + Math.floor(Math.random() * 20)); // g..z
  return `${prefix}_${suffix}`;
}

const invalidRoutes = () => (harness.agent.metrics as unknown as { routeInvalid: number }).routeInvalid;

function find(paths: PathLine[], type: string, name: string): PathLine[] {
  return paths.filter((p) => p.element.type === type && p.element.name === name);
}

/** Consumes `count` messages from `queue`, acking each (or applying `settle`), and resolves with them. */
function collect(
  channel: Channel,
  queue: string,
  count: number,
  settle: (channel: Channel, msg: ConsumeMessage) => void = (c, m) => c.ack(m)
): Promise<ConsumeMessage[]> {
  const seen: ConsumeMessage[] = [];
  return new Promise((resolve, reject) => {
    channel
      .consume(queue, (msg) => {
        if (!msg) return;
        seen.push(msg);
        settle(channel, msg);
        if (seen.length === count) resolve(seen);
      })
      .catch(reject);
  });
}

async function withChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    return await fn(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

rabbitTest('promise API: publish inside a request carries ck-route; the consumer entry has the producer key as parent', async (t) => {
  const exchange = uniqueName('ck_orders');
  const queue = uniqueName('ck_orders_q');
  await withChannel(async (channel) => {
    await channel.assertExchange(exchange, 'topic', { autoDelete: true });
    await channel.assertQueue(queue, { exclusive: true });
    await channel.bindQueue(queue, exchange, 'orders.#');
    const received = collect(channel, queue, 2);
    const options = { persistent: false, headers: { 'x-app': 'kept' } };
    const { pathKey } = await harness.inRequest('/orders', async () => {
      channel.publish(exchange, 'orders.42.created', Buffer.from('one'), options);
      channel.publish(exchange, 'orders.43.created', Buffer.from('two'), options);
    });
    const messages = await received;
    t.deepEqual(options, { persistent: false, headers: { 'x-app': 'kept' } }, "the app's options object is unchanged");
    for (const msg of messages) {
      t.is(msg.properties.headers?.['ck-route'], `1-${pathKey}-00`);
      t.is(msg.properties.headers?.['x-app'], 'kept');
    }
    t.deepEqual(
      messages.map((m) => m.content.toString()),
      ['one', 'two']
    );
    const { paths } = await harness.flush();
    const producer = find(paths, 'MESSAGING_PRODUCER', `rabbitmq ${exchange}`);
    t.is(producer.length, 1);
    t.is(producer[0].pathKey, pathKey);
    t.is(producer[0].calls, 2);
    const consumer = find(paths, 'MESSAGING_CONSUMER', `rabbitmq ${exchange}`);
    t.is(consumer.length, 1);
    t.is(consumer[0].parentKey, pathKey, "the consumer entry's parent is the producer's key");
    t.is(consumer[0].element.role, 'entry');
    t.is(consumer[0].calls, 2);
    t.is(consumer[0].errors, 0);
  });
});

rabbitTest('sendToQueue on the default exchange: named after the queue, ids collapsed; nack and reject are errors', async (t) => {
  const base = uniqueName('ck_jobs');
  const queue = `${base}.12345`;
  await withChannel(async (channel) => {
    await channel.assertQueue(queue, { exclusive: true });
    let n = 0;
    const received = collect(channel, queue, 3, (c, m) => {
      n++;
      if (n === 1) c.ack(m);
      else if (n === 2) c.nack(m, false, false);
      else c.reject(m, false);
    });
    const { pathKey } = await harness.inRequest('/jobs', async () => {
      channel.sendToQueue(queue, Buffer.from('a'));
      channel.sendToQueue(queue, Buffer.from('b'));
      channel.sendToQueue(queue, Buffer.from('c'));
    });
    await received;
    const { paths } = await harness.flush();
    const name = `rabbitmq ${base}.{id}`;
    t.is(find(paths, 'MESSAGING_PRODUCER', name)[0]?.pathKey, pathKey);
    const consumer = find(paths, 'MESSAGING_CONSUMER', name)[0];
    t.is(consumer?.parentKey, pathKey);
    t.is(consumer?.calls, 3);
    t.is(consumer?.errors, 2, 'nack and reject');
  });
});

rabbitTest('callback API and confirm channel: route injected, consumer under the producer key', async (t) => {
  const queue = uniqueName('ck_cb');
  const connection = await new Promise<import('amqplib/callback_api').Connection>((resolve, reject) =>
    amqpCallback.connect(AMQP_URL, (err, conn) => (err ? reject(err) : resolve(conn)))
  );
  try {
    const channel = await new Promise<import('amqplib/callback_api').ConfirmChannel>((resolve, reject) =>
      connection.createConfirmChannel((err, ch) => (err ? reject(err) : resolve(ch)))
    );
    await new Promise<void>((resolve, reject) => channel.assertQueue(queue, { exclusive: true }, (err) => (err ? reject(err) : resolve())));
    const received = new Promise<import('amqplib/callback_api').Message>((resolve) =>
      channel.consume(queue, (msg) => {
        if (!msg) return;
        channel.ack(msg);
        resolve(msg);
      })
    );
    const { pathKey } = await harness.inRequest('/callback', async () => {
      await new Promise<void>((resolve, reject) =>
        channel.sendToQueue(queue, Buffer.from('cb'), {}, (err) => (err ? reject(err) : resolve()))
      );
    });
    const msg = await received;
    t.is(msg.properties.headers?.['ck-route'], `1-${pathKey}-00`);
    const { paths } = await harness.flush();
    t.is(find(paths, 'MESSAGING_PRODUCER', `rabbitmq ${queue}`)[0]?.pathKey, pathKey);
    t.is(find(paths, 'MESSAGING_CONSUMER', `rabbitmq ${queue}`)[0]?.parentKey, pathKey);
  } finally {
    await new Promise<void>((resolve) => connection.close(() => resolve()));
  }
});

rabbitTest(
  'a handler whose promise rejects fails the entry; the app still gets its unhandled rejection (noAck: the entry covers the async work)',
  async (t) => {
    const queue = uniqueName('ck_fail');
    const failure = new Error('handler failed');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    // ava's own listener would fail the run: it is set aside while this test provokes one on purpose.
    const avaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      await withChannel(async (channel) => {
        await channel.assertQueue(queue, { exclusive: true });
        let done!: () => void;
        const handled = new Promise<void>((resolve) => (done = resolve));
        await channel.consume(
          queue,
          async (msg) => {
            if (!msg) return;
            await new Promise((resolve) => setTimeout(resolve, 30));
            done();
            throw failure;
          },
          { noAck: true }
        );
        channel.sendToQueue(queue, Buffer.from('x'));
        await handled;
        await new Promise((resolve) => setTimeout(resolve, 100));
      });
      t.deepEqual(unhandled, [failure], 'the same reason reaches unhandledRejection once');
      const { paths, spans } = await harness.flush();
      const consumer = find(paths, 'MESSAGING_CONSUMER', `rabbitmq ${queue}`)[0];
      t.is(consumer?.errors, 1);
      t.is(consumer?.parentKey, ROOT_KEY, 'published outside a request: external entry');
      const span = spans.find((s) => s.kind === 'CONSUMER' && s.name === `${queue} process`);
      t.true(Number(span?.durationNs) >= 25e6, 'the entry ended when the handler settled, not when it returned');
      t.regex(span?.status.message ?? '', /message handler failed: handler failed/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of avaListeners) process.on('unhandledRejection', listener);
    }
  }
);

rabbitTest('bad ck-route values: external entry, counted, never an exception; a message without headers works', async (t) => {
  const queue = uniqueName('ck_bad');
  await withChannel(async (channel) => {
    await channel.assertQueue(queue, { exclusive: true });
    const received = collect(channel, queue, 5);
    const before = invalidRoutes();
    channel.sendToQueue(queue, Buffer.from('1'), { headers: { 'ck-route': 42 } });
    channel.sendToQueue(queue, Buffer.from('2'), { headers: { 'ck-route': 'junk' } });
    channel.sendToQueue(queue, Buffer.from('3'), { headers: { 'ck-route': Buffer.from('1-0123456789abcdef-00') } });
    channel.sendToQueue(queue, Buffer.from('4'), { headers: { 'ck-route': { nested: true } } });
    channel.sendToQueue(queue, Buffer.from('5'));
    const messages = await received;
    t.deepEqual(
      messages.map((m) => m.content.toString()),
      ['1', '2', '3', '4', '5']
    );
    t.is(invalidRoutes() - before, 4);
    const { paths } = await harness.flush();
    const consumer = find(paths, 'MESSAGING_CONSUMER', `rabbitmq ${queue}`);
    t.is(consumer.length, 1);
    t.is(consumer[0].parentKey, ROOT_KEY);
    t.is(consumer[0].calls, 5);
    t.is(consumer[0].errors, 0);
  });
});

rabbitTest('another SDK replaced the global propagator: ck-route is still injected and adopted', async (t) => {
  const queue = uniqueName('ck_foreign');
  const ours = (propagation as unknown as { _getGlobalPropagator(): TextMapPropagator })._getGlobalPropagator();
  propagation.disable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    await withChannel(async (channel) => {
      await channel.assertQueue(queue, { exclusive: true });
      const received = collect(channel, queue, 1);
      const { pathKey } = await harness.inRequest('/foreign', async () => {
        channel.sendToQueue(queue, Buffer.from('f'));
      });
      const [msg] = await received;
      t.is(msg.properties.headers?.['ck-route'], `1-${pathKey}-00`);
      t.truthy(msg.properties.headers?.traceparent);
      const { paths, spans } = await harness.flush();
      t.is(find(paths, 'MESSAGING_CONSUMER', `rabbitmq ${queue}`)[0]?.parentKey, pathKey);
      const span = spans.find((s) => s.kind === 'CONSUMER' && s.name === `${queue} process`);
      t.is(span?.attributes['ck.route.incoming'], `1-${pathKey}-00`);
    });
  } finally {
    propagation.disable();
    propagation.setGlobalPropagator(ours);
  }
});

rabbitTest('capture: headers and an allowed payload on both spans, redacted and cut; other content types not captured', async (t) => {
  const queue = uniqueName('ck_cap');
  await withChannel(async (channel) => {
    await channel.assertQueue(queue, { exclusive: true });
    const received = collect(channel, queue, 2);
    const json = JSON.stringify({ order: 7, password: 'hunter2', note: 'x'.repeat(100) });
    await harness.inRequest('/capture', async () => {
      channel.sendToQueue(queue, Buffer.from(json), {
        contentType: 'application/json',
        headers: { authorization: 'Bearer secret', 'x-tenant': 't1', 'x-count': 3 },
      });
      channel.sendToQueue(queue, Buffer.from([0, 1, 2, 3]), { contentType: 'application/octet-stream' });
    });
    await received;
    const { spans } = await harness.flush();
    for (const kind of ['PRODUCER', 'CONSUMER']) {
      const [json1, binary] = spans.filter(
        (s) => s.kind === kind && String(s.attributes['messaging.rabbitmq.routing_key'] ?? s.name).includes(queue)
      );
      t.truthy(json1, kind);
      const a = json1.attributes;
      t.is(a['messaging.request.header.authorization'], '[REDACTED]', kind);
      t.is(a['messaging.request.header.x-tenant'], 't1', kind);
      t.is(a['messaging.request.header.x-count'], '3', kind);
      t.regex(String(a['messaging.request.header.ck-route']), /^1-[0-9a-f]{16}-00$/, kind);
      const body = String(a['messaging.request.body']);
      t.true(body.startsWith('{"order":7,"password":"[REDACTED]"'), `${kind}: ${body}`);
      t.true(Buffer.byteLength(body) <= 64, kind);
      t.deepEqual(a['ck.capture.truncated'], ['messaging.request.body'], kind);
      t.is(binary?.attributes['messaging.request.body'], undefined, `${kind}: octet-stream not captured`);
    }
  });
});

rabbitTest('the consumer sees the same bytes and app headers with and without the agent', async (t) => {
  const queue = uniqueName('ck_bytes');
  const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const appHeaders = { 'x-a': 'b', 'x-n': 5, 'x-bin': Buffer.from([0xff, 0x00]) };
  const run = () =>
    withChannel(async (channel) => {
      await channel.assertQueue(queue, { exclusive: true });
      const received = collect(channel, queue, 1);
      await harness.inRequest('/bytes', async () => {
        channel.sendToQueue(queue, payload, { headers: appHeaders, contentType: 'application/octet-stream' });
      });
      const [msg] = await received;
      return msg;
    });
  const withAgent = await run();
  instrumentation.disable();
  let without: ConsumeMessage;
  try {
    without = await run();
  } finally {
    instrumentation.enable();
  }
  t.true(withAgent.content.equals(payload));
  t.true(without.content.equals(payload));
  const strip = (headers: Record<string, unknown> | undefined) => {
    const { 'ck-route': _route, traceparent: _tp, tracestate: _ts, ...rest } = headers ?? {};
    return rest;
  };
  t.deepEqual(strip(withAgent.properties.headers), strip(without.properties.headers));
  t.is(without.properties.headers?.['ck-route'], undefined, 'disabled: nothing added');
  t.deepEqual(appHeaders, { 'x-a': 'b', 'x-n': 5, 'x-bin': Buffer.from([0xff, 0x00]) });
  await harness.flush();
});

test.after.always('no agent warnings', (t) => {
  t.deepEqual(agentLog.lines, []);
});
