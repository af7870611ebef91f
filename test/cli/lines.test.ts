import test from 'ava';
import { Readable } from 'node:stream';
import { readLines, type Line } from '../../src/cli/lines';

async function collect(chunks: Array<string | Buffer>, max = 64): Promise<Line[]> {
  const lines: Line[] = [];
  for await (const line of readLines(Readable.from(chunks), max)) lines.push(line);
  return lines;
}

test('splits on \\n across chunk boundaries, strips \\r, numbers lines from 1', async (t) => {
  const lines = await collect(['ab', 'c\nde\r', '\n\nf']);
  t.deepEqual(
    lines.map((l) => [l.number, l.text, l.unterminated]),
    [
      [1, 'abc', false],
      [2, 'de', false],
      [3, '', false],
      [4, 'f', true],
    ]
  );
});

test('a multi-byte character split between chunks is decoded whole', async (t) => {
  const bytes = Buffer.from('→ ok\n', 'utf8');
  const lines = await collect([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)]);
  t.is(lines[0].text, '→ ok');
});

test('a line longer than the limit is skipped without being buffered, and the next line is read', async (t) => {
  const long = 'x'.repeat(50);
  const lines = await collect([long, long, '\nnext\n', long, long], 64);
  t.deepEqual(
    lines.map((l) => [l.number, l.tooLong, l.text, l.unterminated]),
    [
      [1, true, '', false],
      [2, false, 'next', false],
      [3, true, '', true],
    ]
  );
});

test('an empty stream has no lines; a final newline adds no empty line', async (t) => {
  t.deepEqual(await collect([]), []);
  t.is((await collect(['a\n'])).length, 1);
});
