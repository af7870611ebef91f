import test from 'ava';
import { REDACTED, Redactor } from '../../src/capture/redaction';
import { SCAN_UNDECIDED, scanRedactJson } from '../../src/capture/json-redact';

const DEFAULT_KEYS = ['pass', 'secret', 'token', 'api[-_]?key', 'authorization', 'credential', 'card[-_]?number', 'cvv', 'ssn'];
const redactor = new Redactor({ headerNames: [], bodyKeys: DEFAULT_KEYS });
const isKey = (k: string): boolean => redactor.isRedactedKey(k);
const isDefaultKey = isKey;
const RJ = JSON.stringify(REDACTED);

/** The reference: parse, replace matching keys' values at any depth, stringify (the slow path). */
function reference(text: string, isKey: (k: string) => boolean = isDefaultKey): string | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (root === null || typeof root !== 'object') return text;
  let changed = false;
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop() as Record<string, unknown>;
    if (Array.isArray(node)) {
      for (const v of node) if (v !== null && typeof v === 'object') stack.push(v);
      continue;
    }
    for (const k of Object.keys(node)) {
      if (isKey(k)) {
        node[k] = REDACTED;
        changed = true;
      } else if (node[k] !== null && typeof node[k] === 'object') stack.push(node[k]);
    }
  }
  return changed ? JSON.stringify(root) : text;
}

test('scan answers common bodies itself, byte-identical to parse + stringify', (t) => {
  const cases = [
    '{"user":"bob","password":"hunter2"}',
    '{"a":{"b":[{"apiKey":"k1"},{"api_key":"k2","ok":1}]},"Token":{"x":[1,{"y":2}]}}',
    '{"cvv":123,"cardNumber":4111,"n":-12.5,"e":true,"f":false,"z":null}',
    '[{"secret":[1,2,[3]]},{"ok":"a \\"quoted\\" \\\\ \\n line"}]',
    '{ "user" : "bob", "pass" : { "x" : 1 } , "list" : [ 1 , 2 ] }',
    '{"token":"x","nested":{"token":"y"}}',
    '{"emoji":"\u{1F600}","password":"p"}',
    '{}',
    '[]',
    '{"a":[]}',
  ];
  for (const text of cases) {
    const scanned = scanRedactJson(text, isKey, RJ, 100_000);
    t.not(scanned, SCAN_UNDECIDED, text);
    t.is(scanned, reference(text) as string, text);
    t.is(redactor.json(text), reference(text), text);
  }
});

test('scan leaves to parse + stringify what only a parse can tell, and the result is still the same', (t) => {
  const cases = [
    '{"a":1,"a":2,"password":"x"}', // duplicate key: last value wins
    '{"b":1,"1":2,"token":"x"}', // index-like key: ordered first by V8
    '{"pass\\u0077ord":"x"}', // escaped key
    '{"password":"x","n":1.50}', // number printed differently
    '{"password":"x","n":1e2}',
    '{"password":"x","n":-0}',
    '{"password":"x","s":"\\u0041\\/"}', // escapes stringify prints differently
    '{"password":"x","s":"\ud800"}', // lone surrogate
    '{"password":"x"} trailing',
    '{"password":"x",}',
    '"password"',
    '{"password":"x","big":12345678901234567890}',
  ];
  for (const text of cases) {
    t.is(redactor.json(text), reference(text), text);
  }
  t.is(scanRedactJson('{"a":1,"a":2,"password":"x"}', isKey, RJ, 100_000), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"pass\\u0077ord":"x"}', isKey, RJ, 100_000), SCAN_UNDECIDED);
});

test('bounds: more containers than the node limit or invalid JSON are undecided', (t) => {
  t.is(scanRedactJson('[[[[[]]]]]', isKey, RJ, 3), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"password":[[[[1]]]]}', isKey, RJ, 3), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"a":tru}', isKey, RJ, 100), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"a":"x\u0001"}', isKey, RJ, 100), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"a":01}', isKey, RJ, 100), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"password":01}', isKey, RJ, 100), SCAN_UNDECIDED);
  t.is(scanRedactJson('{"a":"b"', isKey, RJ, 100), SCAN_UNDECIDED);
});

