import test from 'ava';
import * as http from 'http';
import { headersFromBlock, headersFromRaw, outgoingHeader, outgoingHeaders } from '../../../src/instrumentations/http/headers';

test('raw header pairs: lower-cased names, repeated headers as arrays', (t) => {
  const h = headersFromRaw(['Content-Type', 'a/json', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'X', '1', 'x', '2', 'x', '3']);
  t.deepEqual(
    [...h],
    [
      ['content-type', 'a/json'],
      ['set-cookie', ['a=1', 'b=2']],
      ['x', ['1', '2', '3']],
    ]
  );
  t.is(headersFromRaw(undefined).size, 0);
});

test('serialised header block', (t) => {
  const block =
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\nbroken line\r\n\r\n';
  t.deepEqual(
    [...headersFromBlock(block)],
    [
      ['content-type', 'application/json'],
      ['set-cookie', ['a=1', 'b=2']],
      ['x-empty', ''],
    ]
  );
  t.is(headersFromBlock('x'.repeat(300_000)).size, 0);
});

test('outgoing headers: writeHead objects are found through the header block', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Multi': ['1', '2'] });
    const fromBlock = { type: outgoingHeader(res, 'content-type'), all: [...outgoingHeaders(res)] };
    res.end(JSON.stringify(fromBlock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c));
        res.on('end', () => resolve(data));
      })
      .on('error', reject);
  });
  server.close();
  const parsed = JSON.parse(body) as { type: string; all: Array<[string, unknown]> };
  t.is(parsed.type, 'application/json');
  t.deepEqual(
    parsed.all.find(([n]) => n === 'x-multi'),
    ['x-multi', ['1', '2']]
  );
});
