import test from 'ava';
import { defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { CKConfig, PropagationFormat } from '../../src/config/types';
import {
  CKRoutePropagator,
  contextWithPathState,
  createCompositePropagator,
  getExtractedPathState,
  getPathKey,
  getPathState,
  httpServiceElement,
  PathState,
} from '../../src/graph';
import { captureAgentLog } from '../../fixtures/agent-log';

const agentLog = captureAgentLog();

type Carrier = Record<string, unknown>;

function inject(propagator: { inject(c: Context, carrier: unknown, setter: typeof defaultTextMapSetter): void }, ctx: Context): Carrier {
  const carrier: Carrier = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

function extract(propagator: CKRoutePropagator, carrier: Carrier, ctx: Context = ROOT_CONTEXT): Context {
  return propagator.extract(ctx, carrier, defaultTextMapGetter);
}

test('fields() is [ck-route]', (t) => {
  const propagator = new CKRoutePropagator();
  t.deepEqual(propagator.fields(), ['ck-route']);
  propagator.fields().push('mutated');
  t.deepEqual(propagator.fields(), ['ck-route'], 'callers cannot mutate the shared list');
});

test('extract of a valid route: getPathKey is the received key, flags kept', (t) => {
  const ctx = extract(new CKRoutePropagator(), { 'ck-route': '1-4f1c2a9be07d3318-01' });
  t.is(getPathKey(ctx), '4f1c2a9be07d3318');
  const state = getExtractedPathState(ctx)!;
  t.true(state.forceCapture);
  t.is(state.incomingRoute, '1-4f1c2a9be07d3318-01');
});

test('pass-through hop injects the same key and flags unchanged', (t) => {
  const propagator = new CKRoutePropagator();
  for (const value of ['1-4f1c2a9be07d3318-00', '1-4f1c2a9be07d3318-01', '1-ffffffffffffffff-ff', ['1-0123456789abcdef-80']]) {
    const ctx = extract(propagator, { 'ck-route': value });
    t.deepEqual(inject(propagator, ctx), { 'ck-route': Array.isArray(value) ? value[0] : value });
  }
});

test('round trip through a service: a new entry changes the key, force capture travels on', (t) => {
  const propagator = new CKRoutePropagator();
  const incoming = extract(propagator, { 'ck-route': '1-4f1c2a9be07d3318-01' });
  const parent = getExtractedPathState(incoming)!;
  // What a server span does at start: a new state whose parent is the extracted one.
  const state = new PathState('orders', parent.key, parent.flags, parent.incomingRoute);
  state.setEntry(httpServiceElement('GET', '/orders/:id'));
  const out = inject(propagator, contextWithPathState(incoming, state));
  t.deepEqual(out, { 'ck-route': `1-${state.key}-01` });
  t.not(state.key, '4f1c2a9be07d3318');
  // The next service receives exactly that key.
  t.is(getPathKey(extract(propagator, out)), state.key);
});

test('inject with no path state writes nothing', (t) => {
  t.deepEqual(inject(new CKRoutePropagator(), ROOT_CONTEXT), {});
});

test('inject writes nothing when tracing is suppressed (exporter traffic)', (t) => {
  const ctx = contextWithPathState(ROOT_CONTEXT, new PathState('s', '1234567890abcdef'));
  t.deepEqual(inject(new CKRoutePropagator(), suppressTracing(ctx)), {});
});

test('inject never writes a malformed key from a hand-built state', (t) => {
  const ctx = contextWithPathState(ROOT_CONTEXT, new PathState('s', 'not a key\r\nx: y'));
  t.deepEqual(inject(new CKRoutePropagator(), ctx), {});
});

test('extract of an invalid value: same context back, onInvalid once per extract', (t) => {
  let invalid = 0;
  const propagator = new CKRoutePropagator(() => invalid++);
  const base = ROOT_CONTEXT.setValue(Symbol('marker'), 1);
  for (const value of ['junk', '2-4f1c2a9be07d3318-00', '', ['a', 'b'], 42]) {
    t.is(extract(propagator, { 'ck-route': value }, base), base);
  }
  t.is(invalid, 5);
  // Missing is not invalid.
  t.is(extract(propagator, {}, base), base);
  t.is(extract(propagator, { 'ck-route': [] }, base), base);
  t.is(invalid, 5);
});

test('extract of an invalid value keeps an earlier extracted state untouched', (t) => {
  const propagator = new CKRoutePropagator();
  const first = extract(propagator, { 'ck-route': '1-4f1c2a9be07d3318-00' });
  t.is(getPathKey(extract(propagator, { 'ck-route': 'junk' }, first)), '4f1c2a9be07d3318');
});

test('never throws: throwing getter, setter and onInvalid callback', (t) => {
  const propagator = new CKRoutePropagator(() => {
    throw new Error('callback boom');
  });
  const throwingGetter = {
    get() {
      throw new Error('get boom');
    },
    keys: () => [],
  };
  const throwingSetter = {
    set() {
      throw new Error('set boom');
    },
  };
  t.is(propagator.extract(ROOT_CONTEXT, {}, throwingGetter), ROOT_CONTEXT);
  t.is(extract(propagator, { 'ck-route': 'junk' }), ROOT_CONTEXT);
  const ctx = contextWithPathState(ROOT_CONTEXT, new PathState('s', '1234567890abcdef'));
  t.notThrows(() => propagator.inject(ctx, {}, throwingSetter));
  t.notThrows(() => propagator.inject(ctx, null, defaultTextMapSetter));
  t.is(agentLog.matching('warn', /ck-route extract failed and was skipped: Error: get boom/).length, 1);
  t.is(agentLog.matching('warn', /ck-route invalid-value callback threw: Error: callback boom/).length, 1);
  t.is(agentLog.matching('warn', /ck-route inject failed and was skipped: Error: set boom/).length, 1);
});

// ---- composite propagator ------------------------------------------------------------------

const FORMATS: PropagationFormat[] = ['TRACECONTEXT', 'BAGGAGE', 'B3', 'B3MULTI'];
const SPAN_CONTEXT = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

function configWith(formats: PropagationFormat[]): CKConfig {
  return { propagationFormats: formats } as unknown as CKConfig;
}

function outgoingContext(): Context {
  const state = new PathState('orders');
  state.setEntry(httpServiceElement('GET', '/orders/:id'));
  let ctx = contextWithPathState(ROOT_CONTEXT, state);
  ctx = trace.setSpanContext(ctx, SPAN_CONTEXT);
  ctx = propagation.setBaggage(ctx, propagation.createBaggage({ tenant: { value: 'acme' } }));
  return ctx;
}

for (let mask = 0; mask < 1 << FORMATS.length; mask++) {
  const formats = FORMATS.filter((_, i) => mask & (1 << i));
  test(`composite propagator: ck-route + [${formats.join(', ') || 'nothing else'}]`, (t) => {
    let invalid = 0;
    const composite = createCompositePropagator(configWith(formats), () => invalid++);
    const ctx = outgoingContext();
    const expectedKey = getPathKey(ctx)!;
    const carrier = inject(composite, ctx);

    t.is(carrier['ck-route'], `1-${expectedKey}-00`);
    const has = (f: PropagationFormat) => formats.includes(f);
    t.is(carrier['traceparent'], has('TRACECONTEXT') ? '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' : undefined);
    t.is(carrier['baggage'], has('BAGGAGE') ? 'tenant=acme' : undefined);
    t.is(carrier['b3'], has('B3') ? '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1' : undefined);
    t.is(carrier['x-b3-traceid'], has('B3MULTI') ? '0af7651916cd43dd8448eb211c80319c' : undefined);
    t.is(carrier['x-b3-spanid'], has('B3MULTI') ? 'b7ad6b7169203331' : undefined);
    t.is(carrier['x-b3-sampled'], has('B3MULTI') ? '1' : undefined);

    const fields = composite.fields();
    t.true(fields.includes('ck-route'));
    t.is(fields.includes('traceparent'), has('TRACECONTEXT'));
    t.is(fields.includes('baggage'), has('BAGGAGE'));
    t.is(fields.includes('b3') || fields.includes('x-b3-traceid'), has('B3') || has('B3MULTI'));

    // The receiving side of the same configuration gets everything back.
    const received = composite.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    t.is(getPathKey(received), expectedKey);
    t.is(getPathState(received)!.entry, undefined, 'received state is pass-through until the server span starts');
    const remote = trace.getSpanContext(received);
    if (formats.some((f) => f !== 'BAGGAGE')) {
      t.is(remote?.traceId, SPAN_CONTEXT.traceId);
      t.is(remote?.spanId, SPAN_CONTEXT.spanId);
      t.true(remote?.isRemote);
    } else {
      t.is(remote, undefined);
    }
    t.is(propagation.getBaggage(received)?.getEntry('tenant')?.value, has('BAGGAGE') ? 'acme' : undefined);
    t.is(invalid, 0);

    // An invalid ck-route next to valid trace headers: counted, trace context still extracted.
    const junk = composite.extract(ROOT_CONTEXT, { ...carrier, 'ck-route': 'junk' }, defaultTextMapGetter);
    t.is(invalid, 1);
    t.is(getPathKey(junk), undefined);
    if (has('TRACECONTEXT')) t.is(trace.getSpanContext(junk)?.traceId, SPAN_CONTEXT.traceId);
  });
}

test('composite propagator ignores duplicate formats', (t) => {
  const composite = createCompositePropagator(configWith(['TRACECONTEXT', 'TRACECONTEXT', 'BAGGAGE']));
  t.deepEqual(
    composite.fields().filter((f) => f === 'traceparent'),
    ['traceparent']
  );
});
