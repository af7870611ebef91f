import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  canonicalElement,
  databaseElement,
  fnv1a64Hex,
  grpcServiceElement,
  httpServiceElement,
  pathKey,
  ROOT_KEY,
  type GraphElement,
} from '../../src/graph';

/** Reference FNV-1a 64 with BigInt over Buffer.from(s, 'utf8'): slow but obviously right. */
function referenceFnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  const mask = (1n << 64n) - 1n;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

function referencePathKey(parentKey: string, serviceName: string, canonical: string): string {
  return referenceFnv1a64(parentKey + '\x1f' + serviceName + '\x1f' + canonical);
}

const UNICODE_ELEMENT: GraphElement = { type: 'HTTP_SERVICE', name: 'GET /é/😀/\ud800', role: 'entry' };
const ESCAPED_ELEMENT: GraphElement = {
  type: 'HTTP_SERVICE',
  name: 'a|b=c\\d',
  role: 'entry',
  attributes: { z: '1', 'a|': '=2' },
};

/**
 * THE PINNED CONTRACT. These values travel between services and versions; if this test fails,
 * the hash or the canonical form changed and every deployed path key would change with it.
 * (Independently reproduced with a 6-line Python FNV-1a; see docs/graph-path-key.md.)
 */
const GOLDEN = {
  ordersEntry: '0e7c761082b5a7a0', // ROOT → orders, HTTP_SERVICE "GET /orders/:id"
  inventoryFromOrders: '87074777b76dc8e6', // 0e7c… → inventory, GRPC_SERVICE inventory.Inventory/Reserve
  database: 'd4491bb3effcffa6', // ROOT → shop, DATABASE SELECT orders (postgresql, shop)
  unicode: '29d7ce2ffa01c730', // service "sérvice-ü", name with é, emoji and a lone surrogate
  escaped: '7670cf7559f1208f', // name and attributes containing | = \
  empty: '5ae771c48dced911', // ROOT, service "", HTTP_SERVICE ""
};

function computeGolden(): Record<keyof typeof GOLDEN, string> {
  const ordersEntry = pathKey(ROOT_KEY, 'orders', httpServiceElement('GET', '/orders/:id'));
  return {
    ordersEntry,
    inventoryFromOrders: pathKey(ordersEntry, 'inventory', grpcServiceElement('inventory.Inventory', 'Reserve')),
    database: pathKey(ROOT_KEY, 'shop', databaseElement('postgresql', 'select', 'orders', 'shop')),
    unicode: pathKey(ROOT_KEY, 'sérvice-ü', UNICODE_ELEMENT),
    escaped: pathKey(ROOT_KEY, 'x', ESCAPED_ELEMENT),
    empty: pathKey(ROOT_KEY, '', { type: 'HTTP_SERVICE', name: '', role: 'entry' }),
  };
}

test('FNV-1a 64 matches the published test vectors', (t) => {
  // From the FNV reference (isthe.com/chongo/tech/comp/fnv): "", "a", "foobar".
  t.is(fnv1a64Hex(''), 'cbf29ce484222325');
  t.is(fnv1a64Hex('a'), 'af63dc4c8601ec8c');
  t.is(fnv1a64Hex('foobar'), '85944171f73967e8');
});

test('golden path keys are pinned', (t) => {
  t.deepEqual(computeGolden(), GOLDEN);
});

test('canonical strings: type|name, sorted attributes, escaping, undefined attributes skipped', (t) => {
  t.is(canonicalElement(httpServiceElement('get', '/orders/:id')), 'HTTP_SERVICE|GET /orders/:id');
  t.is(
    canonicalElement(databaseElement('postgresql', 'select', 'orders', 'shop')),
    'DATABASE|SELECT orders|db.namespace=shop|db.system.name=postgresql'
  );
  t.is(canonicalElement(ESCAPED_ELEMENT), 'HTTP_SERVICE|a\\|b\\=c\\\\d|a\\|=\\=2|z=1');
  const withUndefined = {
    type: 'DATABASE',
    name: 'SELECT t',
    role: 'exit',
    attributes: { b: undefined, a: 'x' } as unknown as Record<string, string>,
  } as GraphElement;
  t.is(canonicalElement(withUndefined), 'DATABASE|SELECT t|a=x');
  // Role is not identity; attribute insertion order is not identity.
  t.is(
    canonicalElement({ type: 'CACHE', name: 'redis GET', role: 'exit', attributes: { b: '2', a: '1' } }),
    canonicalElement({ type: 'CACHE', name: 'redis GET', role: 'entry', attributes: { a: '1', b: '2' } })
  );
});