/** Deterministic pseudo-random JSON texts (keys from a small set, some matching, some odd). */
function generator(seed: number): () => string {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const keys = [
    'user',
    'password',
    'Token',
    'a',
    'b',
    'id',
    '1',
    '07',
    'api-key',
    'items',
    'ssnx',
    'pass\\u0077',
    'note',
    'a',
    '',
    'xpassx',
    'mypass',
    'pin',
    'pa\\"ss',
    'p\\nass',
    'tok en',
    'x'.repeat(300) + 'token',
  ];
  const scalars = [
    '1',
    '-2',
    '0',
    '-0',
    '1.5',
    '1.50',
    '2e3',
    '12345678901234567',
    'true',
    'false',
    'null',
    '"x"',
    '"a\\"b"',
    '"\\u00e9"',
    '"\\/"',
    '"é"',
    '""',
    '"password"',
    '"token=1; pass: x"',
    '"{\\"secret\\":1}"',
    '"line\\nnext"',
    '0.000001',
    '0.0000001',
    '-0.5',
    '123456789012345',
    '1234567890123456',
    '99.990',
    '1.0000000000000001',
    '"raw\nnewline"',
    '"raw\rreturn"',
  ];
  const ws = (): string => (rnd(6) === 0 ? [' ', '\n', '\t', '  ', '\r\n'][rnd(5)] : '');
  const value = (depth: number): string => {
    const r = rnd(depth > 3 ? 2 : 4);
    if (r < 2) return scalars[rnd(scalars.length)];
    if (r === 2) {
      const items = Array.from({ length: rnd(4) }, () => ws() + value(depth + 1) + ws());
      return `[${items.join(',')}]`;
    }
    const members = Array.from({ length: rnd(5) }, () => `${ws()}"${keys[rnd(keys.length)]}"${ws()}:${ws()}${value(depth + 1)}${ws()}`);
    return `{${members.join(',')}}`;
  };
  return () => {
    const v = value(0);
    return ws() + (v.startsWith('{') || v.startsWith('[') ? v : `{"v":${v}}`) + ws();
  };
}

test('differential: 20 000 generated texts give what parse + walk + stringify gives', (t) => {
  const next = generator(14);
  let decided = 0;
  let mismatches = 0;
  for (let k = 0; k < 20000; k++) {
    const text = next();
    const expected = reference(text);
    if (redactor.json(text) !== expected) {
      mismatches++;
      if (mismatches < 5) t.log(text, redactor.json(text), expected);
    }
    if (scanRedactJson(text, isKey, RJ, 100_000) !== SCAN_UNDECIDED) decided++;
  }
  t.is(mismatches, 0);
  // Most texts are decided by the scan (the fast path really runs).
  t.true(decided > 5000, `scan decided ${decided}`);
});

/** What body() must give for a JSON body: the JSON result, or the text fallback for non-JSON. */
function referenceBody(r: Redactor, text: string, isKey: (k: string) => boolean): string {
  if (text.length === 0) return text;
  const json = reference(text, isKey);
  return json !== undefined ? json : r.text(text);
}

