import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { makeTempDir } from '../../fixtures/temp-dir';
import { Problems, formatProblem } from '../../src/cli/problems';
import { parseLine, readLoggingTarget } from '../../src/cli/read-logging';
import { SeriesTable } from '../../src/cli/series';

const row = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'ck.path',
    service: 'orders',
    pathKey: '4f1c2a9be07d3318',
    parentKey: '0000000000000000',
    element: { type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' },
    calls: 120,
    errors: 2,
    p50: 0.0031,
    p90: 0.0052,
    p95: 0.006,
    p99: 0.011,
    max: 0.015,
    intervalStart: '2026-11-21T10:00:00.000Z',
    intervalEnd: '2026-11-21T10:00:05.000Z',
    ...over,
  });

test('parseLine: the documented row, span lines, prefixes from log collectors, and why a line is refused', (t) => {
  const rowOf = (text: string) => {
    const parsed = parseLine(text);
    return parsed.kind === 'row' ? parsed.row : undefined;
  };
  const reason = (text: string) => {
    const parsed = parseLine(text);
    return parsed.kind === 'bad' ? parsed.reason : parsed.kind;
  };
  t.like(rowOf(row()), { service: 'orders', calls: 120, errors: 2, p99: 0.011, element: { role: 'entry' } });
  t.like(rowOf(`2026-11-21T10:00:05Z stdout F ${row()}`), { service: 'orders' });
  t.like(rowOf(row({ pathKey: 'overflow', parentKey: 'overflow' })), { pathKey: 'overflow' });
  t.is(reason('   '), 'blank');
  t.is(reason('{"type":"span","name":"GET /"}'), 'span');
  t.is(reason('hello'), 'not a JSON line');
  t.regex(reason('{"type":"ck.path",'), /^malformed JSON/);
  t.is(reason('{"a":1}'), 'JSON object without a "type" field');
  t.is(reason('{"type":"gauge"}'), 'unknown type "gauge"');
  t.is(reason(row({ pathKey: 'XYZ' })), 'ck.path row with an invalid pathKey "XYZ"');
  t.is(reason(row({ service: '' })), 'ck.path row without a service');
  t.is(reason(row({ calls: -1 })), 'ck.path row with invalid calls -1');
  t.is(reason(row({ calls: 1, errors: 2 })), 'ck.path row with invalid errors 2');
  t.is(reason(row({ element: { type: 'X' } })), 'ck.path row whose element lacks type, name or role');
  t.like(rowOf(row({ p99: 'slow' })), { p99: null }, 'a bad percentile is unknown, the counts still count');
});

test('a folder: plain and gzip files read, bad lines reported as file:line, at most 10 per file', async (t) => {
  const dir = makeTempDir('ck-cli-');
  fs.writeFileSync(path.join(dir, 'orders.jsonl'), `${row()}\n{oops\n${row({ calls: 30, errors: 0 })}\n`);
  fs.writeFileSync(path.join(dir, 'orders.jsonl.1.gz'), zlib.gzipSync(`${row({ calls: 50 })}\n`));
  fs.writeFileSync(path.join(dir, 'noise.log'), Array.from({ length: 25 }, (_, i) => `line ${i}`).join('\n'));
  fs.writeFileSync(path.join(dir, '.hidden'), 'not read');
  fs.writeFileSync(path.join(dir, 'spans.jsonl'), '{"type":"span","name":"x"}\n');
  fs.writeFileSync(path.join(dir, 'corrupt.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
  const printed: string[] = [];
  const problems = new Problems((line) => printed.push(line));
  const table = new SeriesTable();
  const summaries = await readLoggingTarget(dir, table, problems, new Set());
  t.deepEqual(
    summaries.map((s) => [path.basename(s.source), s.rows]),
    [
      ['corrupt.gz', 0],
      ['noise.log', 0],
      ['orders.jsonl', 2],
      ['orders.jsonl.1.gz', 1],
      ['spans.jsonl', 0],
    ]
  );
  const [series] = table.series();
  t.like(series, { calls: 200, errors: 4, intervals: 3 });
  t.true(
    printed.includes(
      `${path.join(dir, 'orders.jsonl')}:2: malformed JSON: ${(() => {
        try {
          JSON.parse('{oops');
        } catch (e) {
          return (e as Error).message;
        }
      })()}`
    ),
    printed.join('\n')
  );
  t.is(printed.filter((p) => p.startsWith(path.join(dir, 'noise.log'))).length, 10, 'at most 10 printed per file');
  t.is(problems.countFor(path.join(dir, 'noise.log')), 25);
  t.deepEqual(problems.suppressed(), [`${path.join(dir, 'noise.log')}: 15 more problems not shown (25 in all)`]);
  t.true(
    printed.some((p) => p.startsWith(`${path.join(dir, 'corrupt.gz')}`) && /read failed/.test(p)),
    printed.join('\n')
  );
  t.true(printed.includes(`${path.join(dir, 'spans.jsonl')}: no ck.path rows in 1 lines (1 span lines)`));
  t.deepEqual(problems.list.map(formatProblem), printed);
});

test('missing paths and empty folders are reported, not thrown', async (t) => {
  const dir = makeTempDir('ck-cli-');
  const problems = new Problems();
  const table = new SeriesTable();
  const missing = await readLoggingTarget(path.join(dir, 'nope.jsonl'), table, problems, new Set());
  t.deepEqual(
    missing.map((s) => s.readable),
    [false]
  );
  const empty = await readLoggingTarget(dir, table, problems, new Set());
  t.deepEqual(
    empty.map((s) => s.readable),
    [false]
  );
  t.regex(formatProblem(problems.list[0]), /nope\.jsonl: cannot read: ENOENT/);
  t.is(formatProblem(problems.list[1]), `${dir}: the folder has no files`);
});
