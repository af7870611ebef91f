import test from 'ava';
import { isCkWrapper, unwrapMethod, wrapMethod } from '../../src/instrumentations/upstream';

test('wrapMethod is idempotent and removable; not shimmer-marked', (t) => {
  const proto: Record<string, unknown> = {
    query: function original() {
      return 'orig';
    },
  };
  const original = proto.query;
  const wrap = (fn: (this: unknown, ...a: unknown[]) => unknown) =>
    function wrapped(this: unknown) {
      return `ck(${String(fn.call(this))})`;
    };
  wrapMethod(proto, 'query', wrap);
  wrapMethod(proto, 'query', wrap);
  t.is((proto.query as () => string)(), 'ck(orig)');
  t.false('__wrapped' in (proto.query as object));
  unwrapMethod(proto, 'query');
  t.is(proto.query, original);
  unwrapMethod(proto, 'query');
  t.is(proto.query, original);
});

test('wrapMethod on an inherited method: unwrapping removes the own property again', (t) => {
  class Base {
    emit(): string {
      return 'base';
    }
  }
  class Server extends Base {}
  const proto = Server.prototype as unknown as Record<string, unknown>;
  wrapMethod(
    proto,
    'emit',
    (original) =>
      function gate(this: unknown) {
        return `gate(${String(original.call(this))})`;
      }
  );
  t.true(Object.prototype.hasOwnProperty.call(proto, 'emit'));
  t.true(isCkWrapper(proto.emit));
  t.is(new Server().emit(), 'gate(base)');
  unwrapMethod(proto, 'emit');
  t.false(Object.prototype.hasOwnProperty.call(proto, 'emit'), 'the own property is gone');
  t.is(new Server().emit(), 'base');
});

test('unwrapMethod leaves a wrapper someone stacked on top of ours', (t) => {
  const proto: Record<string, unknown> = { query: () => 'orig' };
  wrapMethod(proto, 'query', (original) => () => `ck(${String(original())})`);
  const ours = proto.query as () => string;
  proto.query = () => `theirs(${ours()})`;
  unwrapMethod(proto, 'query');
  t.is((proto.query as () => string)(), 'theirs(ck(orig))');
  t.false(
    wrapMethod({}, 'missing', (o) => o),
    'nothing to wrap'
  );
});
