import test from 'ava';
import { REDACTED, Redactor } from '../../src/capture/redaction';
import { captureAgentLog } from '../../fixtures/agent-log';

const agentLog = captureAgentLog();

const DEFAULT_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-csrf-token'];
const DEFAULT_KEYS = ['pass', 'secret', 'token', 'api[-_]?key', 'authorization', 'credential', 'card[-_]?number', 'cvv', 'ssn'];
const redactor = new Redactor({ headerNames: DEFAULT_HEADERS, bodyKeys: DEFAULT_KEYS });

test('header values by name, case-insensitive, arrays keep their shape', (t) => {
  t.is(redactor.headerValue('Authorization', 'Bearer abc'), REDACTED);
  t.deepEqual(redactor.headerValue('set-cookie', ['a=1', 'b=2']), [REDACTED, REDACTED]);
  t.is(redactor.headerValue('content-type', 'application/json'), 'application/json');
  t.deepEqual(redactor.redactHeaders({ cookie: 'sid=1', 'x-Api-Key': 'k', 'content-length': 12, x: undefined }), {
    cookie: REDACTED,
    'x-Api-Key': REDACTED,
    'content-length': '12',
  });
});

const table: Array<[string, string, string | undefined, string]> = [
  ['JSON top level', '{"user":"bob","password":"hunter2"}', 'application/json', '{"user":"bob","password":"[REDACTED]"}'],
  [
    'JSON nested and in arrays',
    '{"a":{"b":[{"apiKey":"k1"},{"api_key":"k2","ok":1}]},"Token":{"x":1}}',
    'application/json; charset=utf-8',
    '{"a":{"b":[{"apiKey":"[REDACTED]"},{"api_key":"[REDACTED]","ok":1}]},"Token":"[REDACTED]"}',
  ],
  ['JSON number values', '{"cvv":123,"cardNumber":4111}', 'application/json', '{"cvv":"[REDACTED]","cardNumber":"[REDACTED]"}'],
  ['JSON untouched keeps its formatting', '{ "user" : "bob" }', 'application/json', '{ "user" : "bob" }'],
  ['JSON scalar root', '"password"', 'application/json', '"password"'],
  [
    'form-urlencoded',
    'user=bob&password=hunter2&client_secret=s&x',
    'application/x-www-form-urlencoded',
    `user=bob&password=${REDACTED}&client_secret=${REDACTED}&x`,
  ],
  ['form key encoded', 'pass%77ord=x&a=b', 'application/x-www-form-urlencoded', `pass%77ord=${REDACTED}&a=b`],
  [
    'invalid JSON falls back to text',
    '{"password": "hunter2", "user": "bob"',
    'application/json',
    '{"password": "[REDACTED]", "user": "bob"',
  ],
  ['cut JSON string value', '{"user":"bob","token":"abcdef', 'application/json', '{"user":"bob","token":"[REDACTED]"'],
  ['text key=value', 'login user=bob password=hunter2; ssn=123-45', 'text/plain', `login user=bob password=${REDACTED}; ssn=${REDACTED}`],
  ['text key: value', 'authorization: Basic xyz\nhost: a', 'text/plain', `authorization: ${REDACTED}\nhost: a`],
  [
    'graphql text',
    '{"query":"{ me }","variables":{"secretCode":"s"}}',
    'application/graphql',
    '{"query":"{ me }","variables":{"secretCode":"[REDACTED]"}}',
  ],
];

for (const [name, input, contentType, expected] of table) {
  test(`body: ${name}`, (t) => {
    t.is(redactor.body(input, contentType), expected);
  });
}

test('binary junk with a JSON content type does not throw and keeps the length bounded', (t) => {
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)).toString('utf8');
  const out = redactor.body(junk, 'application/json');
  t.is(typeof out, 'string');
  t.true(out.length <= junk.length + 1000);
});

test('deeply nested JSON is handled without recursion', (t) => {
  const deep = '['.repeat(50_000) + '{"password":"x"}' + ']'.repeat(50_000);
  const out = redactor.body(deep, 'application/json');
  t.false(out.includes('"x"'));
});

test('very many nodes: falls back to text redaction, still redacts', (t) => {
  const items = Array.from({ length: 120_000 }, (_, i) => `{"i":${i}}`).join(',');
  const body = `[${items},{"password":"hunter2"}]`;
  const out = redactor.body(body, 'application/json');
  t.false(out.includes('hunter2'));
});

test('empty lists turn redaction off', (t) => {
  const off = new Redactor({ headerNames: [], bodyKeys: [] });
  t.false(off.headersEnabled);
  t.false(off.bodyEnabled);
  t.is(off.headerValue('authorization', 'x'), 'x');
  t.is(off.body('{"password":"x"}', 'application/json'), '{"password":"x"}');
});

test('custom patterns, invalid ones skipped', (t) => {
  const custom = new Redactor({ headerNames: ['X-Custom'], bodyKeys: ['^pin$', '(unclosed'] });
  t.is(custom.headerValue('x-custom', 'v'), REDACTED);
  t.is(custom.body('{"pin":"1","pinned":"2"}', 'application/json'), '{"pin":"[REDACTED]","pinned":"2"}');
  t.is(agentLog.matching('warn', /redaction\.body_keys: invalid pattern "\(unclosed" skipped/).length, 1);
});

test('escaped keys cannot slip past the fast path', (t) => {
  t.is(redactor.body('{"p\\u0061ssword":"x","a":1}', 'application/json'), '{"password":"[REDACTED]","a":1}');
  t.is(redactor.body('%70assword=x&a=1', 'application/x-www-form-urlencoded'), `%70assword=${REDACTED}&a=1`);
  const untouched = '{"user":"bob","items":[1,2,3]}';
  t.is(redactor.body(untouched, 'application/json'), untouched);
  // Escapes that cannot spell a default pattern, and form escapes in JSON, leave the text as is.
  const escaped = '{"note":"a \\"quoted\\" line\\nnext \\/ \\\\","url":"a%20b+c"}';
  t.is(redactor.body(escaped, 'application/json'), escaped);
  t.is(redactor.body('{"p\\u0061ss":1,"x":"\\n"}', 'application/json'), '{"pass":"[REDACTED]","x":"\\n"}');
  t.is(redactor.body('pa+ss=1&pass%20x=2', 'application/x-www-form-urlencoded'), `pa+ss=1&pass%20x=${REDACTED}`);
  // A pattern that can match what an escape decodes to: the key is decoded before matching.
  const slash = new Redactor({ headerNames: [], bodyKeys: ['a/b'] });
  t.is(slash.body('{"a\\/b":1,"c":2}', 'application/json'), '{"a/b":"[REDACTED]","c":2}');
});
