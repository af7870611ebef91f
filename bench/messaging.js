'use strict';
// Publish+consume throughput with and without ck-agent (docs/messaging.md), RabbitMQ (the real
// server, AMQP_URL) and Kafka (the fixture broker of fixtures/kafka, or KAFKA_BROKERS).
//
//   node bench/messaging.js [--rounds=5] [--messages=5000] [--systems=rabbitmq,kafka]
//
// Each measurement is a fresh process (bare, or ck-agent with CKAmqplib/CKKafkaJs + metrics
// only), run in interleaved rounds (bare, ck, bare, ck, ...) so machine drift hits both alike.
// In a process: a consumer is started, then `messages` messages are sent in groups of 100, each
// group inside one CK request (a SERVER span, so every message carries ck-route and is a
// producer element under the request), and consumed with an ack (RabbitMQ, prefetch 200) or by
// eachMessage (Kafka). Figures: messages per second from the first send to the last consumed
// message, and the process's CPU time (user + system) per message over the same span; producer
// and consumer share the process, so that is send + receive. Needs `npm run build` first.
const { fork } = require('child_process');
const path = require('path');

const GROUP = 100;

function arg(name, fallback) {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? found.slice(name.length + 3) : fallback;
}

async function child() {
  const [mode, system, count] = [process.env.BENCH_MODE, process.env.BENCH_SYSTEM, Number(process.env.BENCH_MESSAGES)];
  let inRequest = (fn) => fn();
  if (mode === 'ck') {
    const ck = require('../build/src');
    const { SpanKind, context, trace } = require('@opentelemetry/api');
    const agent = ck.init({ serviceName: 'bench-messaging', reporting: { metricReporterType: 'NONE' }, logLevel: 'error' });
    new ck.CKAmqplibInstrumentation().enable();
    new ck.CKKafkaJsInstrumentation().enable();
    const tracer = agent.tracerProvider.getTracer('bench');
    inRequest = async (fn) => {
      const span = tracer.startSpan('POST /orders', {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': 'POST', 'http.route': '/orders' },
      });
      try {
        return await context.with(trace.setSpan(context.active(), span), fn);
      } finally {
        span.end();
      }
    };
  }
  const payload = Buffer.from(JSON.stringify({ order: 1, items: [{ sku: 'abc', qty: 2 }], note: 'x'.repeat(200) }));
  const name = `ck_bench_${mode}_${process.pid}`;
  let received = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  let start;
  let cpu;
  const report = () => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    process.send({ perSecond: count / seconds, cpuMicrosPerMessage: (used.user + used.system) / count });
  };
  if (system === 'rabbitmq') {
    const amqp = require('amqplib');
    const connection = await amqp.connect(process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672');
    const channel = await connection.createChannel();
    await channel.assertQueue(name, { exclusive: true });
    await channel.prefetch(200);
    await channel.consume(name, (msg) => {
      channel.ack(msg);
      if (++received === count) done();
    });
    const pub = await connection.createChannel();
    start = process.hrtime.bigint();
    cpu = process.cpuUsage();
    for (let sent = 0; sent < count; sent += GROUP) {
      await inRequest(async () => {
        for (let i = 0; i < GROUP; i++) pub.sendToQueue(name, payload, { contentType: 'application/json' });
      });
      // Let the socket drain between groups, as request-driven publishing would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await finished;
    report();
    await connection.close();
  } else {
    const { Kafka, logLevel } = require('kafkajs');
    const kafka = new Kafka({ clientId: 'bench', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: name });
    await consumer.connect();
    await consumer.subscribe({ topics: [name], fromBeginning: true });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.run({
      eachMessage: async () => {
        if (++received === count) done();
      },
    });
    await joined;
    const producer = kafka.producer();
    await producer.connect();
    start = process.hrtime.bigint();
    cpu = process.cpuUsage();
    for (let sent = 0; sent < count; sent += GROUP) {
      await inRequest(() => producer.send({ topic: name, messages: Array.from({ length: GROUP }, () => ({ value: payload })) }));
    }
    await finished;
    report();
    await producer.disconnect();
    await consumer.disconnect();
  }
}

function measure(mode, system, messages, env) {
  return new Promise((resolve, reject) => {
    const proc = fork(__filename, [], {
      env: { ...process.env, ...env, BENCH_CHILD: '1', BENCH_MODE: mode, BENCH_SYSTEM: system, BENCH_MESSAGES: String(messages) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result;
    proc.on('message', (msg) => (result = msg));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${mode} ${system} exited with ${code}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const rounds = Number(arg('rounds', '5'));
  const messages = Number(arg('messages', '5000'));
  const systems = arg('systems', 'rabbitmq,kafka').split(',');
  for (const system of systems) {
    let env = {};
    let close = async () => undefined;
    if (system === 'kafka') {
      require('tsx/cjs');
      const { startKafka } = require(path.join(__dirname, '../fixtures/kafka/wire-server.ts'));
      const kafka = await startKafka();
      env = { KAFKA_BROKERS: kafka.brokers.join(',') };
      close = () => kafka.close();
    }
    const results = { bare: [], ck: [] };
    try {
      for (let round = 0; round < rounds; round++) {
        for (const mode of ['bare', 'ck']) results[mode].push(await measure(mode, system, messages, env));
      }
    } finally {
      await close();
    }
    const rate = (mode) => results[mode].map((r) => r.perSecond);
    const cpu = (mode) => results[mode].map((r) => r.cpuMicrosPerMessage);
    const fmt = (xs) => xs.map((x) => Math.round(x)).join(', ');
    const bare = median(rate('bare'));
    const ck = median(rate('ck'));
    console.log(`${system}: ${messages} messages x ${rounds} interleaved rounds, fresh process each`);
    console.log(
      `  bare: median ${Math.round(bare)} msg/s (${fmt(rate('bare'))}); CPU ${Math.round(median(cpu('bare')))} µs/msg (${fmt(cpu('bare'))})`
    );
    console.log(
      `  ck:   median ${Math.round(ck)} msg/s (${fmt(rate('ck'))}) = ${((ck / bare) * 100).toFixed(1)} % of bare; ` +
        `CPU ${Math.round(median(cpu('ck')))} µs/msg (${fmt(cpu('ck'))})`
    );
  }
}

if (process.env.BENCH_CHILD) {
  child().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
