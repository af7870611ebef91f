'use strict';
// Entry the OpenTelemetry Operator preloads into an annotated pod:
//   NODE_OPTIONS="<the app's own options> --require /otel-auto-instrumentation-nodejs/autoinstrumentation.js"
// It sits beside its own node_modules (ck-agent and the upstream OpenTelemetry packages it
// wraps), so the app's node_modules are never used for the agent. See docs/kubernetes.md.
(function startCkAgent() {
  // Package managers (`npm start`, `yarn start`, ...) inherit NODE_OPTIONS; the app they spawn
  // inherits it too and is instrumented there, so the package manager itself is skipped.
  var script = process.argv[1] || '';
  if (/(?:^|[\\/])(?:npm-cli|npx-cli|yarn|yarn\.c?js|pnpm|pnpm\.c?js|corepack)(?:\.c?js)?$/.test(script)) return;

  // Preloads also run in worker threads, the ES module loader's hooks thread included: one agent
  // per process, on the main thread (docs/kubernetes.md).
  if (!require('worker_threads').isMainThread) return;

  // NODE_OPTIONS naming this file twice (an app image that already carried the Operator's line).
  var started = Symbol.for('ck-agent.k8s.autoinstrumentation');
  if (globalThis[started]) return;
  globalThis[started] = true;

  var nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 20) {
    process.stderr.write('[ck-agent] warn: Node ' + process.versions.node + ' is not supported (>= 20.6); the app runs without ck-agent\n');
    return;
  }

  // ES module apps: the Operator only sets --require, so the import-in-the-middle loader hook
  // (what `--import ck-agent/register` would add) is registered here, from this copy.
  if (isEsmEntry(script)) {
    try {
      var moduleApi = require('module');
      var url = require('url');
      moduleApi.register('@opentelemetry/instrumentation/hook.mjs', url.pathToFileURL(__filename).href);
    } catch (err) {
      process.stderr.write(
        '[ck-agent] warn: ESM loader hook not registered (' + (err && err.message) + '); ES module imports will not be instrumented\n'
      );
    }
  }

  require('ck-agent/register');
})();

/** An entry that Node loads as an ES module: `.mjs`, or `.js` under a package.json with "type": "module". */
function isEsmEntry(script) {
  if (!script) return false;
  if (/\.mjs$/.test(script)) return true;
  if (/\.cjs$/.test(script)) return false;
  try {
    var path = require('path');
    var fs = require('fs');
    var dir = path.dirname(path.resolve(script));
    for (;;) {
      var manifest = path.join(dir, 'package.json');
      if (fs.existsSync(manifest)) return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      var parent = path.dirname(dir);
      if (parent === dir) return false;
      dir = parent;
    }
  } catch {
    return false;
  }
}
