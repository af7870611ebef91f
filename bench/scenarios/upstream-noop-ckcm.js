'use strict';
/**
 * Diagnostic: the upstream-noop floor with ck-agent's CKContextManager (from the build) in place
 * of upstream's AsyncLocalStorageContextManager, to measure the context manager alone.
 * Only run when named: `--scenarios=upstream-noop,upstream-noop-ckcm`.
 */
process.env.BENCH_NOOP_CTX = 'ck';
const setup = require('./upstream-noop');

module.exports = (opts) => ({ ...setup(opts), name: 'upstream-noop-ckcm' });
