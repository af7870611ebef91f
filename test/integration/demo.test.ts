/**
 * `npm run demo` (fixtures/demo/run.js) as a user runs it, in a child process: it says on screen
 * what it injects and which databases it uses, shows the queue hop when RabbitMQ answers (a note
 * when not), and leaves nothing behind (no /tmp/ck-demo-* folder, no Redis key, no queue, no
 * service process), also when stopped with SIGTERM in the middle of the traffic.
 * Each run gets its own TMPDIR, Redis key prefix and queue name, so parallel tests do not meet.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REDIS_URL, tcpReachable } from '../../fixtures/db/services';
import { makeTempDir } from '../../fixtures/temp-dir';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const RUN = path.join(__dirname, '../../fixtures/demo/run.js');
const rabbit = tcpReachable(AMQP_URL, 5672);
const redis = tcpReachable(REDIS_URL, 6379);
/** Generous: a loaded machine starts five Node processes slowly. */
const RUN_MS = 240_000;

interface Run {
  tmp: string;
  prefix: string;
  queue: string;
  stdout: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

let runs = 0;
function startDemo(seconds: number): Run {
  const tmp = makeTempDir('ck-demo-test-');
  const work = path.join(tmp, 'work');
  const tmpdir = path.join(tmp, 'tmp');
  fs.mkdirSync(work);
  fs.mkdirSync(tmpdir);
  const id = `${process.pid}-${++runs}`;
  const prefix = `ck-demo:orders:test-${id}:`;
  const queue = `ck-demo-orders.test-${id}`;
  const child = spawn(process.execPath, [RUN], {
    cwd: work,
    env: { ...process.env, DEMO_SECONDS: String(seconds), TMPDIR: tmpdir, CK_DEMO_REDIS_PREFIX: prefix, CK_DEMO_QUEUE: queue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_MS);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    })
  );
  return { tmp: tmpdir, prefix, queue, stdout: () => out, done, kill: (signal) => child.kill(signal) };
}

async function redisKeys(prefix: string): Promise<string[]> {
  const Redis = require('ioredis');
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}

async function queueExists(queue: string): Promise<boolean> {
  const amqp = require('amqplib');
  const connection = await amqp.connect(AMQP_URL);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(queue);
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(true);
      })
      .on('error', () => resolve(false));
  });
}

async function assertCleanedUp(t: ExecutionContext, run: Run): Promise<void> {
  t.deepEqual(
    fs.readdirSync(run.tmp).filter((name) => name.startsWith('ck-demo-')),
    [],
    'the temporary folder is removed'
  );
  if (redis) t.deepEqual(await redisKeys(run.prefix), [], 'the Redis keys are removed');
  if (rabbit) t.false(await queueExists(run.queue), 'the queue is deleted');
  for (const [, url] of run.stdout().matchAll(/(?:gateway|orders|inventory) (http:\/\/127\.0\.0\.1:\d+)/g)) {
    t.false(await answers(url), `the service at ${url} is stopped`);
  }
}

test.serial('the demo explains itself, shows the queue hop and leaves nothing behind', async (t) => {
  t.timeout(RUN_MS);
  const run = startDemo(3);
  const { code } = await run.done;
  const out = run.stdout();
  t.is(code, 0, out);
  t.regex(out, /Failures are injected on purpose: inventory fails ~30 % of lookups for SKUs ending in 7/);
  t.regex(out, /Databases \(DEMO_DATABASES=off to skip\): orders inserts into PostgreSQL .*ck_demo_orders/s);
  t.true(out.includes(`keys ${run.prefix}*`), 'names the Redis keys');
  t.regex(out, /Path keys .* hash of the parent path key \+ service \+ entry element/s);
  t.regex(out, /gateway {2}GET \/checkout/);
  if (redis) t.regex(out, /→ CACHE redis INCR/);
  if (rabbit) {
    // Under the orders path (indented one level below it): the producer, then the worker's entry.
    const name = run.queue.replace(/\./g, '\\.');
    t.regex(out, new RegExp(`\\n {3}[├└]─ → MESSAGING_PRODUCER rabbitmq ${name} +calls`));
    t.regex(out, new RegExp(`\\n {3}[├└]─ worker {2}rabbitmq ${name} +calls`));
    t.regex(out, /continued by the worker's MESSAGING_CONSUMER/);
  } else {
    t.regex(out, /Queue hop skipped: RabbitMQ does not answer/);
  }
  await assertCleanedUp(t, run);
});

test.serial('SIGTERM during the traffic stops the services and cleans up', async (t) => {
  t.timeout(RUN_MS);
  const run = startDemo(600);
  // The first progress line comes once the services are up and traffic flows.
  while (!/traffic: \d+ requests/.test(run.stdout())) {
    const exited = await Promise.race([run.done, new Promise((resolve) => setTimeout(() => resolve(undefined), 200))]);
    if (exited) return t.fail(`the demo exited early:\n${run.stdout()}`);
  }
  if (redis) t.true((await redisKeys(run.prefix)).length > 0, 'the run wrote its Redis keys');
  run.kill('SIGTERM');
  const { code } = await run.done;
  t.is(code, 143, run.stdout());
  t.regex(run.stdout(), /SIGTERM: stopping the services and cleaning up/);
  await assertCleanedUp(t, run);
});
