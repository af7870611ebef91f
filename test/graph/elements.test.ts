import test from 'ava';
import {
  cacheElement,
  canonicalElement,
  databaseElement,
  ENTRY_ELEMENT_TYPES,
  grpcClientElement,
  grpcServiceElement,
  httpClientElement,
  httpServiceElement,
  messagingElement,
  normalizeHttpMethod,
  routeTemplate,
  type GraphElement,
} from '../../src/graph';
import { summarizeSql } from '../../src/sql/summary';

/** Plain copy, so deepEqual compares shapes and not frozenness. */
function plain(e: GraphElement): unknown {
  return JSON.parse(JSON.stringify(e));
}

test('httpServiceElement', (t) => {
  t.deepEqual(plain(httpServiceElement('get', '/orders/:id')), { type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' });
  t.is(httpServiceElement('POST', '').name, 'POST /');
  t.is(httpServiceElement('BREW', '/coffee').name, '_OTHER /coffee', 'unknown methods are bounded');
});

test('httpClientElement', (t) => {
  t.deepEqual(plain(httpClientElement('get', 'inventory:8080', routeTemplate('/items/42?x=1'))), {
    type: 'HTTP_CLIENT',
    name: 'GET inventory:8080/items/{id}',
    role: 'exit',
    attributes: { 'server.address': 'inventory:8080' },
  });
});

test('grpcServiceElement and grpcClientElement', (t) => {
  t.deepEqual(plain(grpcServiceElement('inventory.Inventory', 'Reserve')), {
    type: 'GRPC_SERVICE',
    name: 'inventory.Inventory/Reserve',
    role: 'entry',
    attributes: { 'rpc.service': 'inventory.Inventory' },
  });
  t.deepEqual(plain(grpcClientElement('inventory.Inventory', 'Reserve', '127.0.0.1:50051')), {
    type: 'GRPC_CLIENT',
    name: 'inventory.Inventory/Reserve',
    role: 'exit',
    attributes: { 'rpc.service': 'inventory.Inventory', 'server.address': '127.0.0.1:50051' },
  });
  t.deepEqual(plain(grpcClientElement('a.B', 'C')), {
    type: 'GRPC_CLIENT',
    name: 'a.B/C',
    role: 'exit',
    attributes: { 'rpc.service': 'a.B' },
  });
});

test('databaseElement from summarizeSql', (t) => {
  const summary = summarizeSql("select * from orders where id = 'secret'");
  t.deepEqual(plain(databaseElement('PostgreSQL', summary.operation, summary.table, 'shop')), {
    type: 'DATABASE',
    name: 'SELECT orders',
    role: 'exit',
    attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'shop' },
  });
  t.deepEqual(plain(databaseElement('mysql', 'begin')), {
    type: 'DATABASE',
    name: 'BEGIN',
    role: 'exit',
    attributes: { 'db.system.name': 'mysql' },
  });
  t.is(databaseElement('mongodb', 'find', 'users', 'app').name, 'FIND users');
  t.is(databaseElement('mongodb', '', 'users').name, 'UNKNOWN users');
});

test('cacheElement', (t) => {
  t.deepEqual(plain(cacheElement('redis', 'get')), {
    type: 'CACHE',
    name: 'redis GET',
    role: 'exit',
    attributes: { 'db.system.name': 'redis' },
  });
});

test('messagingElement', (t) => {
  t.deepEqual(plain(messagingElement('consumer', 'kafka', 'orders')), {
    type: 'MESSAGING_CONSUMER',
    name: 'kafka orders',
    role: 'entry',
    attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
  });
  t.deepEqual(plain(messagingElement('producer', 'rabbitmq', '')), {
    type: 'MESSAGING_PRODUCER',
    name: 'rabbitmq (anonymous)',
    role: 'exit',
    attributes: { 'messaging.system': 'rabbitmq', 'messaging.destination.name': '(anonymous)' },
  });
});

test('roles agree with ENTRY_ELEMENT_TYPES', (t) => {
  const all = [
    httpServiceElement('GET', '/'),
    httpClientElement('GET', 'h:1', '/'),
    grpcServiceElement('s', 'm'),
    grpcClientElement('s', 'm', 'p:1'),
    databaseElement('pg', 'SELECT', 't'),
    cacheElement('redis', 'GET'),
    messagingElement('consumer', 'k', 'd'),
    messagingElement('producer', 'k', 'd'),
  ];
  t.is(new Set(all.map((e) => e.type)).size, 8);
  for (const e of all) t.is(e.role === 'entry', ENTRY_ELEMENT_TYPES.has(e.type), e.type);
});

test('HTTP methods: standard set upper-cased, everything else _OTHER', (t) => {
  for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']) {
    t.is(normalizeHttpMethod(m), m);
    t.is(normalizeHttpMethod(m.toLowerCase()), m);
  }
  for (const m of ['PROPFIND', 'get ', '', 'x'.repeat(1000), undefined, 42]) t.is(normalizeHttpMethod(m), '_OTHER');
});

