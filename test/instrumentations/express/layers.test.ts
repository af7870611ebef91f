/**
 * A user `ignoreLayersType` replaces the default (middleware skipped): with `[]` every layer gets
 * a span. Also: Express required BEFORE enable() is still patched (enable re-requires it).
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { init } from '../../../src/agent';
import { CKExpressInstrumentation } from '../../../src/instrumentations/express';
import { CKHttpInstrumentation } from '../../../src/instrumentations/http';
import type { SpanLine } from '../../../fixtures/http/harness';
import { makeTempDir } from '../../../fixtures/temp-dir';

// Deliberately before enable(): the wrapper must still patch it.

const express = require('express') as typeof import('express');

const logFile = path.join(makeTempDir('ck-express-layers-'), 'spans.jsonl');
const agent = init({ serviceName: 'layers', reporting: { traceReporterType: 'LOGGING', logFile, metricReporterType: 'NONE' } });
new CKHttpInstrumentation().enable();
new CKExpressInstrumentation({ ignoreLayersType: [] }).enable();

test('every layer is a span when ignoreLayersType is []', async (t) => {
  const app = express();
  app.use(express.json());
  app.use((_req, _res, next) => next());
  app.get('/things/:id', (_req, res) => {
    res.json({ ok: true });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/things/1', agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
  let spans: SpanLine[] = [];
  for (let i = 0; i < 50 && !spans.some((s) => s.kind === 'SERVER'); i++) {
    await agent.forceFlush();
    await new Promise((r) => setTimeout(r, 20));
    spans = fs.existsSync(logFile)
      ? fs
          .readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as SpanLine)
      : [];
  }
  server.close();
  await agent.shutdown();
  const names = spans.filter((s) => s.kind === 'INTERNAL').map((s) => s.name);
  t.true(
    names.some((n) => n.startsWith('middleware')),
    names.join(', ')
  );
  t.true(
    names.some((n) => n.startsWith('request handler')),
    names.join(', ')
  );
  t.true(spans.some((s) => s.kind === 'SERVER' && s.name === 'GET /things/:id'));
});
