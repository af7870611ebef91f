/**
 * process.exit() (docs/lifecycle.md): the LOGGING metric reporter's current interval is written
 * synchronously on 'exit', so an app that serves 5 requests and calls process.exit(0) leaves
 * those 5 calls in the file (the periodic export never ran: the interval is an hour).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { readLogLines } from '../../fixtures/log-lines';
import { makeTempDir } from '../../fixtures/temp-dir';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'build/src/register.js');
const APP = path.join(ROOT, 'fixtures/lifecycle/exit-app.js');

test('a LOGGING app that calls process.exit(0) after 5 requests leaves 5 calls in the file', async (t) => {
  const logFile = path.join(makeTempDir('ck-exit-'), 'ck.log');
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', REGISTER, APP],
      {
        timeout: 60_000,
        env: {
          ...process.env,
          CK_SERVICE_NAME: 'exit-app',
          CK_REPORTING_METRIC_REPORTER_TYPE: 'LOGGING',
          CK_REPORTING_TRACE_REPORTER_TYPE: 'NONE',
          CK_REPORTING_LOG_FILE: logFile,
          CK_METRICS_EXPORT_INTERVAL_MS: '3600000',
          CK_INSTRUMENTATIONS: 'http',
        },
      },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut }))
    );
  });
  t.is(stdout, 'SERVED 5\n');
  t.deepEqual(
    stderr.split('\n').filter((l) => l.includes('[ck-agent]')),
    []
  );
  const { paths } = readLogLines(logFile);
  const served = paths.filter((p) => p.element.type === 'HTTP_SERVICE');
  t.is(
    served.reduce((sum, p) => sum + p.calls, 0),
    5
  );
  t.is(
    paths.filter((p) => p.element.type === 'HTTP_CLIENT').reduce((sum, p) => sum + p.calls, 0),
    5
  );
  t.true(served.every((p) => p.service === 'exit-app'));
});
