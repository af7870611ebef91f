import test from 'ava';
import * as zlib from 'zlib';
import { BodyCapture, parseContentEncoding } from '../../src/capture/body-capture';
import { Redactor } from '../../src/capture/redaction';

const limits = { maxBytes: 64, maxProcessingBytes: 1024 };
const redactor = new Redactor({ headerNames: [], bodyKeys: ['pass'] });

test('parseContentEncoding', (t) => {
  t.is(parseContentEncoding(undefined), 'identity');
  t.is(parseContentEncoding('GZIP'), 'gzip');
  t.is(parseContentEncoding('x-gzip'), 'gzip');
  t.is(parseContentEncoding(' deflate '), 'deflate');
  t.is(parseContentEncoding('br'), 'br');
  t.is(parseContentEncoding('zstd'), 'unsupported');
  t.is(parseContentEncoding('gzip, br'), 'unsupported');
  t.is(parseContentEncoding(['gzip']), 'gzip');
});

test('chunks in order, strings with encodings, redaction applied', (t) => {
  const c = new BodyCapture(limits);
  c.add(Buffer.from('{"user":"bob",'));
  c.add('"password":', 'utf8');
  c.add(Buffer.from('"x"}').toString('hex'), 'hex');
  c.add(new Uint8Array(0));
  t.is(c.text(), '{"user":"bob","password":"x"}');
  t.deepEqual(c.result(redactor, 'application/json'), { value: '{"user":"bob","password":"[REDACTED]"}', truncated: false });
});

test('no chunks: no attribute', (t) => {
  t.is(new BodyCapture(limits).result(redactor), undefined);
});

test('cut at maxBytes on a character boundary, reported as truncated', (t) => {
  const c = new BodyCapture(limits);
  c.add('é'.repeat(40)); // 80 bytes
  const r = c.result(undefined);
  t.true(r!.truncated);
  t.is(r!.value, 'é'.repeat(32));
});

test('memory is bounded by the processing limit, whatever is offered', (t) => {
  const c = new BodyCapture(limits);
  for (let i = 0; i < 1000; i++) c.add(Buffer.alloc(1000, 0x61));
  c.add('b'.repeat(10_000_000));
  t.is(c.heldByteLength, 1024);
  t.true(c.overflowed);
  t.is(c.seenBytes, 1_000_000 + 10_000_000);
  t.true(c.result(undefined)!.truncated);
});

test('chunks are copied (a producer reusing its buffer does not change the capture)', (t) => {
  const c = new BodyCapture(limits);
  const buf = Buffer.from('abc');
  c.add(buf);
  buf.write('xyz');
  t.is(c.text(), 'abc');
});

for (const [name, encode] of [
  ['gzip', (b: Buffer) => zlib.gzipSync(b)],
  ['deflate', (b: Buffer) => zlib.deflateSync(b)],
  ['br', (b: Buffer) => zlib.brotliCompressSync(b)],
] as const) {
  test(`${name} bodies are decoded for capture`, (t) => {
    const c = new BodyCapture(limits, parseContentEncoding(name));
    const encoded = encode(Buffer.from('{"password":"p","a":1}'));
    c.add(encoded.subarray(0, 5));
    c.add(encoded.subarray(5));
    t.deepEqual(c.result(redactor, 'application/json'), { value: '{"password":"[REDACTED]","a":1}', truncated: false });
  });

  test(`${name} zip bomb: decoding stops at the processing limit`, (t) => {
    const bomb = encode(Buffer.alloc(50_000_000, 0x61));
    const c = new BodyCapture({ maxBytes: 100, maxProcessingBytes: 100_000 }, parseContentEncoding(name));
    c.add(bomb);
    const decoded = c.decoded();
    t.truthy(decoded);
    t.true(decoded!.length <= 100_000);
    const r = c.result(undefined)!;
    t.true(r.truncated);
    // gzip/deflate decode a prefix; a brotli bomb's meta-block cannot be cut, so it may give ''.
    if (name === 'br') t.true('a'.repeat(100).startsWith(r.value));
    else t.is(r.value, 'a'.repeat(100));
  });
}

test('raw deflate (no zlib header) sent as "deflate" is decoded too', (t) => {
  const c = new BodyCapture(limits, 'deflate');
  c.add(zlib.deflateRawSync(Buffer.from('hello raw')));
  t.is(c.text(), 'hello raw');
});

test('truncated gzip decodes as far as it goes', (t) => {
  const text = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item-${i}` })) });
  const gz = zlib.gzipSync(Buffer.from(text));
  const c = new BodyCapture({ maxBytes: 100_000, maxProcessingBytes: 100_000 }, 'gzip');
  c.add(gz.subarray(0, Math.floor(gz.length / 2)));
  const decoded = c.text()!;
  t.true(decoded.length > 0);
  t.true(text.startsWith(decoded));
});

test('gzip cut by the processing limit still decodes a prefix', (t) => {
  const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join(''));
  const gz = zlib.gzipSync(text);
  const c = new BodyCapture({ maxBytes: 50, maxProcessingBytes: Math.floor(gz.length / 2) }, 'gzip');
  c.add(gz);
  t.true(c.overflowed);
  const r = c.result(undefined)!;
  t.true(r.truncated);
  t.true(text.toString().startsWith(r.value));
});

test('corrupt compressed data and unknown encodings are not captured', (t) => {
  const bad = new BodyCapture(limits, 'gzip');
  bad.add(Buffer.from('definitely not gzip'));
  t.is(bad.result(undefined), undefined);
  const unknown = new BodyCapture(limits, 'unsupported');
  unknown.add(Buffer.from('x'));
  t.is(unknown.result(undefined), undefined);
});

test('binary bytes become U+FFFD and stay within the limit', (t) => {
  const c = new BodyCapture(limits);
  c.add(Buffer.from(Array.from({ length: 200 }, (_, i) => 0x80 + (i % 64))));
  const r = c.result(redactor, 'application/json')!;
  t.true(Buffer.byteLength(r.value) <= 64);
  t.true(r.truncated);
});
