/**
 * Three real processes (gateway -> orders -> inventory) over HTTP, each with ck-agent and LOGGING
 * metrics. Two gateway routes reach the same inventory endpoint, so inventory must report two
 * distinct paths whose parents are the gateway's and the orders' keys.
 */
import test from 'ava';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { readLogLines, type PathLine } from '../../fixtures/log-lines';

// The demo services are plain JS and load the built package (npm test builds first).

const { startCluster } = require(path.join(__dirname, '../../fixtures/demo/cluster.js'));

/** Every `ck.path` row the cluster's services logged. */
function pathRows(services: Array<{ log?: string }>): PathLine[] {
  return services.flatMap((service) => readLogLines(service.log).paths);
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

test('graph paths chain across three services and split by route', async (t) => {
  const cluster = await startCluster({ ordersToInventory: 'http' });
  t.teardown(() => fs.rmSync(cluster.dir, { recursive: true, force: true }));
  const statuses: number[] = [];
  try {
    for (let i = 0; i < 20; i++) statuses.push(await get(`${cluster.gateway.url}/checkout?sku=${1000 + i}`));
    for (let i = 0; i < 10; i++) statuses.push(await get(`${cluster.gateway.url}/browse/${2000 + i}`));
  } finally {
    await cluster.stop();
  }
  const rows = pathRows(cluster.services);
  const entry = (service: string, name: string) =>
    rows.filter((r) => r.service === service && r.element.role === 'entry' && r.element.name === name);

  const checkout = entry('gateway', 'GET /checkout');
  const browse = entry('gateway', 'GET /browse/:sku');
  const orders = entry('orders', 'POST /orders');
  const stock = entry('inventory', 'GET /stock/:sku');
  t.is(checkout.length, 1);
  t.is(browse.length, 1);
  t.is(orders.length, 1);
  t.is(checkout[0].parentKey, '0000000000000000', 'the gateway is an external entry');
  t.is(checkout[0].calls, 20);
  t.is(browse[0].calls, 10);
  t.is(orders[0].parentKey, checkout[0].pathKey, 'orders continues the checkout path');

  // The same inventory endpoint, reached two ways: two series with different parents.
  t.is(stock.length, 2);
  const parents = stock.map((r) => r.parentKey).sort();
  t.deepEqual(parents, [browse[0].pathKey, orders[0].pathKey].sort());
  t.not(stock[0].pathKey, stock[1].pathKey);
  t.is(
    stock.reduce((n, r) => n + r.calls, 0),
    30
  );

  // Exit elements are recorded under the caller's path.
  const ordersCalls = rows.filter((r) => r.service === 'orders' && r.element.type === 'HTTP_CLIENT');
  t.is(ordersCalls.length, 1);
  t.is(ordersCalls[0].pathKey, orders[0].pathKey);
  t.regex(ordersCalls[0].element.name, /^GET 127\.0\.0\.1:\d+\/stock\/\{id\}$/);

  // Errors: inventory fails some SKUs ending in 7 with HTTP 500; each one is an error on every hop.
  const failed = statuses.filter((s) => s >= 500).length;
  const stockErrors = stock.reduce((n, r) => n + r.errors, 0);
  t.is(stockErrors, failed, 'every failed request is an inventory 500');
  t.is(checkout[0].errors + browse[0].errors, failed);
  for (const row of [...checkout, ...browse, ...orders, ...stock]) {
    t.true(row.p50 > 0 && row.p99 >= row.p50, `${row.service} ${row.element.name} has latency percentiles`);
  }
});

test('the path crosses a gRPC hop: orders -> inventory over gRPC (the demo topology)', async (t) => {
  const cluster = await startCluster({ ordersToInventory: 'grpc' });
  t.teardown(() => fs.rmSync(cluster.dir, { recursive: true, force: true }));
  try {
    for (let i = 0; i < 10; i++) await get(`${cluster.gateway.url}/checkout?sku=${3000 + i}`);
  } finally {
    await cluster.stop();
  }
  const rows = pathRows(cluster.services);
  const orders = rows.find((r) => r.service === 'orders' && r.element.role === 'entry');
  const grpcClient = rows.filter((r) => r.service === 'orders' && r.element.type === 'GRPC_CLIENT');
  const grpcService = rows.filter((r) => r.service === 'inventory' && r.element.type === 'GRPC_SERVICE');
  t.truthy(orders);
  t.is(grpcClient.length, 1);
  t.is(grpcClient[0].element.name, 'demo.inventory.Inventory/GetStock');
  t.is(grpcClient[0].pathKey, orders!.pathKey, 'the gRPC call is recorded under the orders path');
  t.is(grpcClient[0].calls, 10);
  t.is(grpcService.length, 1);
  t.is(grpcService[0].element.role, 'entry');
  t.is(grpcService[0].parentKey, orders!.pathKey, 'ck-route crossed the gRPC hop as metadata');
  t.is(grpcService[0].calls, 10);
  t.is(grpcService[0].errors, grpcClient[0].errors, 'a failed call is an error on both sides');
});
