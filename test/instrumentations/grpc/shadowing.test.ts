/**
 * RPCs named like grpc-js Client methods (fixtures/grpc/shadow.proto: GetChannel, getChannel,
 * Close, WaitForReady, GetTarget, MakeUnaryRequest, MakeServerStreamRequest; unary and streaming;
 * proto-loader keepCase on and off). Upstream's client wrapper asks `client.getChannel()` on
 * every call; with an RPC of that name it used to recurse until RangeError (docs/grpc.md). Each
 * app runs as a child process, bare and with the agent (zero-code and public API, metrics only
 * and with spans): the app must get the same replies, and every call is recorded as GRPC_CLIENT.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { readLogLines, type LogLines } from '../../../fixtures/log-lines';
import { makeTempDir } from '../../../fixtures/temp-dir';

const ROOT = path.join(__dirname, '..', '..', '..');
const APP = path.join(ROOT, 'fixtures/grpc/shadow-app.js');
const REGISTER = path.join(ROOT, 'build/src/register.js');

type Results = Record<string, { texts?: string[]; error?: string }>;
interface Run extends LogLines {
  results: Results;
  stderr: string;
}

interface Options {
  keepCase: boolean;
  agent?: 'zero-code' | 'api';
  spans?: boolean;
}

function runApp({ keepCase, agent, spans }: Options): Promise<Run> {
  const logFile = path.join(makeTempDir('ck-grpc-shadow-'), 'ck.log');
  const env: NodeJS.ProcessEnv = { ...process.env, SHADOW_KEEP_CASE: keepCase ? '1' : '0', SHADOW_AGENT: agent === 'api' ? 'api' : 'none' };
  if (agent) {
    Object.assign(env, {
      CK_SERVICE_NAME: 'grpc-shadow',
      CK_REPORTING_METRIC_REPORTER_TYPE: 'LOGGING',
      CK_REPORTING_TRACE_REPORTER_TYPE: spans ? 'LOGGING' : 'NONE',
      CK_REPORTING_LOG_FILE: logFile,
      CK_METRICS_EXPORT_INTERVAL_MS: '3600000',
    });
  }
  const args = agent === 'zero-code' ? ['--require', REGISTER, APP] : [APP];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('SHADOW_RESULT '));
      if (!line) return reject(new Error(`no result:\n${stdout}\n${stderr}`));
      resolve({ results: JSON.parse(line.slice('SHADOW_RESULT '.length)) as Results, stderr, ...readLogLines(logFile) });
    });
  });
}

const bare = new Map<boolean, Promise<Run>>();
const bareRun = (keepCase: boolean) => {
  if (!bare.has(keepCase)) bare.set(keepCase, runApp({ keepCase }));
  return bare.get(keepCase)!;
};

/** `ck.shadow.<Service>/<method>` -> calls the app made, from the replies (`<method>:...`). */
function expectedClientCalls(results: Results): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [key, result] of Object.entries(results)) {
    const service = key.split('.')[0];
    const method = result.texts?.[0]?.split(':')[0];
    if (!method) continue;
    const element = `ck.shadow.${service}/${method}`;
    calls.set(element, (calls.get(element) ?? 0) + 1);
  }
  return calls;
}

const cases: Options[] = [
  { keepCase: false, agent: 'zero-code' },
  { keepCase: true, agent: 'zero-code', spans: true },
  { keepCase: true, agent: 'api' },
  { keepCase: false, agent: 'api', spans: true },
];

for (const options of cases) {
  const title = `${options.agent}, keepCase ${options.keepCase}, ${options.spans ? 'spans captured' : 'metrics only'}`;
  test(`${title}: every RPC named like a Client method returns its reply and is recorded as GRPC_CLIENT`, async (t) => {
    const [plain, run] = await Promise.all([bareRun(options.keepCase), runApp(options)]);
    // The bare app really makes these calls: 20 names over 3 services, unary and streaming.
    t.is(Object.keys(plain.results).length, 20);
    t.deepEqual(
      Object.values(plain.results).filter((r) => r.error),
      []
    );
    t.deepEqual(run.results, plain.results);
    t.deepEqual(
      run.stderr.split('\n').filter((l) => l.includes('[ck-agent]')),
      []
    );

    const expected = expectedClientCalls(plain.results);
    t.true(expected.has('ck.shadow.Shadow/GetChannel') && expected.has('ck.shadow.LowerShadow/getChannel'));
    const recorded = new Map<string, number>();
    for (const line of run.paths) {
      if (line.element.type !== 'GRPC_CLIENT') continue;
      recorded.set(line.element.name, (recorded.get(line.element.name) ?? 0) + line.calls);
    }
    t.deepEqual(new Map([...recorded].sort()), new Map([...expected].sort()));

    if (options.spans) {
      const clients = run.spans.filter((s) => s.kind === 'CLIENT');
      t.is(clients.length, 20);
      // The channel was found (grpc-js's own getChannel): server.address from its target.
      for (const span of clients) t.is(span.attributes['server.address'], '127.0.0.1', span.name);
      const getChannel = clients.find((s) => s.name === 'grpc.ck.shadow.Shadow/GetChannel');
      t.truthy(getChannel?.attributes['rpc.request.body']);
    } else {
      t.deepEqual(run.spans, []);
    }
  });
}
