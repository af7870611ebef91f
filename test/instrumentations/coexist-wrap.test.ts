/**
 * CK's shimmer wrappers beside another instance of the same upstream
 * (src/instrumentations/coexist-wrap.ts): the two instances here install their wrappers exactly
 * as upstream's module patches do (`if (isWrapped(m)) this._unwrap(...)`, then `this._wrap`),
 * with shimmer's own wrap/unwrap, on a plain class. The real drivers with a real sdk-node are in
 * test/integration/datastore-coexistence.test.ts.
 */
import test from 'ava';
import { context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isWrapped } from '@opentelemetry/instrumentation';
import * as shimmer from 'shimmer';
import { checkPlacements, keepWrappersBesideVanilla } from '../../src/instrumentations/coexist-wrap';
import { installWrapperSafetyNet } from '../../src/instrumentations/safe-wrap';
import { logger, type LogLevel } from '../../src/logger';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const lines: Array<[LogLevel, string]> = [];
logger.setSink((level, message) => lines.push([level, message]));
const warnings = (): string[] => lines.filter(([level]) => level === 'warn').map(([, m]) => m);

const WHO = createContextKey('who made the active context');

type Fn = (this: any, ...args: any[]) => any;

/** One instance of an upstream-like instrumentation: wraps `Driver.prototype.query`. */
class FakeUpstream {
  _wrap = shimmer.wrap as unknown as (n: unknown, name: string, w: unknown) => unknown;
  _unwrap = shimmer.unwrap as unknown as (n: unknown, name: string) => unknown;
  readonly seen: unknown[] = [];
  constructor(readonly label: string) {}

  patch(prototype: { query: Fn }): void {
    if (isWrapped(prototype.query)) this._unwrap(prototype, 'query');
    const { seen, label } = this;
    this._wrap(
      prototype,
      'query',
      (original: Fn) =>
        function query(this: unknown, ...args: unknown[]): unknown {
          seen.push(context.active().getValue(WHO));
          // like upstream's db wrappers: the original runs with this instrumentation's span active
          return context.with(context.active().setValue(WHO, label), () => original.apply(this, args));
        }
    );
  }

  unpatch(prototype: { query: Fn }): void {
    if (isWrapped(prototype.query)) this._unwrap(prototype, 'query');
  }
}

/** A driver class of its own per test, counting calls of the real method. */
function setup(): { proto: { query: Fn }; calls: () => number; ck: FakeUpstream; vanilla: FakeUpstream } {
  let calls = 0;
  class Driver {
    query(text: string): string {
      calls++;
      return `rows of ${text}`;
    }
  }
  const ck = new FakeUpstream('ck');
  installWrapperSafetyNet(ck, '@opentelemetry/instrumentation-fake');
  keepWrappersBesideVanilla(ck, '@opentelemetry/instrumentation-fake');
  return { proto: Driver.prototype, calls: () => calls, ck, vanilla: new FakeUpstream('vanilla') };
}

function call(proto: { query: Fn }): unknown {
  const target = Object.create(proto) as { query: Fn };
  return context.with(context.active().setValue(WHO, 'request'), () => target.query('SELECT 1'));
}

test.serial('ck first: a vanilla instance that unwrapped ours gets ours back on top; both record once', (t) => {
  lines.length = 0;
  const { proto, calls, ck, vanilla } = setup();
  ck.patch(proto);
  vanilla.patch(proto); // unwraps ours, as upstream does
  t.is(call(proto), 'rows of SELECT 1');
  t.deepEqual([ck.seen.length, vanilla.seen.length], [0, 1], 'before the check: only the vanilla wrapper runs');
  checkPlacements();
  t.is(call(proto), 'rows of SELECT 1');
  t.deepEqual(ck.seen, ['request']);
  t.deepEqual(vanilla.seen, ['request', 'request'], "the vanilla wrapper runs in the caller's context, not ours");
  t.is(calls(), 2);
  checkPlacements();
  call(proto);
  t.is(ck.seen.length, 2, 'not applied twice');
  t.deepEqual(warnings(), []);
});

test.serial('sdk first: ours goes on top of the vanilla wrapper instead of unwrapping it', (t) => {
  lines.length = 0;
  const { proto, calls, ck, vanilla } = setup();
  vanilla.patch(proto);
  ck.patch(proto);
  checkPlacements();
  call(proto);
  t.deepEqual(ck.seen, ['request']);
  t.deepEqual(vanilla.seen, ['request']);
  t.is(calls(), 1);
  t.deepEqual(warnings(), []);
});

test.serial('CK disabled after restacking: the vanilla wrapper stays and works, ours is gone', (t) => {
  lines.length = 0;
  const { proto, calls, ck, vanilla } = setup();
  ck.patch(proto);
  vanilla.patch(proto);
  checkPlacements();
  ck.unpatch(proto);
  checkPlacements();
  call(proto);
  t.deepEqual(ck.seen, []);
  t.deepEqual(vanilla.seen, ['request']);
  t.is(calls(), 1);
  vanilla.unpatch(proto);
  call(proto);
  t.is(calls(), 2);
  t.false(isWrapped(proto.query), 'the driver method itself again');
  t.deepEqual(warnings(), []);
});

for (const order of ['ck first', 'sdk first'] as const) {
  test.serial(`${order}, then the vanilla instance unpatches (its disable()): its wrapper goes, ours stays`, (t) => {
    lines.length = 0;
    const { proto, calls, ck, vanilla } = setup();
    if (order === 'ck first') {
      ck.patch(proto);
      vanilla.patch(proto);
    } else {
      vanilla.patch(proto);
      ck.patch(proto);
    }
    checkPlacements();
    vanilla.unpatch(proto);
    checkPlacements();
    call(proto);
    t.deepEqual(ck.seen, ['request']);
    t.deepEqual(vanilla.seen, []);
    t.is(calls(), 1);
    ck.unpatch(proto);
    call(proto);
    t.deepEqual(ck.seen, ['request'], 'and CK disable still removes ours');
    t.false(isWrapped(proto.query));
    t.is(calls(), 2);
    t.deepEqual(warnings(), []);
  });
}

test.serial('no false alarm: CK re-patching itself, or a wrapper stacked on ours, changes nothing', (t) => {
  lines.length = 0;
  const { proto, ck } = setup();
  ck.patch(proto);
  ck.patch(proto);
  checkPlacements();
  const ours = proto.query;
  shimmer.wrap(
    proto,
    'query',
    (original: Fn) =>
      function stacked(this: unknown, ...args: unknown[]): unknown {
        return original.apply(this, args);
      }
  );
  const stacked = proto.query;
  checkPlacements();
  t.is(proto.query, stacked, 'a wrapper around ours is left as it is');
  t.is((stacked as { __original?: unknown }).__original, ours);
  call(proto);
  t.deepEqual(ck.seen, ['request']);
  t.deepEqual(lines, []);
});

test.serial('the method replaced by one that does not call ours: one warning naming the instrumentation and the fix', (t) => {
  lines.length = 0;
  const { proto, ck } = setup();
  ck.patch(proto);
  proto.query = function replaced(): string {
    return 'elsewhere';
  };
  checkPlacements();
  ck.patch(proto);
  proto.query = function replacedAgain(): string {
    return 'elsewhere';
  };
  checkPlacements();
  t.is(warnings().length, 1);
  t.regex(warnings()[0], /query\(\) \(@opentelemetry\/instrumentation-fake\)/);
  t.regex(warnings()[0], /getNodeAutoInstrumentations\(\{ '@opentelemetry\/instrumentation-fake': \{ enabled: false \} \}\)/);
});
