/**
 * "Installed" for the zero-code start = loadable by the app (src/instrumentations/app-modules.ts):
 * resolved from the app's folders, and for the agent's own dependencies (hoisted next to the
 * app by npm) only when the app names them or has a copy of its own.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_OWN_MODULES, appCanLoad } from '../../src/instrumentations/app-modules';
import { INSTRUMENTATIONS } from '../../src/instrumentations/registry';
import { makeTempDir } from '../../fixtures/temp-dir';

const root = path.resolve(__dirname, '../..');

function makeApp(dependencies: Record<string, string> = {}): string {
  const dir = makeTempDir('ck-app-modules-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', dependencies }));
  fs.mkdirSync(path.join(dir, 'node_modules', '@grpc'), { recursive: true });
  return dir;
}

/** Links the agent's own copy into the app, as npm's hoisting puts it there. */
function hoist(app: string, name: string): void {
  fs.symlinkSync(path.join(root, 'node_modules', name), path.join(app, 'node_modules', name), 'dir');
}

test('an app with no node_modules can load only built-ins: no target module counts as installed', (t) => {
  const app = makeApp();
  for (const entry of Object.values(INSTRUMENTATIONS)) for (const name of entry.modules) t.false(appCanLoad(name, [app]), name);
});

test("the agent's own @grpc/grpc-js hoisted into the app does not count unless the app names it", (t) => {
  const app = makeApp();
  hoist(app, '@grpc/grpc-js');
  t.false(appCanLoad('@grpc/grpc-js', [app]));
  const declaring = makeApp({ '@grpc/grpc-js': '^1.14.0' });
  hoist(declaring, '@grpc/grpc-js');
  t.true(appCanLoad('@grpc/grpc-js', [declaring]));
});

test('an app with its own copy of @grpc/grpc-js (another file than ours) counts, declared or not', (t) => {
  const app = makeApp();
  const own = path.join(app, 'node_modules', '@grpc', 'grpc-js');
  fs.mkdirSync(own);
  fs.writeFileSync(path.join(own, 'package.json'), JSON.stringify({ name: '@grpc/grpc-js', version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(path.join(own, 'index.js'), '');
  t.true(appCanLoad('@grpc/grpc-js', [app]));
});

test('any other module resolvable from the app counts even when only a dependency of a dependency brought it', (t) => {
  const app = makeApp();
  hoist(app, 'express');
  t.true(appCanLoad('express', [app]));
});

/** Production dependency closure of this package, by walking node_modules like Node does. */
function productionClosure(): Set<string> {
  const seen = new Set<string>();
  const find = (name: string, from: string): string | undefined => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name, 'package.json');
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) return undefined;
    }
  };
  const visit = (pkgFile: string): void => {
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      const found = find(name, path.dirname(pkgFile));
      if (!found || seen.has(found)) continue;
      seen.add(found);
      visit(found);
    }
  };
  visit(path.join(root, 'package.json'));
  return new Set([...seen].map((file) => (JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string }).name));
}

test('AGENT_OWN_MODULES is exactly the instrumentation targets among our production dependencies', (t) => {
  const closure = productionClosure();
  t.true(closure.size > 20, `closure: ${closure.size} packages`);
  const targets = Object.values(INSTRUMENTATIONS).flatMap((entry) => [...entry.modules]);
  t.deepEqual(
    targets.filter((name) => closure.has(name)),
    [...AGENT_OWN_MODULES]
  );
});
