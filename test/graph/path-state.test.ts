import test from 'ava';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  contextWithPathState,
  FLAG_FORCE_CAPTURE,
  getExtractedPathState,
  getPathKey,
  getPathState,
  httpServiceElement,
  parseRoute,
  pathKey,
  PathState,
  ROOT_KEY,
  type GraphElement,
} from '../../src/graph';

const SPAN_CONTEXT = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

test('a new state is an external entry until an entry element is set', (t) => {
  const state = new PathState('orders');
  t.is(state.serviceName, 'orders');
  t.is(state.parentKey, ROOT_KEY);
  t.is(state.key, ROOT_KEY);
  t.is(state.flags, 0);
  t.false(state.forceCapture);
  t.is(state.entry, undefined);
  const entry = httpServiceElement('GET', '/orders/:id');
  state.setEntry(entry);
  t.is(state.entry, entry);
  t.is(state.key, pathKey(ROOT_KEY, 'orders', entry));
});

test('setEntry updates the key when the route becomes known, and is stable for equal elements', (t) => {
  const state = new PathState('orders', 'aaaaaaaaaaaaaaaa');
  state.setEntry(httpServiceElement('GET', '/orders/{id}'));
  const templateKey = state.key;
  state.setEntry(httpServiceElement('GET', '/orders/:id')); // Express matched the route later
  t.not(state.key, templateKey);
  t.is(state.key, pathKey('aaaaaaaaaaaaaaaa', 'orders', httpServiceElement('GET', '/orders/:id')));
  // An equal but distinct, mutable element object gives the same key.
  const copy: GraphElement = { type: 'HTTP_SERVICE', name: 'GET /orders/:id', role: 'entry' };
  const before = state.key;
  state.setEntry(copy);
  t.is(state.key, before);
  // A mutated element object is re-read, not trusted by identity.
  copy.name = 'GET /other';
  state.setEntry(copy);
  t.is(state.key, pathKey('aaaaaaaaaaaaaaaa', 'orders', copy));
});

test('setEntry notices direct changes of parentKey / serviceName', (t) => {
  const entry = httpServiceElement('GET', '/x');
  const state = new PathState('a');
  state.setEntry(entry);
  state.parentKey = 'bbbbbbbbbbbbbbbb';
  state.setEntry(entry);
  t.is(state.key, pathKey('bbbbbbbbbbbbbbbb', 'a', entry));
  state.serviceName = 'b';
  state.setEntry(entry);
  t.is(state.key, pathKey('bbbbbbbbbbbbbbbb', 'b', entry));
});

test('setIncoming adopts a route read by a wrapper and recomputes the key', (t) => {
  const entry = httpServiceElement('POST', '/pay');
  const state = new PathState('payments');
  state.setIncoming(parseRoute('1-1111111111111111-00')!);
  t.is(state.key, '1111111111111111', 'no entry yet: key = parent');
  state.setEntry(entry);
  t.is(state.key, pathKey('1111111111111111', 'payments', entry));
  state.setIncoming(parseRoute('1-2222222222222222-01')!);
  t.is(state.parentKey, '2222222222222222');
  t.is(state.incomingRoute, '1-2222222222222222-01');
  t.is(state.key, pathKey('2222222222222222', 'payments', entry));
  t.true(state.forceCapture);
  state.setIncoming(parseRoute('1-2222222222222222-00')!);
  t.true(state.forceCapture, 'force capture is sticky (flags OR-ed)');
});

test('fromRoute is a pass-through state', (t) => {
  const state = PathState.fromRoute(parseRoute('1-4f1c2a9be07d3318-01')!);
  t.is(state.key, '4f1c2a9be07d3318');
  t.is(state.parentKey, '4f1c2a9be07d3318');
  t.is(state.flags, FLAG_FORCE_CAPTURE);
  t.true(state.forceCapture);
  t.is(state.incomingRoute, '1-4f1c2a9be07d3318-01');
  t.is(state.entry, undefined);
});

test('context value: set, read, and getPathKey', (t) => {
  t.is(getPathState(ROOT_CONTEXT), undefined);
  t.is(getPathKey(ROOT_CONTEXT), undefined);
  t.is(getPathKey(), undefined, 'no active request');
  const state = new PathState('s', '3333333333333333');
  const ctx = contextWithPathState(ROOT_CONTEXT, state);
  t.is(getPathState(ctx), state);
  t.is(getExtractedPathState(ctx), state);
  t.is(getPathKey(ctx), '3333333333333333');
  t.is(getPathState(ROOT_CONTEXT), undefined, 'contexts are immutable');
});

test('getPathKey() defaults to the active context', (t) => {
  const manager = new AsyncLocalStorageContextManager().enable();
  t.true(context.setGlobalContextManager(manager));
  try {
    const ctx = contextWithPathState(ROOT_CONTEXT, new PathState('s', '6666666666666666'));
    t.is(
      context.with(ctx, () => getPathKey()),
      '6666666666666666'
    );
    t.is(getPathKey(), undefined);
  } finally {
    context.disable();
  }
});

test("the active span's pathState wins over the extracted context value", (t) => {
  const extracted = new PathState('', '4444444444444444');
  const own = new PathState('svc', '4444444444444444');
  own.setEntry(httpServiceElement('GET', '/own'));
  const span = trace.wrapSpanContext(SPAN_CONTEXT) as ReturnType<typeof trace.wrapSpanContext> & { pathState?: unknown };
  span.pathState = own;
  const ctx = trace.setSpan(contextWithPathState(ROOT_CONTEXT, extracted), span);
  t.is(getPathState(ctx), own);
  t.is(getExtractedPathState(ctx), extracted);
  t.is(getPathKey(ctx), own.key);
});

test('a span without a PathState (vanilla span, or junk in pathState) falls back to the context value', (t) => {
  const extracted = new PathState('', '5555555555555555');
  const span = trace.wrapSpanContext(SPAN_CONTEXT) as ReturnType<typeof trace.wrapSpanContext> & { pathState?: unknown };
  span.pathState = { key: 'not-a-state' };
  const ctx = trace.setSpan(contextWithPathState(ROOT_CONTEXT, extracted), span);
  t.is(getPathState(ctx), extracted);
  t.is(getPathState(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(SPAN_CONTEXT))), undefined);
});