test('edge cases: scan with the native key search, json() and body() agree with the reference', (t) => {
  const cases = [
    '{"pass\\u0077ord":"x","a":1}', // escaped key: decoded before matching
    '{"a":{"b":{"c":[{"token":{"deep":[1,2]}}]}},"z":0}', // nested, object as the redacted value
    '[[{"secret":null}],[{"cvv":true},{"ssn":false}],{"apiKey":[]},{"api_key":{}}]', // arrays, literals
    '{"password":1,"password":2}', // duplicate matching key: last value at the first key's place
    '{"a":1,"b":{"a":2,"a":3},"token":"t"}', // duplicate in a nested object
    '{"note":"password: x, token=1","text":"\\"secret\\": 2","pw":"pass"}', // key-like text in values only
    '{"note":"password","token":"x"}',
    '{"":1,"token":2,"x":""}', // empty key and value
    ' \r\n{ "token" :\t"x" ,\n "list" : [ 1 , { "pass" : 2 } ] }\n', // whitespace everywhere
    '{"user":"bob","password":"hun', // cut at the capture limit: text fallback
    '{"user":"bob","password":"hunter2"},', // trailing garbage
    '{"user":"bob" "password":"x"}', // missing comma
    '{"password":"x","raw":"a\tb"}', // raw control characters: invalid JSON
    '{"password":"x","raw":"a\nb"}',
    '{"password":"x","raw":"a\rb"}',
    '{"password":"x","raw":"a\u0001b"}',
    '{"password":"x","n":1.0000000000000001}',
    '{"password":"x","n":[1.0,1e3,-0,0.1,100,1.25e-7]}',
    '{"password":"x","s":"\\u00e9\\/"}',
    '{"b":1,"10":2,"token":"x"}', // index-like key
    '{"tokens":[{"id":1}],"items":[{"password":"a","n":{"password":"b"}}]}',
  ];
  for (const text of cases) {
    const expected = reference(text);
    t.is(redactor.json(text), expected, text);
    const scanned = scanRedactJson(text, isKey, RJ, 100_000, {
      re: /pass|secret|token|api[-_]?key|authorization|credential|card[-_]?number|cvv|ssn/gi,
      maxKeyLength: 256,
    });
    if (scanned !== SCAN_UNDECIDED) t.is(scanned, expected as string, text);
    t.is(redactor.body(text, 'application/json'), referenceBody(redactor, text, isKey), text);
  }
});

test('differential at body level: generated texts, whole and cut at random lengths', (t) => {
  const next = generator(1414);
  let mismatches = 0;
  let s = 7;
  for (let k = 0; k < 6000; k++) {
    let text = next();
    if (k % 3 === 0) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      text = text.slice(0, s % (text.length + 1)); // a body cut at the capture limit
    }
    const expected = referenceBody(redactor, text, isKey);
    const got = redactor.body(text, 'application/json');
    if (got !== expected) {
      mismatches++;
      if (mismatches < 5) t.log(JSON.stringify(text), got, expected);
    }
  }
  t.is(mismatches, 0);
});

test('differential: custom patterns (empty matches, matches across quotes, lookahead, anchors)', (t) => {
  const patternSets = [
    ['a*'],
    ['rd"'],
    ['s"\\s*:'],
    ['pass(?!word)'],
    ['pass(?!")'],
    ['^pin$', 'x'],
    ['t.k'],
    ['\\w{300}'],
    ['(a)\\1', 'sec'],
  ];
  for (const bodyKeys of patternSets) {
    const custom = new Redactor({ headerNames: [], bodyKeys });
    const customKey = (k: string): boolean => custom.isRedactedKey(k);
    const next = generator(bodyKeys.length * 31 + bodyKeys[0].length);
    let mismatches = 0;
    for (let k = 0; k < 3000; k++) {
      const text = next();
      const expected = reference(text, customKey);
      if (custom.json(text) !== expected || custom.body(text, 'application/json') !== referenceBody(custom, text, customKey)) {
        mismatches++;
        if (mismatches < 3) t.log(bodyKeys, text, custom.json(text), expected);
      }
    }
    t.is(mismatches, 0, bodyKeys.join(' '));
  }
});

test('a large body (reused scan arrays released afterwards) and a small one after it', (t) => {
  const large = JSON.stringify({ items: Array.from({ length: 3000 }, (_, i) => ({ i, n: 1.25e-9, password: 'x' })) }, null, 1);
  for (const text of [large, '{ "token" : 1, "a" : [ 2.5e-9 ] }', large]) t.is(redactor.json(text), reference(text));
});
