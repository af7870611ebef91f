/**
 * `ck-agent paths` on the LOGGING files of a real multi-service run: the three demo services of
 * the multi-service test (gateway -> orders -> inventory over HTTP, gateway -> inventory directly),
 * each its own process writing LOGGING metrics, with a short export interval so every series spans
 * several intervals. The built CLI is run as a user would run it (a child process of the package's
 * bin file) and its tree, JSON and HTML are checked against the rows the services wrote.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readLogLines, type PathLine } from '../../fixtures/log-lines';
import { chromiumMissing, screenshotPath, withPage } from '../../fixtures/cli/browser';
import { makeTempDir } from '../../fixtures/temp-dir';

const { startCluster } = require(path.join(__dirname, '../../fixtures/demo/cluster.js'));

const ROOT = path.join(__dirname, '../..');
const BIN = path.join(ROOT, 'build/src/cli/bin.js');
const ZERO = '0000000000000000';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

interface JsonNode {
  kind: 'entry' | 'exit';
  service: string;
  element: { type: string; name: string; role: string };
  pathKey: string;
  parentKey: string;
  calls: number;
  errors: number;
  p50: number | null;
  p99: number | null;
  marks: string[];
  percentiles: string;
  children: JsonNode[];
}

interface JsonDoc {
  format: string;
  services: Array<{ name: string; entries: number; calls: number }>;
  paths: JsonNode[];
  problems: Array<{ source: string; line?: number; message: string }>;
}

const sum = (rows: PathLine[], field: 'calls' | 'errors'): number => rows.reduce((n, r) => n + r[field], 0);

interface ClusterRun {
  dir: string;
  rows: PathLine[];
  checkout: number;
  browse: number;
  failed: number;
}

let runPromise: Promise<ClusterRun> | undefined;

/** One real run of the three services, shared by the tests of this file. */
function clusterRun(): Promise<ClusterRun> {
  runPromise ??= (async () => {
    const cluster = await startCluster({ ordersToInventory: 'http', env: { CK_DEMO_EXPORT_INTERVAL_MS: '400' } });
    const statuses: number[] = [];
    let checkout = 0;
    let browse = 0;
    try {
      // Three bursts with pauses longer than the export interval: several intervals per series.
      for (let burst = 0; burst < 3; burst++) {
        for (let i = 0; i < 10; i++) {
          statuses.push(await get(`${cluster.gateway.url}/checkout?sku=${1000 + burst * 10 + i}`));
          checkout++;
        }
        for (let i = 0; i < 5; i++) {
          statuses.push(await get(`${cluster.gateway.url}/browse/${2000 + burst * 5 + i}`));
          browse++;
        }
        await new Promise((r) => setTimeout(r, 900));
      }
    } finally {
      await cluster.stop();
    }
    const rows = cluster.services.flatMap((s: { log: string }) => readLogLines(s.log).paths);
    return { dir: cluster.dir, rows, checkout, browse, failed: statuses.filter((s) => s >= 500).length };
  })();
  return runPromise;
}

// The cluster's log folder is removed when this test file's process exits.
test.after.always(async () => {
  const run = await runPromise?.catch(() => undefined);
  if (run) fs.rmSync(run.dir, { recursive: true, force: true });
});

const tempDir = (): string => makeTempDir('ck-paths-');

