/**
 * Zero-code start: an unmodified Express app started with `node --require <ck-agent>/register`
 * initialises from env config, enables the wrappers whose modules are installed (limited by
 * `instrumentations`), and a disabled agent leaves the app alone.
 */
import test from 'ava';
import { fork } from 'child_process';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { readLogLines } from '../../fixtures/log-lines';
import { makeTempDir } from '../../fixtures/temp-dir';

const root = path.join(__dirname, '../..');
const register = path.join(root, 'build/src/register.js');
const app = path.join(root, 'fixtures/apps/express-app.js');

interface EchoServer {
  port: number;
  headers: http.IncomingHttpHeaders[];
  close(): void;
}

function startEcho(): Promise<EchoServer> {
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    headers.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as { port: number }).port, headers, close: () => server.close() })
    )
  );
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Runs the app with the register preload, makes requests, stops it cleanly, returns the log lines. */
async function runApp(env: Record<string, string>, requests: (port: number) => Promise<void>) {
  const dir = makeTempDir('ck-zero-');
  const logFile = path.join(dir, 'ck.jsonl');
  const child = fork(app, [], {
    execArgv: ['--require', register],
    env: {
      ...process.env,
      CK_SERVICE_NAME: 'zero-code-app',
      CK_REPORTING_METRIC_REPORTER_TYPE: 'LOGGING',
      CK_REPORTING_TRACE_REPORTER_TYPE: 'LOGGING',
      CK_REPORTING_LOG_FILE: logFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`app exited with ${code}: ${stderr}`)));
  });
  await requests(port);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.send('stop');
  const code = await exited;
  const { spans, paths } = readLogLines(logFile);
  return { code, spans, paths, stderr, logFile };
}

test('--require register instruments an unmodified Express app', async (t) => {
  const echo = await startEcho();
  try {
    const { code, spans, paths, stderr } = await runApp({ ECHO_PORT: String(echo.port) }, async (port) => {
      t.deepEqual(JSON.parse((await get(port, '/users/42')).body), { id: '42' });
      const proxied = await get(port, '/proxy/7');
      t.deepEqual(JSON.parse(proxied.body), { upstream: { ok: true } });
    });
    t.is(code, 0, stderr);
    const users = paths.find((l) => l.element.name === 'GET /users/:id');
    const proxy = paths.find((l) => l.element.name === 'GET /proxy/:id');
    if (!users || !proxy) return t.fail('the Express routes name the entry elements');
    t.is(users.service, 'zero-code-app');
    t.is(users.calls, 1);
    const client = paths.find((l) => l.element.type === 'HTTP_CLIENT');
    t.is(client?.pathKey, proxy.pathKey, 'the outgoing call is recorded under the request path');
    // The downstream service received the request's path key in ck-route.
    t.is(echo.headers.length, 1);
    t.is(echo.headers[0]['ck-route'], `1-${proxy.pathKey}-00`);
    const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/users/:id');
    t.truthy(server, 'sampled spans are exported in LOGGING format');
    t.is(server?.attributes['ck.path.key'], users.pathKey);
  } finally {
    echo.close();
  }
});

test('the instrumentations list limits what register enables', async (t) => {
  const { code, paths } = await runApp({ CK_INSTRUMENTATIONS: 'http' }, async (port) => {
    await get(port, '/users/42');
  });
  t.is(code, 0);
  const entries = paths.filter((l) => l.element.role === 'entry');
  // Without the Express wrapper the route is the low-cardinality template of the raw path.
  t.deepEqual(
    entries.map((l) => l.element.name),
    ['GET /users/{id}']
  );
});

test('CK_ENABLED=false leaves the app untouched', async (t) => {
  const { code, spans, paths, logFile } = await runApp({ CK_ENABLED: 'false' }, async (port) => {
    t.deepEqual(JSON.parse((await get(port, '/users/1')).body), { id: '1' });
  });
  t.is(code, 0);
  t.false(fs.existsSync(logFile), 'a disabled agent writes nothing');
  t.deepEqual([...spans, ...paths], []);
});