test('escaping makes the canonical form injective (no attribute/name confusion)', (t) => {
  const a: GraphElement = { type: 'HTTP_SERVICE', name: 'x', role: 'entry', attributes: { k: 'v' } };
  const b: GraphElement = { type: 'HTTP_SERVICE', name: 'x|k=v', role: 'entry' };
  t.not(canonicalElement(a), canonicalElement(b));
  t.not(pathKey(ROOT_KEY, 's', a), pathKey(ROOT_KEY, 's', b));
});

test('frozen elements reuse the cached canonical; mutable ones are recomputed', (t) => {
  const mutable: GraphElement = { type: 'HTTP_SERVICE', name: 'GET /a', role: 'entry' };
  t.is(canonicalElement(mutable), 'HTTP_SERVICE|GET /a');
  mutable.name = 'GET /b';
  t.is(canonicalElement(mutable), 'HTTP_SERVICE|GET /b');
  const frozen = httpServiceElement('GET', '/c');
  t.true(Object.isFrozen(frozen));
  t.is(canonicalElement(frozen), canonicalElement(frozen));
});

function randomString(maxLength: number): string {
  const length = Math.floor(Math.random() * maxLength);
  let s = '';
  for (let i = 0; i < length; i++) {
    const r = Math.random();
    if (r < 0.5) s += String.fromCharCode(0x20 + Math.floor(Math.random() * 95));
    else if (r < 0.7) s += String.fromCharCode(Math.floor(Math.random() * 0x800));
    else if (r < 0.85)
      s += String.fromCharCode(Math.floor(Math.random() * 0x10000)); // incl. lone surrogates
    else s += String.fromCodePoint(0x10000 + Math.floor(Math.random() * 0x100000));
  }
  return s;
}

test('limb-based FNV equals the BigInt reference on 3000 random inputs', (t) => {
  for (let i = 0; i < 3000; i++) {
    const s = i % 3 === 0 ? randomBytes(Math.floor(Math.random() * 64)).toString('latin1') : randomString(80);
    const got = fnv1a64Hex(s);
    const want = referenceFnv1a64(s);
    if (got !== want) {
      t.fail(`mismatch for ${JSON.stringify(s)}: ${got} != ${want}`);
      return;
    }
  }
  t.pass();
});

test('pathKey equals the BigInt reference over parent, service and canonical element', (t) => {
  for (let i = 0; i < 1000; i++) {
    const parent = fnv1a64Hex(String(i));
    const service = randomString(20);
    const element: GraphElement = {
      type: 'HTTP_SERVICE',
      name: randomString(40),
      role: 'entry',
      attributes: i % 2 ? { [randomString(8)]: randomString(8), 'server.address': randomString(10) } : undefined,
    };
    const got = pathKey(parent, service, element);
    const want = referencePathKey(parent, service, canonicalElement(element));
    if (got !== want) {
      t.fail(`mismatch for ${JSON.stringify({ parent, service, element })}`);
      return;
    }
    t.regex(got, /^[0-9a-f]{16}$/);
  }
});

test('another node process computes the same keys', async (t) => {
  const graphIndex = path.resolve(__dirname, '../../src/graph/index.ts');
  const script = `
    const g = require(${JSON.stringify(graphIndex)});
    const ordersEntry = g.pathKey(g.ROOT_KEY, 'orders', g.httpServiceElement('GET', '/orders/:id'));
    process.stdout.write(JSON.stringify({
      ordersEntry,
      inventoryFromOrders: g.pathKey(ordersEntry, 'inventory', g.grpcServiceElement('inventory.Inventory', 'Reserve')),
      database: g.pathKey(g.ROOT_KEY, 'shop', g.databaseElement('postgresql', 'select', 'orders', 'shop')),
      unicode: g.pathKey(g.ROOT_KEY, 's\\u00e9rvice-\\u00fc', { type: 'HTTP_SERVICE', name: 'GET /\\u00e9/\\ud83d\\ude00/\\ud800', role: 'entry' }),
      escaped: g.pathKey(g.ROOT_KEY, 'x', { type: 'HTTP_SERVICE', name: 'a|b=c\\\\d', role: 'entry', attributes: { z: '1', 'a|': '=2' } }),
      empty: g.pathKey(g.ROOT_KEY, '', { type: 'HTTP_SERVICE', name: '', role: 'entry' }),
    }));
  `;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.resolve(__dirname, '../..') }, (err, out, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)
    );
  });
  t.deepEqual(JSON.parse(stdout), GOLDEN);
});
