// ESM zero-code entry: `node --import ck-agent/register app.mjs`.
// Registers the import-in-the-middle loader (through @opentelemetry/instrumentation) so ES module
// imports can be patched, then runs the CommonJS register, which initialises and enables.
import { register } from 'node:module';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
} catch (err) {
  process.stderr.write(
    `[ck-agent] warn: ESM loader hook not registered (${err && err.message}); ES module imports will not be instrumented\n`
  );
}
require('./register.js');
