/**
 * The `ck-agent` command as a user runs it: the built bin file in a child process (npm test builds
 * first). Exit codes, bad input, memory on a huge file, and what it loads.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '../../fixtures/temp-dir';

const ROOT = path.join(__dirname, '../..');
const BIN = path.join(ROOT, 'build/src/cli/bin.js');
const PROBE = path.join(ROOT, 'fixtures/cli/module-probe.js');

// Generous: the 60 MB file takes ~9 s alone and several times that on a loaded 2-core machine.
function run(args: string[], nodeArgs: string[] = []): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, BIN, ...args], { maxBuffer: 32 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      // A child killed by the timeout has no exit code: say so instead of passing as exit 1.
      const code = err ? (typeof err.code === 'number' ? err.code : `killed by ${String(err.signal)}`) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const row = (pathKey: string, calls = 1) =>
  JSON.stringify({
    type: 'ck.path',
    service: 'orders',
    pathKey,
    parentKey: '0000000000000000',
    element: { type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' },
    calls,
    errors: 0,
    p50: 0.0031,
    p90: 0.0052,
    p95: 0.006,
    p99: 0.011,
    max: 0.015,
    intervalStart: '2026-11-21T10:00:00.000Z',
    intervalEnd: '2026-11-21T10:00:05.000Z',
  });

const dir = makeTempDir('ck-cli-bin-');

test('usage errors exit 2 with the usage text; --help exits 0', async (t) => {
  const none = await run(['paths']);
  t.is(none.code, 2);
  t.regex(none.stderr, /give at least one source/);
  t.regex(none.stderr, /Usage: ck-agent paths --from/);
  const bad = await run(['paths', '--from', 'x', '--sort', 'speed']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--sort speed: expected one of calls, p99, errors/);
  const window = await run(['paths', '--prometheus', 'http://x:9090', '--window', 'soon']);
  t.is(window.code, 2);
  t.regex(window.stderr, /--window soon: expected a Prometheus duration/);
  t.is((await run(['nope'])).code, 2);
  const help = await run(['paths', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /--html <file>/);
  t.regex(help.stdout, /--prometheus <url>/);
});

test('exit 1 only when nothing could be read; a source that fails beside one that works exits 0', async (t) => {
  const missing = path.join(dir, 'missing.jsonl');
  const junk = path.join(dir, 'junk.jsonl');
  fs.writeFileSync(junk, 'not json\n{"type":"other"}\n');
  const nothing = await run(['paths', '--from', missing, junk, 'http://127.0.0.1:9/metrics']);
  t.is(nothing.code, 1);
  t.regex(nothing.stderr, /missing\.jsonl: cannot read: ENOENT/);
  t.regex(nothing.stderr, /junk\.jsonl:1: not a JSON line/);
  t.regex(nothing.stderr, /junk\.jsonl:2: unknown type "other"/);
  t.regex(nothing.stderr, /http:\/\/127\.0\.0\.1:9\/metrics: cannot fetch: .*ECONNREFUSED/);
  t.regex(nothing.stderr, /nothing could be read/);
  t.is(nothing.stdout, '');

  const good = path.join(dir, 'good.jsonl');
  fs.writeFileSync(good, `${row('4f1c2a9be07d3318', 5)}\n`);
  const some = await run(['paths', '--from', missing, good]);
  t.is(some.code, 0);
  t.regex(some.stdout, /orders {2}GET \/orders\/:id +calls 5/);
  t.regex(some.stderr, /missing\.jsonl: cannot read/);
});

test('a huge file is streamed: 60 MB with a 12 MB line in it, read with a 32 MB heap', async (t) => {
  t.timeout(300_000);
  const big = path.join(dir, 'big.jsonl');
  const fd = fs.openSync(big, 'w');
  let lines = 0;
  let calls = 0;
  for (let chunk = 0; chunk < 18; chunk++) {
    const batch: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      batch.push(row(((lines % 300) + 1).toString(16).padStart(16, '0'), 2));
      lines++;
      calls += 2;
    }
    fs.writeSync(fd, batch.join('\n') + '\n');
    if (chunk === 9) {
      fs.writeSync(fd, `{"type":"ck.path","junk":"${'x'.repeat(12 * 1024 * 1024)}"}\n`);
      lines++;
    }
  }
  fs.closeSync(fd);
  t.true(fs.statSync(big).size > 60 * 1024 * 1024);
  const res = await run(['paths', '--from', big, '--json'], ['--max-old-space-size=32']);
  t.is(res.code, 0, res.stderr);
  t.regex(res.stderr, new RegExp(`big\\.jsonl:100001: line longer than 1048576 bytes, skipped`));
  const doc = JSON.parse(res.stdout) as { paths: Array<{ calls: number }> };
  t.is(doc.paths.length, 300);
  t.is(
    doc.paths.reduce((n, p) => n + p.calls, 0),
    calls
  );
});

test('the CLI loads node core modules and its own files only (no dependency needed)', async (t) => {
  const good = path.join(dir, 'deps.jsonl');
  fs.writeFileSync(good, `${row('4f1c2a9be07d3318')}\n`);
  const res = await run(['paths', '--from', good, '--html', path.join(dir, 'deps.html')], ['--require', PROBE]);
  t.is(res.code, 0, res.stderr);
  const modules = JSON.parse(/^MODULES (.*)$/m.exec(res.stderr)![1]) as string[];
  const outside = modules.filter(
    (m) => m !== PROBE && !m.startsWith(path.join(ROOT, 'build/src/cli/')) && m !== path.join(ROOT, 'build/src/version.js')
  );
  t.deepEqual(outside, []);
});

test("the agent never loads the CLI: require('ck-agent') and init() leave src/cli unloaded", async (t) => {
  const script = `const ck = require(${JSON.stringify(path.join(ROOT, 'build/src'))});
const agent = ck.init({ serviceName: 'lazy', reporting: { metricReporterType: 'NONE' } });
new ck.CKHttpInstrumentation().enable();
require('http');
agent.shutdown();`;
  const res = await new Promise<{ stderr: string }>((resolve, reject) => {
    execFile(process.execPath, ['--require', PROBE, '-e', script], { timeout: 60_000 }, (err, _stdout, stderr) =>
      err ? reject(err) : resolve({ stderr })
    );
  });
  const modules = JSON.parse(/^MODULES (.*)$/m.exec(res.stderr)![1]) as string[];
  t.true(
    modules.some((m) => m.includes(`${path.sep}build${path.sep}src${path.sep}agent.js`)),
    'the probe sees the agent'
  );
  t.deepEqual(
    modules.filter((m) => m.includes(`${path.sep}build${path.sep}src${path.sep}cli${path.sep}`)),
    []
  );
});
