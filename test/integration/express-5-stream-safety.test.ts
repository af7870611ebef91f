/**
 * The stream-safety suite (http-stream-safety.test.ts) against Express 5 (`express5` package).
 */
process.env.CK_TEST_EXPRESS = 'express5';
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./http-stream-safety.test');
