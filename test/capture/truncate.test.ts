import test from 'ava';
import { truncateUtf8 } from '../../src/capture/truncate';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('short strings and buffers are returned whole', (t) => {
  t.deepEqual(truncateUtf8('hello', 10), { value: 'hello', truncated: false });
  t.deepEqual(truncateUtf8(Buffer.from('hello'), 5), { value: 'hello', truncated: false });
  t.deepEqual(truncateUtf8('', 0), { value: '', truncated: false });
});

test('ASCII is cut at the byte limit', (t) => {
  t.deepEqual(truncateUtf8('abcdef', 4), { value: 'abcd', truncated: true });
  t.deepEqual(truncateUtf8(Buffer.from('abcdef'), 4), { value: 'abcd', truncated: true });
});

test('never splits a multi-byte character (string and Buffer, every limit)', (t) => {
  // 1-, 2-, 3- and 4-byte characters (the last is a surrogate pair in UTF-16).
  const text = 'aé€😀b😀€éa';
  const total = bytes(text);
  for (let limit = 0; limit <= total + 1; limit++) {
    for (const input of [text, Buffer.from(text)]) {
      const { value, truncated } = truncateUtf8(input, limit);
      t.true(bytes(value) <= limit, `limit ${limit}`);
      t.true(text.startsWith(value), `prefix at limit ${limit}: ${JSON.stringify(value)}`);
      t.false(value.includes('\uFFFD'));
      t.is(truncated, limit < total);
      // Maximal: the next character would not have fitted.
      if (truncated) {
        const next = [...text.slice(value.length)][0];
        t.true(bytes(value) + bytes(next) > limit);
      }
    }
  }
});

test('a surrogate pair in a string is kept whole or dropped whole', (t) => {
  const { value } = truncateUtf8('😀😀', 6);
  t.is(value, '😀');
  t.is(truncateUtf8('x😀', 4).value, 'x');
});

test('invalid UTF-8 bytes become U+FFFD and the result still respects the limit', (t) => {
  const invalid = Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3]); // a, junk, junk, b, lone lead byte
  const whole = truncateUtf8(invalid, 100);
  t.is(whole.value, 'a\uFFFD\uFFFDb\uFFFD');
  t.false(whole.truncated);
  const cut = truncateUtf8(invalid, 4);
  t.true(bytes(cut.value) <= 4);
  t.true(cut.truncated);
  t.true(cut.value.startsWith('a'));
});

test('continuation bytes without a lead byte do not loop or throw', (t) => {
  const junk = Buffer.alloc(10, 0x80);
  const r = truncateUtf8(junk, 5);
  t.true(bytes(r.value) <= 5);
  t.true(r.truncated);
});

test('huge strings are cut with bounded work', (t) => {
  const big = 'é'.repeat(5_000_000);
  const r = truncateUtf8(big, 1001);
  t.is(r.value.length, 500);
  t.true(r.truncated);
});

test('zero, negative and non-finite limits', (t) => {
  t.deepEqual(truncateUtf8('abc', 0), { value: '', truncated: true });
  t.deepEqual(truncateUtf8('abc', -5), { value: '', truncated: true });
  t.deepEqual(truncateUtf8('abc', Infinity), { value: 'abc', truncated: false });
  t.deepEqual(truncateUtf8(new Uint8Array([0x68, 0x69]), 1), { value: 'h', truncated: true });
});
