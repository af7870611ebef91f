'use strict';
/**
 * Where the compiled ck-agent lives: `build/` (npm run build), or another tsc outDir given by
 * CK_BENCH_BUILD (e.g. /tmp/ckb when the main build is broken mid-development).
 */
const fs = require('node:fs');
const path = require('node:path');

const BUILD_DIR = process.env.CK_BENCH_BUILD ? path.resolve(process.env.CK_BENCH_BUILD) : path.join(__dirname, '..', '..', 'build');

/** Absolute path of a compiled module, e.g. buildPath('src/trace/index.js'). */
function buildPath(rel) {
  return path.join(BUILD_DIR, rel);
}

/** The compiled module, or undefined when it does not exist yet. Load errors are rethrown. */
function tryRequire(rel) {
  const file = buildPath(rel);
  if (!fs.existsSync(file)) return undefined;
  return require(file);
}

function loadAgent() {
  const ck = tryRequire('src/index.js');
  if (!ck || typeof ck.init !== 'function' || !ck.CKHttpInstrumentation || !ck.CKExpressInstrumentation) {
    throw new Error(`ck-agent build at ${BUILD_DIR} does not export init/CKHttpInstrumentation/CKExpressInstrumentation yet`);
  }
  return ck;
}

module.exports = { BUILD_DIR, buildPath, tryRequire, loadAgent };
