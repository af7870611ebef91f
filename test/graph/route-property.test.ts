/**
 * Property test: whatever arrives in a ck-route header, parseRoute never throws, accepts exactly
 * the valid values, and the propagator never injects anything derived from junk.
 */
import test from 'ava';
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { CKRoutePropagator, parseRoute } from '../../src/graph';

const CASES = 12_000;

/** Independent oracle: a regex over the trimmed single string value. */
const VALID_RE = /^1-[0-9a-f]{16}-[0-9a-f]{2}$/;
function oracle(value: unknown): string | undefined {
  const single = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  if (typeof single !== 'string' || single.length > 64) return undefined;
  const trimmed = single.trim();
  return VALID_RE.test(trimmed) ? trimmed : undefined;
}

/** Small deterministic PRNG (mulberry32) so a failure is reproducible from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';
const WHITESPACE = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\ufeff', '\u3000', '\u200b'];
const INTERESTING = ['-', '1', '0', 'A', 'F', 'g', ' ', '\0', 'é', '😀', '\ud800', ',', ';', '\r\n', 'ｆ'];

function generator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

  const validValue = () => {
    let s = '1-';
    for (let i = 0; i < 16; i++) s += HEX[int(16)];
    return s + '-' + HEX[int(16)] + HEX[int(16)];
  };
  const randomUnicode = () => {
    const length = int(201);
    let s = '';
    for (let i = 0; i < length; i++) {
      const r = rand();
      if (r < 0.4) s += String.fromCharCode(0x20 + int(95));
      else if (r < 0.6) s += pick(HEX.split(''));
      else if (r < 0.8) s += String.fromCharCode(int(0x10000));
      else s += String.fromCodePoint(int(0x110000));
    }
    return s;
  };
  const randomBytesString = () => randomBytes(int(201)).toString(rand() < 0.5 ? 'latin1' : 'utf8');
  const mutate = (v: string): string => {
    const at = int(v.length + 1);
    switch (int(8)) {
      case 0: // replace one char
        return v.slice(0, at) + pick(INTERESTING) + v.slice(at + 1);
      case 1: // insert
        return v.slice(0, at) + pick(INTERESTING) + v.slice(at);
      case 2: // delete
        return v.slice(0, at) + v.slice(at + 1);
      case 3: // upper-case
        return v.toUpperCase();
      case 4: // surrounding whitespace (valid after trim when nothing else changed)
        return pick(WHITESPACE) + v + pick(WHITESPACE);
      case 5: // swap version
        return String(int(10)) + v.slice(1);
      case 6: // duplicate
        return v + (rand() < 0.5 ? ',' : '') + v;
      default: // pad to around the length limit
        return v + ' '.repeat(int(60));
    }
  };

  return (): unknown => {
    switch (int(10)) {
      case 0:
        return validValue();
      case 1:
      case 2:
        return mutate(validValue());
      case 3:
        return mutate(mutate(validValue()));
      case 4:
        return randomUnicode();
      case 5:
        return randomBytesString();
      case 6: {
        const length = int(4);
        const gen = generator(rand);
        return Array.from({ length }, () => (rand() < 0.5 ? validValue() : gen()));
      }
      case 7:
        return pick([int(1e9), -1, NaN, Infinity, 0.5, 10n ** 20n, true, false, null, undefined]);
      case 8:
        return pick([
          {},
          { 'ck-route': validValue() },
          new String(validValue()),
          [[validValue()]],
          new Uint8Array(21),
          Symbol('r'),
          () => 1,
        ]);
      default:
        return ' '.repeat(int(3)) + validValue() + pick(WHITESPACE).repeat(int(3));
    }
  };
}

test(`parseRoute and the propagator on ${CASES} random header values`, (t) => {
  const seed = Date.now() >>> 0;
  t.log(`seed ${seed}`);
  const next = generator(prng(seed));
  const propagator = new CKRoutePropagator();
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < CASES; i++) {
    const value = next();
    const describe = () =>
      `case ${i} (seed ${seed}): ${typeof value === 'symbol' ? 'symbol' : JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    let parsed;
    try {
      parsed = parseRoute(value);
    } catch (err) {
      t.fail(`parseRoute threw on ${describe()}: ${String(err)}`);
      return;
    }
    const expected = oracle(value);
    if (expected === undefined) {
      if (parsed !== undefined) {
        t.fail(`accepted junk: ${describe()}`);
        return;
      }
      invalid++;
    } else {
      if (
        parsed === undefined ||
        parsed.raw !== expected ||
        parsed.pathKey !== expected.slice(2, 18) ||
        parsed.flags !== parseInt(expected.slice(19), 16)
      ) {
        t.fail(`rejected or misparsed a valid value: ${describe()} → ${JSON.stringify(parsed)}`);
        return;
      }
      valid++;
    }

    // Propagator: extract, then inject; junk must never come out the other side.
    let onInvalidCalls = 0;
    const countingPropagator = new CKRoutePropagator(() => onInvalidCalls++);
    const carrier = { 'ck-route': value };
    const ctx = countingPropagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    const out: Record<string, string> = {};
    propagator.inject(ctx, out, defaultTextMapSetter);
    if (expected === undefined) {
      const absent = value === undefined || value === null || (Array.isArray(value) && value.length === 0);
      if (ctx !== ROOT_CONTEXT || Object.keys(out).length !== 0 || onInvalidCalls !== (absent ? 0 : 1)) {
        t.fail(`propagator let junk through or miscounted: ${describe()} → ${JSON.stringify(out)}, onInvalid=${onInvalidCalls}`);
        return;
      }
    } else if (out['ck-route'] !== expected || onInvalidCalls !== 0) {
      t.fail(`pass-through changed a valid value: ${describe()} → ${JSON.stringify(out)}`);
      return;
    }
  }
  t.log(`${valid} valid, ${invalid} invalid`);
  t.true(valid > CASES / 10, 'the generator produces enough valid values to test acceptance');
  t.true(invalid > CASES / 2, 'the generator produces enough junk');
});

test('huge values are rejected by length before any scan or copy', (t) => {
  const huge = '1-4f1c2a9be07d3318-00' + ' '.repeat(50_000_000);
  t.is(parseRoute(huge), undefined);
  t.is(parseRoute([huge]), undefined);
});