test('same input → same frozen object; different inputs never share one', (t) => {
  const a = databaseElement('pg', 'SELECT', 'orders', 'shop');
  t.is(databaseElement('pg', 'select', 'orders', 'shop'), a);
  t.true(Object.isFrozen(a) && Object.isFrozen(a.attributes));
  t.throws(() => {
    (a as { name: string }).name = 'x';
  });
  // Inputs that would collide under naive key concatenation stay distinct.
  const x = httpClientElement('GET', 'a\x1fb', '/c');
  const y = httpClientElement('GET', 'a', 'b\x1f/c');
  t.not(x, y);
  t.not(x.name, y.name);
  t.not(databaseElement('pg', 'SELECT', 'a', 'b'), databaseElement('pg', 'SELECT', 'ab', ''));
  t.is(databaseElement('pg', 'SELECT', 'ab').name, 'SELECT ab');
});

test('names and attributes are bounded', (t) => {
  const long = 'h'.repeat(10_000);
  const e = httpClientElement('GET', long, '/' + long);
  t.true(e.name.length <= 4 + 256 + 256);
  t.is(e.attributes!['server.address'].length, 256);
  // Never cut inside a surrogate pair.
  const emoji = 'a' + '😀'.repeat(200); // char 255 is a high surrogate
  const cut = cacheElement('redis', emoji).name;
  t.false(/[\ud800-\udbff]$/.test(cut));
  t.is(cut.length, 'redis '.length + 255);
});

test('wrappers and mappers building the same element get the same canonical string', (t) => {
  t.is(
    canonicalElement(httpServiceElement('get', '/orders/:id')),
    canonicalElement({ type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' })
  );
});

test('the element cache stays bounded under a flood of distinct names', (t) => {
  const first = httpServiceElement('GET', '/flood/first');
  for (let i = 0; i < 10_000; i++) httpServiceElement('GET', `/flood/${i}`);
  const again = httpServiceElement('GET', '/flood/first');
  t.deepEqual(plain(again), plain(first), 'a rebuilt element is equal even if the cached object was evicted');
});

test('repeated arguments return the same object; raw variants share it; a non-string route is not memoised', (t) => {
  const upper = databaseElement('postgresql', 'SELECT', 'orders', 'shop');
  t.is(databaseElement('postgresql', 'SELECT', 'orders', 'shop'), upper);
  t.is(databaseElement('PostgreSQL', 'select', 'orders', 'shop'), upper, 'normalised inputs: the one cached element');
  t.is(httpServiceElement('get', '/memo/:id'), httpServiceElement('GET', '/memo/:id'));
  const route = { text: '/memo/a' };
  const asObject = { toString: () => route.text };
  t.is(httpServiceElement('GET', asObject as unknown as string).name, 'GET /memo/a');
  route.text = '/memo/b';
  t.is(httpServiceElement('GET', asObject as unknown as string).name, 'GET /memo/b', 'built again from the object');
  t.is(cacheElement('redis', undefined as unknown as string).name, 'redis UNKNOWN');
  t.is(cacheElement('redis', undefined as unknown as string), cacheElement('redis', undefined as unknown as string));
});
