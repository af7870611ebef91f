/**
 * `npm pack` of a fresh clone (committed files only, no build yet: `prepack` must build) gives a
 * tarball with the build, docs/, LICENSE and README, that installs into an empty directory and
 * works there: CommonJS require, ES module import, TypeScript types, and both register entries.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { makeTempDir } from '../../fixtures/temp-dir';

const root = path.join(__dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('a fresh clone packs (prepack builds) into a tarball that installs and works in an empty directory', (t) => {
  const work = makeTempDir('ck-pack-');
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  const clone = path.join(work, 'clone');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  t.false(fs.existsSync(path.join(clone, 'build')), 'a fresh clone has no build');
  // The clone's dependencies are the ones installed here (the test does not download).
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
  const packOut = execFileSync(npm, ['pack', '--silent', '--pack-destination', work], { cwd: clone, encoding: 'utf8' });
  const tarball = path.join(work, packOut.trim().split('\n').pop()!.trim());
  t.true(fs.existsSync(tarball), `tarball ${tarball}`);
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const file of [
    'package/build/src/index.js',
    'package/build/src/register.mjs',
    'package/LICENSE',
    'package/README.md',
    'package/docs/architecture.md',
  ]) {
    t.true(listing.includes(file), `${file} is in the tarball`);
  }
  t.false(
    listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.startsWith('package/fixtures/')),
    'no tests, sources or fixtures'
  );

  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'pack-check', version: '1.0.0', private: true }));
  const install = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: app,
    encoding: 'utf8',
  });
  t.is(install.status, 0, install.stderr);

  const pkgDir = path.join(app, 'node_modules/ck-agent');
  t.true(fs.existsSync(path.join(pkgDir, 'build/src/index.d.ts')), 'type declarations ship');
  t.false(fs.existsSync(path.join(pkgDir, 'test')), 'tests do not ship');

  const exportsUsed = [
    'init',
    'CKHttpInstrumentation',
    'CKExpressInstrumentation',
    'CKGrpcInstrumentation',
    'CKIORedisInstrumentation',
    'CKMongoDBInstrumentation',
    'CKPgInstrumentation',
    'CKMySQL2Instrumentation',
    'CKUndiciInstrumentation',
    'registerFilter',
    'unregisterFilter',
    'CKRoutePropagator',
    'getPathKey',
  ];
  const cjs = `const ck = require('ck-agent');
const missing = ${JSON.stringify(exportsUsed)}.filter((n) => typeof ck[n] !== 'function');
if (missing.length) throw new Error('missing ' + missing);
const agent = ck.init({ serviceName: 'packed', reporting: { metricReporterType: 'NONE' } });
if (agent.config.serviceName !== 'packed' || ck.init() !== agent) throw new Error('init');
new ck.CKHttpInstrumentation().enable();
agent.shutdown().then(() => console.log('cjs ok'));`;
  const esm = `import { init, CKExpressInstrumentation } from 'ck-agent';
const agent = init({ serviceName: 'packed-esm', reporting: { metricReporterType: 'NONE' } });
new CKExpressInstrumentation().enable();
await agent.shutdown();
console.log('esm ok ' + agent.config.serviceName);`;
  fs.writeFileSync(path.join(app, 'check.cjs'), cjs);
  fs.writeFileSync(path.join(app, 'check.mjs'), esm);
  t.is(execFileSync(process.execPath, ['check.cjs'], { cwd: app, encoding: 'utf8' }).trim(), 'cjs ok');
  t.is(execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' }).trim(), 'esm ok packed-esm');

  // The shipped declarations type-check a TypeScript app (node types from this repo's devDependencies).
  const ts = `import { init, CKHttpInstrumentation, type CKAgent, type CKFilter } from 'ck-agent';
const agent: CKAgent = init({ serviceName: 'typed', dataCapture: { bodyMaxSizeBytes: 1024 } });
const filter: CKFilter = { name: 'f', evaluateUrlAndHeaders: () => false };
new CKHttpInstrumentation({ requestHook: () => undefined }).enable();
const size: number = agent.config.dataCapture.bodyMaxSizeBytes;
console.log(filter.name, size);
`;
  fs.writeFileSync(path.join(app, 'check.ts'), ts);
  const typeRoots = path.join(root, 'node_modules/@types');
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--typeRoots',
      typeRoots,
      '--types',
      'node',
      'check.ts',
    ],
    { cwd: app, encoding: 'utf8' }
  );
  t.is(tsc.status, 0, tsc.stdout + tsc.stderr);

  // Both register entries load and leave a trivial app working.
  for (const flag of ['--require', '--import']) {
    const run = spawnSync(process.execPath, [flag, 'ck-agent/register', '-e', 'console.log("app ran")'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, CK_REPORTING_METRIC_REPORTER_TYPE: 'NONE' },
    });
    t.is(run.status, 0, `${flag}: ${run.stderr}`);
    t.is(run.stdout.trim(), 'app ran');
  }
  // The `ck-agent` bin is linked and runs from the installed package (docs/paths-cli.md).
  const rows = path.join(app, 'paths.jsonl');
  fs.writeFileSync(
    rows,
    JSON.stringify({
      type: 'ck.path',
      service: 'packed',
      pathKey: '4f1c2a9be07d3318',
      parentKey: '0000000000000000',
      element: { type: 'HTTP_SERVICE', name: 'GET /x', role: 'entry' },
      calls: 3,
      errors: 0,
      p50: 0.001,
      p90: 0.001,
      p95: 0.001,
      p99: 0.002,
      max: 0.002,
      intervalStart: '2026-11-21T10:00:00.000Z',
      intervalEnd: '2026-11-21T10:00:05.000Z',
    }) + '\n'
  );
  const bin = spawnSync(path.join(app, 'node_modules/.bin/ck-agent'), ['paths', '--from', rows], { cwd: app, encoding: 'utf8' });
  t.is(bin.status, 0, bin.stderr);
  t.regex(bin.stdout, /^packed {2}GET \/x +calls 3 /m);
});
