/**
 * peer.service end to end: an agent configured with CK_PEER_SERVICE_MAPPING (env form) makes real
 * HTTP calls through CKHttpInstrumentation inside a real request; the client series exported over
 * OTLP carry peer.service, the entry series does not, and the ck-route header sent downstream is
 * the same key the entry series has. (Own process: init() is once per process.)
 */
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOtlpReceiver } from '../../fixtures/otlp/receiver';
import { CKHttpInstrumentation, init } from '../../src';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function get(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('client series carry peer.service from the mapping; entry series and path keys are unchanged', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.stop());
  // The downstream "inventory" service: records the ck-route it receives.
  const routes: string[] = [];
  const inventory = http.createServer((req, res) => {
    routes.push(String(req.headers['ck-route']));
    res.end('42');
  });
  const inventoryPort = await listen(inventory);
  t.teardown(() => inventory.close());

  process.env.CK_PEER_SERVICE_MAPPING = `127.0.0.1:${inventoryPort}=inventory`;
  const agent = init({
    serviceName: 'orders',
    reporting: { metricReporterType: 'OTLP', metricEndpoint: receiver.grpcUrl },
    metrics: { exportIntervalMs: 3_600_000 },
  });
  t.teardown(() => agent.shutdown());
  t.deepEqual(agent.config.peerServiceMapping, { [`127.0.0.1:${inventoryPort}`]: 'inventory' });
  new CKHttpInstrumentation().enable();

  const orders = http.createServer((_req, res) => {
    get(inventoryPort, '/stock/sku-a').then(
      (stock) => res.end(`stock ${stock}`),
      (err) => res.end(String(err))
    );
  });
  const ordersPort = await listen(orders);
  t.teardown(() => orders.close());
  t.is(await get(ordersPort, '/orders/view'), 'stock 42');
  await agent.forceFlush();

  const points = await receiver.waitFor((r) => {
    const calls = r.metrics().filter((p) => p.name === 'ck.path.calls');
    return calls.some((p) => p.attributes['ck.element.type'] === 'HTTP_CLIENT' && p.attributes['ck.path.key'] !== '0000000000000000')
      ? calls
      : undefined;
  });
  const entry = points.find(
    (p) => p.attributes['ck.element.type'] === 'HTTP_SERVICE' && p.attributes['ck.element.name'] === 'GET /orders/view'
  )!;
  const client = points.find(
    (p) => p.attributes['ck.element.type'] === 'HTTP_CLIENT' && p.attributes['ck.path.key'] === entry.attributes['ck.path.key']
  )!;
  t.truthy(client, 'the inventory call is recorded under the request key');
  t.is(client.attributes['peer.service'], 'inventory');
  t.is(client.attributes['server.address'], `127.0.0.1:${inventoryPort}`);
  t.false('peer.service' in entry.attributes);
  // The inventory server's own entry series (it runs in this process too) is not a client series either.
  const inventoryEntry = points.find((p) => p.attributes['ck.element.name'] === 'GET /stock/sku-a')!;
  t.false('peer.service' in inventoryEntry.attributes);
  t.is(routes.length, 1);
  t.is(routes[0].split('-')[1], String(entry.attributes['ck.path.key']), 'ck-route carries the entry key, untouched by peer.service');
});
