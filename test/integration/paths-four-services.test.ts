/**
 * Acceptance test of issue 10 (docs/coexistence.md, docs/undici.md): four services in separate
 * processes, each started with the zero-code start:
 *
 *   gateway (Fastify) --fetch--> orders (Koa) --undici.request--> inventory (Express:
 *   node-redis, pg) --http.get--> pricing (Express)
 *
 * show one connected chain: each hop's entry has the previous hop's key as parent, every
 * client/cache/database element sits under its request's key, and the LOGGING lines of the four
 * services together reconstruct the whole chain. The same with getNodeAutoInstrumentations()
 * defaults running in every service, sdk-node started before and after ck-agent. (Fastify / Koa
 * services run as Express apps with the same route and call where ck-agent has no instrumentation
 * for them yet: the service reports the framework it ran, and the test logs it.)
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { send } from '../../fixtures/http/harness';
import { readLogLines, type PathLine } from '../../fixtures/log-lines';
import { PG_URL, REDIS_URL, serviceTest } from '../../fixtures/db/services';
import { makeTempDir } from '../../fixtures/temp-dir';
import { ROOT_KEY } from '../../src/graph/types';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVICE = path.join(ROOT, 'fixtures', 'paths-four', 'service.ts');
const REQUESTS = 3;
const ROLES = ['pricing', 'inventory', 'orders', 'gateway'] as const;
type Role = (typeof ROLES)[number];

interface Service {
  role: Role;
  child: ChildProcess;
  port: number;
  framework: string;
  logFile: string;
  stderr: string;
}

function start(role: Role, next: string, vanilla: string, dir: string): Promise<Service> {
  const logFile = path.join(dir, `${role}.jsonl`);
  const child = spawn(process.execPath, ['--import', 'tsx', SERVICE], {
    cwd: ROOT,
    env: {
      ...process.env,
      FOUR_ROLE: role,
      FOUR_NEXT: next,
      FOUR_VANILLA: vanilla,
      PG_URL,
      REDIS_URL,
      OTEL_SERVICE_NAME: role,
      CK_REPORTING_LOG_FILE: logFile,
      CK_REPORTING_METRIC_REPORTER_TYPE: 'LOGGING',
      CK_METRICS_EXPORT_INTERVAL_MS: '3600000',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 50_000) stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${role} did not start: ${stderr}`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /READY (\{.*\})/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      const ready = JSON.parse(match[1]) as { port: number; framework: string };
      resolve({
        role,
        child,
        port: ready.port,
        framework: ready.framework,
        logFile,
        get stderr() {
          return stderr;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code}): ${stderr}`));
    });
  });
}

async function stop(service: Service): Promise<void> {
  if (service.child.exitCode !== null) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await exited;
}

const pgRedisTest = serviceTest('PostgreSQL', PG_URL, 5432);

for (const vanilla of ['none', 'sdk-first', 'ck-first'] as const) {
  pgRedisTest.serial(
    `four services${vanilla === 'none' ? '' : `, vanilla auto-instrumentations ${vanilla}`}: one connected chain`,
    async (t) => {
      // Four processes (twelve with sdk-node) on a shared 2-core machine: generous, never timed.
      t.timeout(480_000);
      const dir = makeTempDir('ck-four-');
      const services: Service[] = [];
      try {
        let next = '';
        for (const role of ROLES) {
          const service = await start(role, next, vanilla, dir);
          services.push(service);
          next = `http://127.0.0.1:${service.port}`;
        }
        t.log(services.map((s) => `${s.role}: ${s.framework}`).join(', '));
        const gateway = services[3];
        for (let i = 1; i <= REQUESTS; i++) {
          const res = await send(gateway.port, { path: `/checkout/${i}` });
          t.is(res.status, 200, res.body.toString());
          t.deepEqual(JSON.parse(res.body.toString()), { cached: '1', id: i, price: { price: 42 } });
        }
        for (const s of services) await send(s.port, { method: 'POST', path: '/__flush' });

        const rowsOf = (role: Role): PathLine[] => readLogLines(services.find((s) => s.role === role)!.logFile).paths;
        const all = ROLES.flatMap((role) => rowsOf(role));
        const entryOf = (role: Role, name: string): PathLine => {
          const entries = rowsOf(role).filter((r) => r.element.type === 'HTTP_SERVICE');
          t.deepEqual(
            entries.map((r) => [r.element.name, r.calls]),
            [[name, REQUESTS]],
            `${role}: one entry element, named from the route`
          );
          return entries[0];
        };
        const gatewayEntry = entryOf('gateway', 'GET /checkout/:id');
        const ordersEntry = entryOf('orders', 'GET /orders/:id');
        const inventoryEntry = entryOf('inventory', 'GET /inventory/:id');
        const pricingEntry = entryOf('pricing', 'GET /prices/:id');
        t.is(gatewayEntry.parentKey, ROOT_KEY);
        t.is(ordersEntry.parentKey, gatewayEntry.pathKey, 'orders continues the gateway path (fetch)');
        t.is(inventoryEntry.parentKey, ordersEntry.pathKey, 'inventory continues the orders path (undici.request)');
        t.is(pricingEntry.parentKey, inventoryEntry.pathKey, 'pricing continues the inventory path (http.get)');

        const exits = (role: Role) =>
          rowsOf(role)
            .filter((r) => r.element.type !== 'HTTP_SERVICE')
            .map((r) => [r.element.type, r.element.name.replace(/:\d+/, ':PORT'), r.pathKey, r.calls] as const);
        t.deepEqual(exits('gateway'), [['HTTP_CLIENT', 'GET 127.0.0.1:PORT/orders/{id}', gatewayEntry.pathKey, REQUESTS]]);
        t.deepEqual(exits('orders'), [['HTTP_CLIENT', 'GET 127.0.0.1:PORT/inventory/{id}', ordersEntry.pathKey, REQUESTS]]);
        const inventoryExits = exits('inventory');
        // Also in the ck-first mix, where the vanilla pg and node-redis instrumentations enabled
        // after ck-agent unwrap CK's wrappers and CK's are put back on top (docs/coexistence.md).
        for (const expected of [
          ['HTTP_CLIENT', 'GET 127.0.0.1:PORT/prices/{id}'],
          ['CACHE', 'redis SET'],
          ['CACHE', 'redis GET'],
        ]) {
          t.deepEqual(
            inventoryExits.filter((e) => e[0] === expected[0] && e[1] === expected[1]).map((e) => [e[2], e[3]]),
            [[inventoryEntry.pathKey, REQUESTS]],
            `inventory ${expected[1]} under the request's key`
          );
        }
        const db = inventoryExits.filter((e) => e[0] === 'DATABASE');
        t.true(db.length >= 1 && db.every((e) => e[2] === inventoryEntry.pathKey), 'pg under the request key');
        t.true(
          inventoryExits.every((e) => e[2] === inventoryEntry.pathKey),
          `nothing of inventory outside its request: ${JSON.stringify(inventoryExits)}`
        );
        t.deepEqual(exits('pricing'), []);

        // The LOGGING lines of the four services alone rebuild the chain: from the root, follow
        // the entry whose parent is the current key.
        const chain: string[] = [];
        let key = ROOT_KEY;
        for (let hop = 0; hop < 5; hop++) {
          const entry = all.find((r) => r.element.type === 'HTTP_SERVICE' && r.parentKey === key);
          if (!entry) break;
          chain.push(`${entry.service} ${entry.element.name}`);
          key = entry.pathKey;
        }
        t.deepEqual(chain, [
          'gateway GET /checkout/:id',
          'orders GET /orders/:id',
          'inventory GET /inventory/:id',
          'pricing GET /prices/:id',
        ]);
        for (const s of services) t.notRegex(s.stderr, /\[ck-agent\] (warn|error)/, `${s.role} logged no agent warning`);
      } finally {
        await Promise.all(services.map(stop));
      }
    }
  );
}