test('--json joins the three services into two trees with the counts the services logged', async (t) => {
  const run = await clusterRun();
  const entryRows = (service: string, name: string) =>
    run.rows.filter((r) => r.service === service && r.element.role === 'entry' && r.element.name === name);
  // The run really produced several export intervals per series (what the summing is about).
  t.true(entryRows('gateway', 'GET /checkout').length >= 2, 'several intervals of the checkout entry');

  const res = await cli(['paths', '--from', run.dir, '--json']);
  t.is(res.code, 0, res.stderr);
  t.is(res.stderr, '', 'no problem reported for clean files');
  const doc = JSON.parse(res.stdout) as JsonDoc;
  t.is(doc.format, 'ck-agent-paths/1');
  t.deepEqual(
    doc.services.map((s) => s.name),
    ['gateway', 'inventory', 'orders']
  );

  const roots = doc.paths.filter((p) => p.service === 'gateway');
  t.deepEqual(roots.map((p) => p.element.name).sort(), ['GET /browse/:sku', 'GET /checkout']);
  const checkout = roots.find((p) => p.element.name === 'GET /checkout')!;
  const browse = roots.find((p) => p.element.name === 'GET /browse/:sku')!;
  t.is(checkout.parentKey, ZERO);
  t.is(checkout.calls, run.checkout, 'calls summed over every interval = requests sent');
  t.is(browse.calls, run.browse);
  t.is(checkout.calls, sum(entryRows('gateway', 'GET /checkout'), 'calls'));

  // checkout -> orders -> inventory; browse -> inventory. Parents are the callers' keys.
  const orders = checkout.children.find((c) => c.kind === 'entry')!;
  t.like(orders, { service: 'orders', element: { name: 'POST /orders' }, parentKey: checkout.pathKey, calls: run.checkout });
  const viaOrders = orders.children.find((c) => c.kind === 'entry')!;
  t.like(viaOrders, { service: 'inventory', element: { name: 'GET /stock/:sku' }, parentKey: orders.pathKey, calls: run.checkout });
  const direct = browse.children.find((c) => c.kind === 'entry')!;
  t.like(direct, { service: 'inventory', element: { name: 'GET /stock/:sku' }, parentKey: browse.pathKey, calls: run.browse });
  t.not(direct.pathKey, viaOrders.pathKey, 'the same endpoint on two paths is two series');

  // The calls each hop made hang under it, under the hop's own key.
  const gatewayCall = checkout.children.find((c) => c.kind === 'exit' && c.element.type === 'HTTP_CLIENT')!;
  t.is(gatewayCall.pathKey, checkout.pathKey);
  t.is(gatewayCall.calls, run.checkout);
  const ordersCall = orders.children.find((c) => c.kind === 'exit' && c.element.type === 'HTTP_CLIENT')!;
  t.regex(ordersCall.element.name, /^GET 127\.0\.0\.1:\d+\/stock\/\{id\}$/);

  // Errors: every failed request is an inventory 500 and an error on each hop above it.
  t.is(viaOrders.errors + direct.errors, run.failed);
  t.is(checkout.errors + browse.errors, run.failed);
  // Every series' calls and errors equal the sum of its logged interval rows.
  const walk = (n: JsonNode): void => {
    const rows = run.rows.filter(
      (r) =>
        r.service === n.service &&
        r.pathKey === n.pathKey &&
        r.parentKey === n.parentKey &&
        r.element.name === n.element.name &&
        r.element.type === n.element.type
    );
    t.is(n.calls, sum(rows, 'calls'), `${n.service} ${n.element.name} calls`);
    t.is(n.errors, sum(rows, 'errors'), `${n.service} ${n.element.name} errors`);
    t.is(n.p99, Math.max(...rows.map((r) => r.p99)), `${n.service} ${n.element.name}: p99 of the worst interval`);
    t.is(n.percentiles, 'worst-interval');
    n.children.forEach(walk);
  };
  doc.paths.forEach(walk);
  if (run.failed > 0) {
    const marked = [viaOrders, direct].filter((n) => n.marks.includes('most-errors'));
    t.true(marked.length >= 1, 'the failing inventory hop is marked');
  }
});

test('the text tree shows each path from its external entry, indented, with the hops marked', async (t) => {
  const run = await clusterRun();
  const res = await cli(['paths', '--from', run.dir]);
  t.is(res.code, 0, res.stderr);
  const lines = res.stdout.split('\n');
  t.regex(lines[0], /^ck-agent paths: 3 services, 5 hops in 2 trees, \d+ series from 3 files$/);
  t.true(
    lines.some((l) => /worst \(slowest\) interval/.test(l)),
    'says how percentiles were merged'
  );
  const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
  const checkout = at(/^gateway {2}GET \/checkout +calls +\d+/);
  const orders = at(/^└─ orders {2}POST \/orders +calls/);
  const inventory = at(/^ {3}└─ inventory {2}GET \/stock\/:sku +calls/);
  t.true(checkout >= 0 && orders > checkout && inventory > orders, res.stdout);
  t.regex(lines[checkout], new RegExp(`calls +${run.checkout} +errors`));
  t.regex(lines[checkout], /p50 +\S+ +p99 +\S+ +[0-9a-f]{16}/);
  t.true(
    lines.some((l) => l.includes('◀ slowest')),
    'the slowest hop is marked'
  );
  // --sort / --min-calls / --service narrow and order the same trees.
  const onlyInventory = await cli(['paths', '--from', run.dir, '--service', 'orders']);
  t.regex(onlyInventory.stdout, /2 trees|1 tree/);
  t.false(/GET \/browse/.test(onlyInventory.stdout), 'browse never passes through orders');
  const min = await cli(['paths', '--from', run.dir, '--min-calls', String(run.checkout)]);
  t.false(/GET \/browse/.test(min.stdout), '--min-calls hides the smaller tree');
});

