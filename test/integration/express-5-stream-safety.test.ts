/**
 * The stream-safety suite (http-stream-safety.test.ts) against Express 5 (fixtures/express5).
 */
process.env.CK_TEST_EXPRESS = 'express5';

require('./http-stream-safety.test');
