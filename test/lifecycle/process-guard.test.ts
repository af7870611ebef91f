/**
 * One agent per process (docs/lifecycle.md): the zero-code start never runs in Node's
 * module-loader hooks thread (NODE_OPTIONS preloads run there too once a loader is registered
 * with module.register), and runs in the app's own worker_threads only with
 * `worker_threads_enabled`. Counted by the zero-code start's debug line each agent logs.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as workerThreads from 'node:worker_threads';
import { isLoaderHooksThread, zeroCodeStartDecision } from '../../src/lifecycle/process-guard';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'build/src/register.js');
const FIXTURES = path.join(ROOT, 'fixtures/lifecycle');

function run(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: FIXTURES,
        timeout: 60_000,
        env: {
          ...process.env,
          CK_LOG_LEVEL: 'debug',
          CK_LOG_STARTUP: 'false',
          CK_REPORTING_METRIC_REPORTER_TYPE: 'NONE',
          CK_SERVICE_NAME: 'guard',
          ...env,
        },
      },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }))
    );
  });
}

// The zero-code start's own debug line, written synchronously as it starts (the startup line comes a
// tick later, which a worker that is terminated may never reach).
const startLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes('zero-code start: enabled'));

test('NODE_OPTIONS=--require register with a module.register loader starts one agent, in the main thread', async (t) => {
  const { stdout, stderr } = await run(['--import', './loader.mjs', 'worker-app.js'], { NODE_OPTIONS: `--require ${REGISTER}` });
  t.is(stdout, 'WORKER 42\n');
  t.is(startLines(stderr).length, 1, stderr);
});

test("the app's own worker_threads start an agent only with worker_threads_enabled", async (t) => {
  const off = await run(['--require', REGISTER, 'worker-app.js'], { NODE_OPTIONS: `--require ${REGISTER}` });
  t.is(off.stdout, 'WORKER 42\n');
  t.is(startLines(off.stderr).length, 1, off.stderr);
  const on = await run(['worker-app.js'], { NODE_OPTIONS: `--require ${REGISTER}`, CK_WORKER_THREADS_ENABLED: 'true' });
  t.is(on.stdout, 'WORKER 42\n');
  t.is(startLines(on.stderr).length, 2, on.stderr);
});

test('the decision in this (main) thread, and the hooks-thread markers', (t) => {
  let configRead = false;
  const decision = zeroCodeStartDecision(() => (configRead = true));
  t.is(decision, 'main');
  t.false(configRead, 'config is read in app workers only');
  t.false(isLoaderHooksThread(workerThreads));
  t.true(isLoaderHooksThread({ ...workerThreads, isMainThread: false, parentPort: null }));
  t.true(isLoaderHooksThread({ ...workerThreads, isMainThread: false, isInternalThread: true }));
});
