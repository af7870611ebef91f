/**
 * Acceptance (issue 11), three separate processes with ck-agent (fixtures/messaging/chain.js):
 * an Express service publishes inside `POST /orders`; a worker consumes the message, queries
 * PostgreSQL and calls a billing service over HTTP. The worker's MESSAGING_CONSUMER entry has the
 * producer's key as parent, its DATABASE and HTTP_CLIENT elements sit under the consumer's key,
 * and billing's entry has the consumer's key as parent. Once through RabbitMQ (the real server),
 * once through Kafka (the fixture broker, or KAFKA_BROKERS).
 */
import test, { type ExecutionContext } from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { PG_URL, serviceTest, tcpReachable } from '../../fixtures/db/services';
import { startKafka } from '../../fixtures/kafka/wire-server';
import { readLogLines, type PathLine } from '../../fixtures/log-lines';
import { makeTempDir } from '../../fixtures/temp-dir';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CHAIN = path.join(__dirname, '../../fixtures/messaging/chain.js');
/** Generous: a loaded machine starts three Node processes and a consumer group slowly. */
const START_MS = 120_000;
const ORDERS = 5;

interface Proc {
  role: string;
  child: ChildProcess;
  log: string;
  port?: number;
  handled: number[];
}

function start(role: string, env: Record<string, string>, dir: string): Promise<Proc> {
  const log = path.join(dir, `${role}.jsonl`);
  const child = fork(CHAIN, [role], { env: { ...process.env, ...env, CK_LOG: log }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const proc: Proc = { role, child, log, handled: [] };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${role} did not start in ${START_MS} ms`));
    }, START_MS);
    child.once('exit', (code) => reject(new Error(`${role} exited early with code ${code}`)));
    child.on('message', (msg: { ready?: string; port?: number; handled?: number }) => {
      if (msg.handled !== undefined) proc.handled.push(msg.handled);
      if (msg.ready === role) {
        clearTimeout(timer);
        proc.port = msg.port;
        resolve(proc);
      }
    });
  });
}

function stop(proc: Proc): Promise<void> {
  return new Promise((resolve) => {
    if (proc.child.exitCode !== null) return resolve();
    proc.child.once('exit', () => resolve());
    proc.child.send('stop');
  });
}

function post(port: number, id: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ id });
    const req = http.request(
      { host: '127.0.0.1', port, path: '/orders', method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function until(what: string, predicate: () => boolean): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > START_MS) throw new Error(`no ${what} within ${START_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runChain(t: ExecutionContext, system: 'rabbitmq' | 'kafka', brokerEnv: Record<string, string>, destination: string) {
  t.timeout(4 * START_MS);
  const dir = makeTempDir('ck-chain-');
  const env = { BROKER: system, PG_URL, ...brokerEnv };
  const procs: Proc[] = [];
  const t0 = Date.now();
  try {
    // Started side by side where they do not depend on each other: a loaded machine starts Node slowly.
    const both = await Promise.allSettled([start('billing', env, dir), start('orders', env, dir)]);
    for (const r of both) if (r.status === 'fulfilled') procs.push(r.value);
    for (const r of both) if (r.status === 'rejected') throw r.reason;
    const [billing, orders] = procs;
    const worker = await start('worker', { ...env, BILLING_URL: `http://127.0.0.1:${billing.port}` }, dir);
    procs.push(worker);
    for (let id = 1; id <= ORDERS; id++) t.is(await post(orders.port!, id), 202);
    t.log(`started in ${Date.now() - t0} ms`);
    await until(`${ORDERS} handled orders`, () => worker.handled.length === ORDERS);
    t.log(`handled at ${Date.now() - t0} ms`);
  } finally {
    for (const proc of procs.reverse()) {
      await stop(proc);
      t.log(`${proc.role} stopped at ${Date.now() - t0} ms`);
    }
  }
  const rows = (role: string): PathLine[] => readLogLines(path.join(dir, `${role}.jsonl`)).paths;
  const ordersRows = rows('orders');
  const workerRows = rows('worker');
  const billingRows = rows('billing');

  const entry = ordersRows.find((r) => r.element.type === 'HTTP_SERVICE' && r.element.name === 'POST /orders');
  const producer = ordersRows.find((r) => r.element.type === 'MESSAGING_PRODUCER');
  t.truthy(entry);
  t.is(producer?.element.name, `${system} ${destination}`);
  t.is(producer?.pathKey, entry?.pathKey, 'the send is recorded under the request');
  t.is(producer?.calls, ORDERS);

  const consumer = workerRows.filter((r) => r.element.type === 'MESSAGING_CONSUMER');
  t.is(consumer.length, 1);
  t.is(consumer[0].element.name, `${system} ${destination}`);
  t.is(consumer[0].parentKey, producer!.pathKey, "the consumer entry's parent is the producer's key");
  t.is(consumer[0].calls, ORDERS);
  t.is(consumer[0].errors, 0);
  const database = workerRows.filter((r) => r.element.type === 'DATABASE');
  const client = workerRows.filter((r) => r.element.type === 'HTTP_CLIENT');
  t.true(database.length >= 1);
  for (const row of database) t.is(row.pathKey, consumer[0].pathKey, `${row.element.name} under the consumer`);
  t.is(database.find((r) => r.element.name === 'SELECT')?.calls, ORDERS);
  t.is(client.length, 1);
  t.is(client[0].pathKey, consumer[0].pathKey, 'the HTTP call is under the consumer');
  t.regex(client[0].element.name, /^GET 127\.0\.0\.1:\d+\/charge\/\{id\}$/);

  const billing = billingRows.filter((r) => r.element.type === 'HTTP_SERVICE');
  t.is(billing.length, 1);
  t.is(billing[0].element.name, 'GET /charge/:id');
  t.is(billing[0].parentKey, consumer[0].pathKey, "billing's entry has the consumer's key as parent");
  t.is(billing[0].calls, ORDERS);
}

// One chain at a time: each starts three processes (and the machine may be loaded).
const pgTest = serviceTest('PostgreSQL', PG_URL, 5432);
const pgSerial = pgTest === test ? test.serial : pgTest;
const rabbitTest = tcpReachable(AMQP_URL, 5672) ? pgSerial : serviceTest('RabbitMQ', AMQP_URL, 5672);

rabbitTest('RabbitMQ: orders -> queue -> worker (pg, HTTP) -> billing keeps one path', async (t) => {
  const queue = `ck_chain_${randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 8)}`;
  await runChain(t, 'rabbitmq', { AMQP_URL, QUEUE: queue }, queue);
});

pgSerial('Kafka: orders -> topic -> worker (pg, HTTP) -> billing keeps one path', async (t) => {
  const kafka = await startKafka();
  const topic = `ck-chain-${randomUUID()
    .replace(/[^a-f]/g, '')
    .slice(0, 8)}`;
  try {
    await runChain(t, 'kafka', { KAFKA_BROKERS: kafka.brokers.join(','), TOPIC: topic }, topic);
  } finally {
    await kafka.close();
  }
});