test('rotated (gzip) and concatenated files give the same tree; bad lines are reported with file:line and skipped', async (t) => {
  const run = await clusterRun();
  const reference = JSON.parse((await cli(['paths', '--from', run.dir, '--json'])).stdout) as JsonDoc;

  // Rotated: the first half of each service's lines in a gzipped `.1.gz`, the rest in the live file.
  const rotated = tempDir();
  const concatenated: string[] = [];
  for (const name of fs.readdirSync(run.dir)) {
    const lines = fs.readFileSync(path.join(run.dir, name), 'utf8').split('\n').filter(Boolean);
    const half = Math.ceil(lines.length / 2);
    fs.writeFileSync(path.join(rotated, `${name}.1.gz`), zlib.gzipSync(lines.slice(0, half).join('\n') + '\n'));
    fs.writeFileSync(path.join(rotated, name), lines.slice(half).join('\n') + '\n');
    concatenated.push(...lines);
  }
  const rotatedDoc = JSON.parse((await cli(['paths', '--from', rotated, '--json'])).stdout) as JsonDoc;
  t.deepEqual(rotatedDoc.paths, reference.paths);

  // Concatenated into one file, with junk a real log can hold: bad JSON, an unknown type, a row
  // with a broken key, a line cut short at the end.
  const mixed = path.join(tempDir(), 'all.jsonl');
  const junk = [
    '{"type":"ck.path","service":"gateway",',
    'plain text from the application',
    '{"type":"ck.metric","name":"x"}',
    JSON.stringify({ ...JSON.parse(concatenated[0]), pathKey: 'not-a-key' }),
  ];
  fs.writeFileSync(
    mixed,
    [junk[0], ...concatenated.slice(0, 5), junk[1], junk[2], ...concatenated.slice(5), junk[3]].join('\n') + '\n{"type":"ck.pa'
  );
  const res = await cli(['paths', '--from', mixed, '--json']);
  t.is(res.code, 0, res.stderr);
  const doc = JSON.parse(res.stdout) as JsonDoc;
  t.deepEqual(doc.paths, reference.paths, 'junk lines change nothing');
  const total = concatenated.length + junk.length + 1;
  t.deepEqual(
    doc.problems.map((p) => p.line),
    [1, 7, 8, total - 1, total],
    res.stderr
  );
  t.regex(res.stderr, new RegExp(`^${mixed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: malformed JSON`, 'm'));
  t.regex(res.stderr, /:7: not a JSON line/);
  t.regex(res.stderr, /:8: unknown type "ck\.metric"/);
  t.regex(res.stderr, /invalid pathKey "not-a-key"/);
  t.regex(res.stderr, /incomplete last line/);

  // A file named twice (itself and through its folder) is read once.
  const twice = JSON.parse((await cli(['paths', '--from', run.dir, path.join(run.dir, 'gateway.jsonl'), '--json'])).stdout) as JsonDoc;
  t.deepEqual(twice.paths, reference.paths);
});

const noChromium = chromiumMissing();
if (noChromium) console.log(`[paths-cli] skipping the HTML view test: ${noChromium}`);

(noChromium ? test.skip : test)(
  '--html: the picture has a box per service and an edge per hop; hovering an edge shows its chain',
  async (t) => {
    const run = await clusterRun();
    const html = path.join(tempDir(), 'paths.html');
    const res = await cli(['paths', '--from', run.dir, '--html', html]);
    t.is(res.code, 0, res.stderr);
    t.regex(res.stderr, /wrote .*paths\.html/);
    const text = fs.readFileSync(html, 'utf8');
    t.false(/(src|href)=["']?(https?:)?\/\//i.test(text), 'no external resource');
    await withPage(html, { width: 1500, height: 700 }, async (page, errors) => {
      const services = await page.$$eval('svg g.service', (els) => els.map((e) => e.getAttribute('data-service')).sort());
      t.deepEqual(services, ['gateway', 'inventory', 'orders']);
      const hops = await page.$$eval('svg path.hop', (els) =>
        els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`).sort()
      );
      t.deepEqual(hops, ['external>gateway', 'external>gateway', 'gateway>inventory', 'gateway>orders', 'orders>inventory']);
      // Hover the orders -> inventory edge: the side panel lists gateway, orders, inventory.
      await page.hover('svg path.hop[data-from="orders"][data-to="inventory"]', { force: true });
      const chain = await page.$$eval('#chain li .hopname', (els) => els.map((e) => e.textContent));
      t.deepEqual(chain, ['gateway  GET /checkout', 'orders  POST /orders', 'inventory  GET /stock/:sku']);
      t.is(await page.$$eval('svg path.hop.hl', (els) => els.length), 3, 'the chain is highlighted');
      await page.screenshot({ path: screenshotPath('paths-3-services.png') });
      t.deepEqual(errors, []);
    });
  }
);
