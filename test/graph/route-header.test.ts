import test from 'ava';
import { CK_ROUTE_HEADER, formatRoute, isValidPathKey, MAX_ROUTE_HEADER_LENGTH, parseRoute } from '../../src/graph';

const VALID = '1-4f1c2a9be07d3318-00';

test('header name and format round trip', (t) => {
  t.is(CK_ROUTE_HEADER, 'ck-route');
  t.is(formatRoute('4f1c2a9be07d3318', 0), VALID);
  t.is(formatRoute('4f1c2a9be07d3318', 1), '1-4f1c2a9be07d3318-01');
  t.is(formatRoute('4f1c2a9be07d3318', 0xab), '1-4f1c2a9be07d3318-ab');
  t.is(formatRoute('4f1c2a9be07d3318', 0x1ff), '1-4f1c2a9be07d3318-ff', 'flags are one byte');
  t.deepEqual(parseRoute(VALID), { pathKey: '4f1c2a9be07d3318', flags: 0, raw: VALID });
  for (let flags = 0; flags < 256; flags++) {
    const parsed = parseRoute(formatRoute('0123456789abcdef', flags));
    t.is(parsed?.flags, flags);
    t.is(parsed?.pathKey, '0123456789abcdef');
  }
});

test('accepted shapes: surrounding whitespace is trimmed, a one-element array is a value', (t) => {
  t.deepEqual(parseRoute(`  ${VALID}\t`), { pathKey: '4f1c2a9be07d3318', flags: 0, raw: VALID });
  t.deepEqual(parseRoute([VALID]), { pathKey: '4f1c2a9be07d3318', flags: 0, raw: VALID });
  t.is(parseRoute('1-0000000000000000-01')?.flags, 1);
});

const INVALID: Array<[string, unknown]> = [
  ['missing', undefined],
  ['null', null],
  ['empty', ''],
  ['whitespace', '   '],
  ['version 0', '0-4f1c2a9be07d3318-00'],
  ['version 2', '2-4f1c2a9be07d3318-00'],
  ['version 01', '01-4f1c2a9be07d3318-00'],
  ['short key', '1-4f1c2a9be07d331-00'],
  ['long key', '1-4f1c2a9be07d33180-00'],
  ['short flags', '1-4f1c2a9be07d3318-0'],
  ['long flags', '1-4f1c2a9be07d3318-000'],
  ['non-hex key', '1-4f1c2a9be07d331g-00'],
  ['non-hex flags', '1-4f1c2a9be07d3318-0x'],
  ['upper-case key (decision: rejected)', '1-4F1C2A9BE07D3318-00'],
  ['upper-case flags (decision: rejected)', '1-4f1c2a9be07d3318-0A'],
  ['wrong separator', '1_4f1c2a9be07d3318_00'],
  ['trailing field', '1-4f1c2a9be07d3318-00-01'],
  ['inner whitespace', '1- 4f1c2a9be07d331-00'],
  ['extra text', `${VALID};x`],
  ['two values joined', `${VALID},${VALID}`],
  ['over 64 chars', `${VALID}${' '.repeat(MAX_ROUTE_HEADER_LENGTH)}`],
  ['huge', 'x'.repeat(10_000_000)],
  ['two-element array', [VALID, VALID]],
  ['empty array', []],
  ['array of number', [1]],
  ['nested array', [[VALID]]],
  ['number', 1],
  ['bigint', 1n],
  ['boolean', true],
  ['object', { value: VALID }],
  ['String object', new String(VALID)],
  ['function', () => VALID],
  ['symbol', Symbol('x')],
  ['fullwidth digit', '１-4f1c2a9be07d3318-00'],
];

for (const [name, value] of INVALID) {
  test(`invalid: ${name}`, (t) => {
    t.is(parseRoute(value), undefined);
  });
}

test('never throws, even for proxies and objects with throwing getters', (t) => {
  const revoked = Proxy.revocable([] as unknown[], {});
  revoked.revoke();
  const throwingArray = new Proxy([VALID], {
    get() {
      throw new Error('boom');
    },
  });
  const throwingObject = {
    toString() {
      throw new Error('boom');
    },
  };
  t.notThrows(() => t.is(parseRoute(revoked.proxy), undefined));
  t.notThrows(() => t.is(parseRoute(throwingArray), undefined));
  t.notThrows(() => t.is(parseRoute(throwingObject), undefined));
});

test('isValidPathKey', (t) => {
  t.true(isValidPathKey('0123456789abcdef'));
  t.false(isValidPathKey('0123456789ABCDEF'));
  t.false(isValidPathKey('0123456789abcde'));
  t.false(isValidPathKey(undefined));
  t.false(isValidPathKey(42));
});
