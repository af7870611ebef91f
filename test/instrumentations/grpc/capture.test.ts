import test from 'ava';
import { Metadata } from '@grpc/grpc-js';
import { Redactor } from '../../../src/capture/redaction';
import {
  MessageCapture,
  markTruncated,
  metadataHeaders,
  setBodyAttribute,
  setMetadataAttributes,
  singleMetadataValue,
} from '../../../src/instrumentations/grpc/capture';
import { BoundedJsonWriter, messageJson } from '../../../src/instrumentations/grpc/message-json';

const redactor = new Redactor({
  headerNames: ['authorization', 'set-cookie'],
  bodyKeys: ['pass', 'secret', 'token', 'api[-_]?key'],
});
const redactKey = (k: string) => redactor.isRedactedKey(k);

/** A span stand-in that records attributes like CKSpan does (readable `attributes`). */
function fakeSpan() {
  const attributes: Record<string, unknown> = {};
  return {
    attributes,
    setAttribute(key: string, value: unknown) {
      attributes[key] = value;
      return this;
    },
  } as unknown as import('@opentelemetry/api').Span & { attributes: Record<string, unknown> };
}

test('messageJson writes own enumerable fields, Buffers as base64, matches JSON.stringify for plain data', (t) => {
  const msg = { text: 'héllo "q"', count: 3, ok: true, nested: { list: [1, 'two', null] }, none: null };
  t.is(messageJson(msg, 1e6, undefined).text, JSON.stringify(msg));
  const withBytes = { payload: Buffer.from([0xde, 0xad, 0xbe, 0xef]), u8: new Uint8Array([1, 2, 3]) };
  t.deepEqual(JSON.parse(messageJson(withBytes, 1e6, undefined).text), { payload: '3q2+7w==', u8: 'AQID' });
});

test('messageJson skips prototype fields, functions, undefined; does not call toJSON', (t) => {
  class Msg {
    own = 'x';
    toJSON() {
      return { replaced: true };
    }
  }
  Object.defineProperty(Msg.prototype, 'inherited', { value: 'no', enumerable: true });
  const m = Object.assign(new Msg(), { fn: () => 1, u: undefined });
  t.deepEqual(JSON.parse(messageJson(m, 1e6, undefined).text), { own: 'x' });
});

test('messageJson: Long-like int64 as a decimal string, bigint, Date, non-finite numbers', (t) => {
  const long = { low: 1, high: 1, unsigned: false, toString: () => '4294967297' };
  const out = JSON.parse(messageJson({ id: long, big: 12n, at: new Date(0), nan: NaN }, 1e6, undefined).text);
  t.deepEqual(out, { id: '4294967297', big: '12', at: '1970-01-01T00:00:00.000Z', nan: null });
});

