#!/usr/bin/env node
'use strict';
/**
 * Builds the folder an auto-instrumentation image carries at /autoinstrumentation, without Docker:
 *
 *   <out>/autoinstrumentation.js        the entry NODE_OPTIONS preloads (deploy/k8s/autoinstrumentation.js)
 *   <out>/node_modules/ck-agent/        package.json, LICENSE and the built JavaScript (build/src)
 *   <out>/node_modules/...              ck-agent's production dependencies, @opentelemetry/api included
 *   <out>/ck-layout.json                what is inside: versions, the Node major it was built on
 *
 * The dependencies are copied from the checkout's node_modules (installed by `npm ci` from
 * package-lock.json), keeping the tree npm laid out, so the layout holds exactly the locked
 * versions and needs no network. The Dockerfile runs this same script in its build stage.
 *
 * Usage: node deploy/k8s/build-layout.js --out <dir>   (after `npm ci` and `npm run build`)
 */
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const MANIFEST = 'ck-layout.json';

function parseArgs(argv) {
  const args = { out: '' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') args.out = argv[++i] || '';
    else if (argv[i].startsWith('--out=')) args.out = argv[i].slice('--out='.length);
    else if (argv[i] === '--help' || argv[i] === '-h') args.help = true;
    else throw new Error(`unknown argument ${argv[i]} (usage: build-layout.js --out <dir>)`);
  }
  if (!args.help && !args.out) throw new Error('--out <dir> is required');
  return args;
}

/** Production dependency folders of the checkout, as npm laid them out (nested ones included). */
function productionPackageDirs() {
  const listed = childProcess.execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const dirs = new Set(
    listed
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && path.resolve(line) !== root)
  );
  // The API is a peer dependency: the app may have none, or another version; the layout brings its own.
  dirs.add(path.join(root, 'node_modules', '@opentelemetry', 'api'));
  return [...dirs].sort();
}

/** Copies a package folder without its nested node_modules (those are listed on their own when needed). */
function copyPackage(from, to) {
  fs.cpSync(from, to, {
    recursive: true,
    dereference: true,
    filter: (src) => !(path.basename(src) === 'node_modules' && path.dirname(src) === from),
  });
}

function copyCkAgent(out) {
  const target = path.join(out, 'node_modules', 'ck-agent');
  fs.mkdirSync(target, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  // Only what the runtime needs: the manifest without scripts and dev tooling.
  const runtimeManifest = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    license: manifest.license,
    main: manifest.main,
    exports: manifest.exports,
    engines: manifest.engines,
    dependencies: manifest.dependencies,
    peerDependencies: manifest.peerDependencies,
  };
  fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(runtimeManifest, null, 2) + '\n');
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(target, 'LICENSE'));
  fs.cpSync(path.join(root, 'build', 'src'), path.join(target, 'build', 'src'), {
    recursive: true,
    filter: (src) => fs.statSync(src).isDirectory() || /\.(c?js|mjs|json)$/.test(src),
  });
  return manifest.version;
}

function packageVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Refuses to empty a folder that is not a previous layout (a wrong --out must not wipe anything). */
function prepareOut(out) {
  if (fs.existsSync(out)) {
    const entries = fs.readdirSync(out);
    if (entries.length > 0 && !entries.includes(MANIFEST)) {
      throw new Error(`${out} is not empty and holds no ${MANIFEST}: not overwriting it`);
    }
    fs.rmSync(out, { recursive: true, force: true });
  }
  fs.mkdirSync(out, { recursive: true });
}

function buildLayout(outArg) {
  const out = path.resolve(outArg);
  if (!fs.existsSync(path.join(root, 'build', 'src', 'register.js'))) {
    throw new Error('build/src/register.js is missing: run `npm run build` first');
  }
  if (!fs.existsSync(path.join(root, 'node_modules', '@opentelemetry', 'api'))) {
    throw new Error('node_modules is missing: run `npm ci` first');
  }
  prepareOut(out);
  fs.copyFileSync(path.join(__dirname, 'autoinstrumentation.js'), path.join(out, 'autoinstrumentation.js'));
  const version = copyCkAgent(out);
  const packages = {};
  for (const dir of productionPackageDirs()) {
    const relative = path.relative(root, dir);
    copyPackage(dir, path.join(out, relative));
    packages[
      relative
        .split(path.sep)
        .join('/')
        .replace(/^node_modules\//, '')
    ] = packageVersion(dir);
  }
  const manifest = {
    ckAgent: version,
    builtWithNode: process.versions.node,
    mountPath: '/otel-auto-instrumentation-nodejs',
    entry: 'autoinstrumentation.js',
    packages,
  };
  fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return { out, manifest };
}

if (require.main === module) {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
      process.stdout.write('usage: node deploy/k8s/build-layout.js --out <dir>\n');
    } else {
      const { out, manifest } = buildLayout(args.out);
      process.stdout.write(`layout: ${out} (ck-agent ${manifest.ckAgent}, ${Object.keys(manifest.packages).length} packages)\n`);
    }
  } catch (err) {
    process.stderr.write(`build-layout: ${err.message}\n`);
    process.exit(1);
  }
}

module.exports = { buildLayout };
