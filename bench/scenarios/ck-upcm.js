'use strict';
/**
 * Diagnostic: ck-agent defaults with upstream's AsyncLocalStorageContextManager registered
 * before init() (the agent then keeps it), i.e. ck as it was before CKContextManager.
 * Only run when named: `--scenarios=ck,ck-upcm`.
 */
const { context } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const setup = require('./ck');

module.exports = (opts) => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return { ...setup(opts), name: 'ck-upcm' };
};