test('messageJson survives cycles and throwing getters', (t) => {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  Object.defineProperty(a, 'boom', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
  const { text } = messageJson(a, 1e6, undefined);
  t.true(text.startsWith('{"name":"a","self":{"name":"a","self":'));
  t.notThrows(() => JSON.parse(text));
});

test('messageJson redacts matching keys at any depth while writing', (t) => {
  const msg = { user: 'bob', password: 'hunter2', nested: [{ apiKey: 'k', keep: 1, token: { deep: true } }] };
  t.deepEqual(JSON.parse(messageJson(msg, 1e6, redactKey).text), {
    user: 'bob',
    password: '[REDACTED]',
    nested: [{ apiKey: '[REDACTED]', keep: 1, token: '[REDACTED]' }],
  });
});

test('BoundedJsonWriter stops at the budget and reports it (work bounded by the budget)', (t) => {
  const huge = { text: 'a'.repeat(10_000_000), payload: Buffer.alloc(5_000_000) };
  const w = new BoundedJsonWriter(100, undefined);
  w.value(huge);
  t.true(w.full);
  t.is(w.text().length, 100);
});

test('MessageCapture: a unary side is the message JSON; a stream side a JSON array', (t) => {
  const unary = new MessageCapture(1000, undefined, false);
  unary.add({ a: 1 });
  unary.add({ ignored: true });
  t.deepEqual(unary.result(), { value: '{"a":1}', truncated: false });

  const stream = new MessageCapture(1000, undefined, true);
  stream.add({ a: 1 });
  stream.add({ b: 2 });
  t.deepEqual(stream.result(), { value: '[{"a":1},{"b":2}]', truncated: false });

  t.deepEqual(new MessageCapture(10, undefined, true).result(), { value: '[]', truncated: false });
  t.is(new MessageCapture(10, undefined, false).result(), undefined);
});

test('MessageCapture cuts at bodyMaxSizeBytes in UTF-8 bytes, never inside a character', (t) => {
  const capture = new MessageCapture(20, undefined, true);
  for (let i = 0; i < 1000; i++) capture.add({ t: 'ééé' });
  t.is(capture.messages, 1000);
  const result = capture.result()!;
  t.true(result.truncated);
  t.true(Buffer.byteLength(result.value) <= 20);
  t.false(result.value.includes('\ufffd'));
  t.true(result.value.startsWith('[{"t":"ééé"}'));
});

test('MessageCapture: exactly at the limit is not truncated', (t) => {
  const json = '{"t":"abc"}';
  const capture = new MessageCapture(Buffer.byteLength(json), undefined, false);
  capture.add({ t: 'abc' });
  t.deepEqual(capture.result(), { value: json, truncated: false });
  const one = new MessageCapture(Buffer.byteLength(json) - 1, undefined, false);
  one.add({ t: 'abc' });
  t.true(one.result()!.truncated);
});

test('setBodyAttribute sets the body and lists it in ck.capture.truncated when cut', (t) => {
  const span = fakeSpan();
  const small = new MessageCapture(100, undefined, false);
  small.add({ a: 1 });
  setBodyAttribute(span, 'rpc.request.body', small);
  const big = new MessageCapture(5, undefined, false);
  big.add({ a: 'long value' });
  setBodyAttribute(span, 'rpc.response.body', big);
  markTruncated(span, 'rpc.response.body');
  t.is(span.attributes['rpc.request.body'], '{"a":1}');
  t.is(span.attributes['rpc.response.body'], '{"a":');
  t.deepEqual(span.attributes['ck.capture.truncated'], ['rpc.response.body']);
});

test('setMetadataAttributes: strings, repeated keys as arrays, -bin as base64, redaction', (t) => {
  const md = new Metadata();
  md.set('x-one', 'v');
  md.add('x-two', 'a');
  md.add('x-two', 'b');
  md.set('x-data-bin', Buffer.from([1, 2, 3]));
  md.set('authorization', 'Bearer s3cret');
  const span = fakeSpan();
  setMetadataAttributes(span, 'rpc.request.metadata.', md, redactor);
  t.deepEqual(span.attributes, {
    'rpc.request.metadata.x-one': 'v',
    'rpc.request.metadata.x-two': ['a', 'b'],
    'rpc.request.metadata.x-data-bin': 'AQID',
    'rpc.request.metadata.authorization': '[REDACTED]',
  });
  t.notThrows(() => setMetadataAttributes(span, 'p.', { junk: true }, redactor));
});

test('metadataHeaders gives filters the real values unless a redactor is passed', (t) => {
  const md = new Metadata();
  md.set('authorization', 'Bearer s3cret');
  md.set('x-bin', Buffer.from('hi'));
  t.deepEqual(metadataHeaders(md, undefined), { authorization: 'Bearer s3cret', 'x-bin': Buffer.from('hi').toString('base64') });
  t.deepEqual(metadataHeaders(md, redactor).authorization, '[REDACTED]');
});

test('singleMetadataValue: one string value only; several values come back as an array (invalid)', (t) => {
  const md = new Metadata();
  t.is(singleMetadataValue(md, 'ck-route'), undefined);
  md.set('ck-route', '1-4f1c2a9be07d3318-00');
  t.is(singleMetadataValue(md, 'ck-route'), '1-4f1c2a9be07d3318-00');
  md.add('ck-route', '1-4f1c2a9be07d3318-00');
  t.true(Array.isArray(singleMetadataValue(md, 'ck-route')));
  t.is(singleMetadataValue({}, 'ck-route'), undefined);
});
