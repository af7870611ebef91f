import test from 'ava';
import { buildForest, type PathNode } from '../../src/cli/tree';
import type { Series } from '../../src/cli/series';

const ROOT = '0000000000000000';

function s(
  service: string,
  pathKey: string,
  parentKey: string,
  type: string,
  name: string,
  calls: number,
  errors: number,
  p99: number
): Series {
  return {
    service,
    pathKey,
    parentKey,
    element: { type, name, role: type.endsWith('_SERVICE') || type === 'MESSAGING_CONSUMER' ? 'entry' : 'exit' },
    calls,
    errors,
    p50: p99 / 3,
    p99,
    max: p99,
    percentiles: 'worst-interval',
    intervals: 1,
    instances: null,
  };
}

// gateway (a) -> orders (b) -> inventory (c); gateway (d) -> inventory (e); orders also queries a DB.
const series: Series[] = [
  s('gateway', 'aaaaaaaaaaaaaaaa', ROOT, 'HTTP_SERVICE', 'GET /checkout', 100, 4, 0.2),
  s('gateway', 'aaaaaaaaaaaaaaaa', ROOT, 'HTTP_CLIENT', 'POST orders:80/orders', 100, 4, 0.19),
  s('orders', 'bbbbbbbbbbbbbbbb', 'aaaaaaaaaaaaaaaa', 'HTTP_SERVICE', 'POST /orders', 100, 4, 0.18),
  s('orders', 'bbbbbbbbbbbbbbbb', 'aaaaaaaaaaaaaaaa', 'DATABASE', 'INSERT orders', 100, 0, 0.15),
  s('orders', 'bbbbbbbbbbbbbbbb', 'aaaaaaaaaaaaaaaa', 'HTTP_CLIENT', 'GET inventory:80/stock/{id}', 100, 4, 0.03),
  s('inventory', 'cccccccccccccccc', 'bbbbbbbbbbbbbbbb', 'HTTP_SERVICE', 'GET /stock/:sku', 100, 4, 0.02),
  s('gateway', 'dddddddddddddddd', ROOT, 'HTTP_SERVICE', 'GET /browse/:sku', 40, 0, 0.05),
  s('inventory', 'eeeeeeeeeeeeeeee', 'dddddddddddddddd', 'HTTP_SERVICE', 'GET /stock/:sku', 40, 0, 0.02),
  // An entry whose caller's metrics are not in the input, and work outside any request.
  s('billing', 'ffffffffffffffff', '9999999999999999', 'HTTP_SERVICE', 'POST /invoices', 7, 0, 0.01),
  s('orders', ROOT, ROOT, 'DATABASE', 'CONNECT', 3, 0, 0.1),
  // The agent's overflow series.
  s('inventory', 'overflow', 'overflow', 'overflow', 'overflow', 12, 1, 0.3),
];

const names = (nodes: PathNode[]) => nodes.map((n) => `${n.service} ${n.element.name}`);

test('entries join by parentKey -> pathKey; exits hang under their entry, before the downstream entries', (t) => {
  const forest = buildForest(series);
  t.deepEqual(names(forest.roots), ['gateway GET /checkout', 'gateway GET /browse/:sku', 'billing POST /invoices']);
  const [checkout, browse, billing] = forest.roots;
  t.deepEqual(names(checkout.children), ['gateway POST orders:80/orders', 'orders POST /orders']);
  const orders = checkout.children[1];
  // Same calls: by name.
  t.deepEqual(names(orders.children), ['orders GET inventory:80/stock/{id}', 'orders INSERT orders', 'inventory GET /stock/:sku']);
  t.deepEqual(
    orders.children.map((c) => c.depth),
    [2, 2, 2]
  );
  t.deepEqual(names(browse.children), ['inventory GET /stock/:sku']);
  t.false(checkout.orphan);
  t.true(billing.orphan, 'its caller is not in the input');
  t.deepEqual(names(forest.detached), ['orders CONNECT']);
  t.deepEqual(forest.overflow, [{ service: 'inventory', calls: 12, errors: 1 }]);
  t.deepEqual(
    forest.services.map((x) => [x.name, x.entries, x.calls]),
    [
      ['billing', 1, 7],
      ['gateway', 2, 140],
      ['inventory', 2, 140],
      ['orders', 1, 100],
    ]
  );
  t.is(forest.seriesCount, series.length);
});

test('marks: slowest = most p99 not explained by its own calls; most errors = highest rate, deepest on a tie', (t) => {
  const [checkout] = buildForest(series).roots;
  const marked: string[] = [];
  const visit = (n: PathNode) => {
    for (const m of n.marks) marked.push(`${m}: ${n.service} ${n.element.name}`);
    n.children.forEach(visit);
  };
  visit(checkout);
  // orders' INSERT (150 ms of its own) beats every hop whose time is explained by a callee.
  t.deepEqual(marked.sort(), ['most-errors: inventory GET /stock/:sku', 'slowest: orders INSERT orders']);
});

test('--sort, --min-calls and --service shape the forest', (t) => {
  t.deepEqual(names(buildForest(series, { sort: 'p99' }).roots), [
    'gateway GET /checkout',
    'gateway GET /browse/:sku',
    'billing POST /invoices',
  ]);
  t.deepEqual(names(buildForest(series, { sort: 'errors' }).roots)[0], 'gateway GET /checkout');
  const min = buildForest(series, { minCalls: 50 });
  t.deepEqual(names(min.roots), ['gateway GET /checkout']);
  t.deepEqual(names(min.detached), []);
  const billing = buildForest(series, { services: ['billing'] });
  t.deepEqual(names(billing.roots), ['billing POST /invoices']);
  t.deepEqual(names(buildForest(series, { services: ['inventory'] }).roots), ['gateway GET /checkout', 'gateway GET /browse/:sku']);
});

test('a cycle of keys (only possible through a hash collision) is shown once, never loops', (t) => {
  const loop = [
    s('a', '1111111111111111', '2222222222222222', 'HTTP_SERVICE', 'GET /a', 1, 0, 0.01),
    s('b', '2222222222222222', '1111111111111111', 'HTTP_SERVICE', 'GET /b', 1, 0, 0.01),
  ];
  const forest = buildForest(loop);
  t.is(forest.roots.length, 1);
  t.is(forest.roots[0].children.length, 1);
  t.is(forest.roots[0].children[0].children.length, 0);
});

test('an entry whose own key is the root key does not adopt the other external entries', (t) => {
  const forest = buildForest([
    s('a', ROOT, ROOT, 'HTTP_SERVICE', 'GET /a', 2, 0, 0.01),
    s('b', '1111111111111111', ROOT, 'HTTP_SERVICE', 'GET /b', 1, 0, 0.01),
  ]);
  t.deepEqual(names(forest.roots), ['a GET /a', 'b GET /b']);
  t.deepEqual(forest.roots[0].children, []);
});
