'use strict';
/**
 * Per-request work of a context manager, upstream AsyncLocalStorageContextManager vs
 * CKContextManager (the compiled build), interleaved in one process:
 *
 *   node bench/context-manager.js [--rounds=9] [--ops=20000]
 *
 * One "request" as the upstream http + express instrumentations and body-parser/on-finished
 * drive it: bind a real IncomingMessage and ServerResponse inside with(), add the listeners
 * raw-body and on-finished add (data/end/error/aborted/close, finish, once close), emit
 * data/end/finish/close, remove them by the original function, and bind + call six middleware
 * functions (express layers: context.bind(ctx, fn).apply). Per manager: ns per request (median
 * of the rounds) and, with --expose-gc, bytes allocated per request (heap growth with GC held off
 * between two forced collections, so only a rough figure).
 */
const http = require('node:http');
const { ROOT_CONTEXT, createContextKey } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { tryRequire } = require('./lib/ck-build');

const argv = process.argv.slice(2);
const opt = (name, dflt) => Number((argv.find((a) => a.startsWith(`--${name}=`)) || `=${dflt}`).split('=')[1]);
const ROUNDS = opt('rounds', 9);
const OPS = opt('ops', 20000);

const mod = tryRequire('src/trace/context-manager.js');
if (!mod) {
  console.error('build/src/trace/context-manager.js missing: npm run build first');
  process.exit(1);
}

const key = createContextKey('bench');
let sink = 0;
const noop = () => {
  sink++;
};
const mw3 = (a, b, c) => {
  sink += a === b ? 1 : c === undefined ? 2 : 0;
};

function request(cm, ctx) {
  const req = new http.IncomingMessage(null);
  const res = new http.ServerResponse(req);
  cm.with(ctx, () => {
    cm.bind(ctx, req);
    cm.bind(ctx, res);
  });
  // raw-body
  const onData = () => sink++;
  const onEnd = () => sink++;
  const onErr = () => sink++;
  const onAborted = () => sink++;
  const onClose = () => sink++;
  req.on('aborted', onAborted);
  req.on('close', onClose);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onErr);
  // on-finished / instrumentation-express
  const onFinish = () => sink++;
  res.on('finish', onFinish);
  res.once('close', noop);
  req.emit('data', 'x');
  req.emit('end');
  req.removeListener('aborted', onAborted);
  req.removeListener('data', onData);
  req.removeListener('end', onEnd);
  req.removeListener('error', onErr);
  req.removeListener('close', onClose);
  // express layers
  for (let i = 0; i < 6; i++) cm.bind(ctx, mw3).call(null, req, res, noop);
  res.emit('finish');
  res.emit('close');
  res.removeListener('finish', onFinish);
}

function round(cm, ops) {
  const ctx = ROOT_CONTEXT.setValue(key, 1);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) request(cm, ctx);
  return Number(process.hrtime.bigint() - t0) / ops;
}

function allocated(cm, ops) {
  if (typeof globalThis.gc !== 'function') return undefined;
  const ctx = ROOT_CONTEXT.setValue(key, 1);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < ops; i++) request(cm, ctx);
  const after = process.memoryUsage().heapUsed;
  return (after - before) / ops;
}

// --only=upstream|ck: one manager alone (ck's prototype patches are then never installed).
const only = (argv.find((a) => a.startsWith('--only=')) || '').slice(7);
const managers = {};
if (only !== 'ck') managers.upstream = new AsyncLocalStorageContextManager().enable();
if (only !== 'upstream') managers.ck = new mod.CKContextManager().enable();
const times = { upstream: [], ck: [] };
for (const cm of Object.values(managers)) round(cm, OPS); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? ['ck', 'upstream'] : ['upstream', 'ck'];
  for (const name of order) if (managers[name]) times[name].push(round(managers[name], OPS));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {};
for (const name of Object.keys(managers)) {
  out[name] = { nsPerRequest: Math.round(median(times[name])), bytesPerRequest: allocated(managers[name], 2000) };
}
console.log(`node ${process.version}, ${ROUNDS} interleaved rounds x ${OPS} requests`);
for (const [name, r] of Object.entries(out)) {
  const bytes = r.bytesPerRequest === undefined ? '' : `  ~${Math.round(r.bytesPerRequest)} B allocated/request`;
  console.log(`${name.padEnd(9)} ${String(r.nsPerRequest).padStart(6)} ns/request${bytes}`);
}
if (out.upstream && out.ck) console.log(`upstream / ck: ${(out.upstream.nsPerRequest / out.ck.nsPerRequest).toFixed(2)}x`);
if (sink === -1) console.log(sink);
