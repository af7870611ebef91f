'use strict';
/**
 * Diagnostic floor: the upstream http + express instrumentations with NO tracer provider (the
 * API's no-op tracer: non-recording spans) but an AsyncLocalStorage context manager, as ck-agent
 * installs one. What wrapping upstream costs before any span is recorded.
 */
const { context } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

module.exports = function setup() {
  // BENCH_NOOP_PARTS narrows it for diagnosis, e.g. "http" or "http,ctx" (default http,express,ctx).
  const parts = new Set((process.env.BENCH_NOOP_PARTS || 'http,express,ctx').split(','));
  if (parts.has('ctx')) {
    // BENCH_NOOP_CTX=ck: ck-agent's CKContextManager instead (scenario upstream-noop-ckcm).
    const manager =
      process.env.BENCH_NOOP_CTX === 'ck'
        ? new (require('../lib/ck-build').tryRequire('src/trace/context-manager.js').CKContextManager)()
        : new AsyncLocalStorageContextManager();
    context.setGlobalContextManager(manager.enable());
  }
  const instrumentations = [];
  if (parts.has('http')) instrumentations.push(new HttpInstrumentation());
  if (parts.has('express')) instrumentations.push(new ExpressInstrumentation());
  instrumentations.push(...require('./otel').dataStoreInstrumentations());
  registerInstrumentations({ instrumentations });
  return { name: 'upstream-noop', shutdown: async () => {} };
};
