/**
 * `npm pack` gives a tarball that installs into an empty directory and works there:
 * CommonJS require, ES module import, shipped type declarations, and the register entry.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

const root = path.join(__dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('the packed tarball installs and works in an empty directory', (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-pack-'));
  const packOut = execFileSync(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const tarball = path.join(work, packOut.trim().split('\n').pop()!.trim());
  t.true(fs.existsSync(tarball), `tarball ${tarball}`);

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
  fs.rmSync(work, { recursive: true, force: true });
});
