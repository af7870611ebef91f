/**
 * Zero-code start and SIGTERM / SIGINT (docs/first-run.md "Signals"), each in a child process:
 * with no handler of the app's, the agent flushes and the process then ends exactly as it does
 * without the agent (killed by the same signal); an app's own handler keeps full control; a
 * second signal ends the flush at once; a collector that never answers cannot hold the process
 * past shutdown_timeout_ms.
 */
import test from 'ava';
import * as net from 'node:net';
import * as path from 'node:path';
import { startPlainApp as startApp, httpGet as get, type Exit } from '../../fixtures/apps/run-app';
import { readLogLines } from '../../fixtures/log-lines';
import { makeTempDir } from '../../fixtures/temp-dir';

/** A collector that accepts connections and never answers: an export to it hangs until its timeout. */
async function blackHole(t: { teardown(fn: () => void): void }): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

function loggingEnv(logFile: string): Record<string, string> {
  // One export interval far away: only the flush on the signal can write the metrics.
  return { CK_REPORTING_METRIC_REPORTER_TYPE: 'LOGGING', CK_REPORTING_LOG_FILE: logFile, CK_METRICS_EXPORT_INTERVAL_MS: '600000' };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`no app handler: ${signal} 1 s after 9 requests leaves 9 calls in the LOGGING file; the process ends as without the agent`, async (t) => {
    const without = await startApp({ agent: false });
    await get(without.port, '/orders');
    without.child.kill(signal);
    const expected = await without.exited;
    t.deepEqual(expected, { code: null, signal }, 'without the agent Node dies of the signal');

    const logFile = path.join(makeTempDir('ck-signals-'), 'ck.jsonl');
    const withAgent = await startApp({ agent: true, env: loggingEnv(logFile) });
    for (let i = 0; i < 9; i++) t.is(await get(withAgent.port, '/orders'), 'hello /orders');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    withAgent.child.kill(signal);
    const actual = await withAgent.exited;
    t.deepEqual(actual, expected, withAgent.output().stderr);
    const entries = readLogLines(logFile).paths.filter((row) => row.element.role === 'entry');
    t.is(
      entries.reduce((sum, row) => sum + row.calls, 0),
      9,
      JSON.stringify(entries)
    );
    t.is(withAgent.output().stderr, '', 'nothing to say: the flush succeeded');
  });
}

test('an app handler that exits keeps control: same exit code with and without the agent', async (t) => {
  const exits: Exit[] = [];
  for (const agent of [false, true]) {
    const running = await startApp({ agent, mode: 'exit', env: loggingEnv(path.join(makeTempDir('ck-signals-'), 'ck.jsonl')) });
    await get(running.port, '/a');
    running.child.kill('SIGTERM');
    exits.push(await running.exited);
    t.regex(running.output().stdout, /APP GOT SIGTERM, exiting/);
  }
  t.deepEqual(exits[0], { code: 3, signal: null });
  t.deepEqual(exits[1], exits[0]);
});

test('an app handler that keeps running keeps control: the agent does not end the process', async (t) => {
  const logFile = path.join(makeTempDir('ck-signals-'), 'ck.jsonl');
  const running = await startApp({ agent: true, mode: 'keep', env: loggingEnv(logFile) });
  await get(running.port, '/before');
  running.child.kill('SIGTERM');
  await running.waitFor(/APP GOT SIGTERM, still serving/);
  running.child.kill('SIGINT');
  await running.waitFor(/APP GOT SIGINT, still serving/);
  t.is(await get(running.port, '/after'), 'hello /after', 'still serving after both signals');
  running.child.send('stop');
  t.deepEqual(await running.exited, { code: 0, signal: null });
  // The natural exit flushed (beforeExit): both requests are there.
  const entries = readLogLines(logFile).paths.filter((row) => row.element.role === 'entry');
  t.is(
    entries.reduce((sum, row) => sum + row.calls, 0),
    2
  );
});

test('a second signal during the flush ends the process at once, with that signal', async (t) => {
  const collector = await blackHole(t);
  const running = await startApp({
    agent: true,
    env: {
      CK_REPORTING_METRIC_REPORTER_TYPE: 'OTLP_HTTP',
      CK_REPORTING_METRIC_ENDPOINT: collector,
      CK_METRICS_EXPORT_INTERVAL_MS: '600000',
      CK_METRICS_EXPORT_TIMEOUT_MS: '300000',
      CK_SHUTDOWN_TIMEOUT_MS: '300000',
      CK_LOG_LEVEL: 'debug',
    },
  });
  await get(running.port, '/x');
  running.child.kill('SIGTERM');
  await running.waitFor(/SIGTERM: flushing metrics and spans/);
  running.child.kill('SIGINT');
  t.deepEqual(await running.exited, { code: null, signal: 'SIGINT' });
  t.notRegex(running.output().stderr, /did not finish within/, 'it did not wait for the timeout');
});

test('a collector that never answers cannot hold the process past shutdown_timeout_ms', async (t) => {
  const collector = await blackHole(t);
  const running = await startApp({
    agent: true,
    env: {
      CK_REPORTING_METRIC_REPORTER_TYPE: 'OTLP_HTTP',
      CK_REPORTING_METRIC_ENDPOINT: collector,
      CK_METRICS_EXPORT_INTERVAL_MS: '600000',
      CK_METRICS_EXPORT_TIMEOUT_MS: '300000',
      CK_SHUTDOWN_TIMEOUT_MS: '1500',
    },
  });
  await get(running.port, '/x');
  running.child.kill('SIGTERM');
  t.deepEqual(await running.exited, { code: null, signal: 'SIGTERM' });
  t.regex(running.output().stderr, /SIGTERM: the final flush did not finish within shutdown_timeout_ms \(1500 ms\); exiting without it/);
});
