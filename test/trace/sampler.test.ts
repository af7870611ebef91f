/** The export sampler built from config.tracing (OTEL_TRACES_SAMPLER names). */
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { logger } from '../../src/logger';
import { CKTracerProvider, GuardedSampler, createSampler, isSampler, newTraceId } from '../../src/trace';
import { makeProvider } from './helpers';

const cases: Array<[string, number | undefined, string]> = [
  ['always_on', undefined, 'AlwaysOnSampler'],
  ['always_off', undefined, 'AlwaysOffSampler'],
  ['traceidratio', 0.25, 'TraceIdRatioBased{0.25}'],
  ['parentbased_always_on', undefined, 'ParentBased{root=AlwaysOnSampler'],
  ['parentbased_always_off', undefined, 'ParentBased{root=AlwaysOffSampler'],
  ['parentbased_traceidratio', 0.5, 'ParentBased{root=TraceIdRatioBased{0.5}'],
  ['PARENTBASED_TRACEIDRATIO', undefined, 'ParentBased{root=TraceIdRatioBased{1}'],
];

for (const [name, arg, expected] of cases) {
  test(`sampler ${name}${arg === undefined ? '' : ` (${arg})`}`, (t) => {
    t.true(createSampler({ sampler: name, samplerArg: arg }).toString().startsWith(expected));
  });
}

test('unknown sampler → parentbased_always_on with a warning', (t) => {
  const lines: string[] = [];
  logger.setSink((level, message) => lines.push(`${level}: ${message}`));
  t.teardown(() => logger.setSink((level, message) => process.stderr.write(`[ck-agent] ${level}: ${message}\n`)));
  t.true(createSampler({ sampler: 'sometimes', samplerArg: undefined }).toString().startsWith('ParentBased{root=AlwaysOnSampler'));
  t.true(lines.some((l) => l.startsWith('warn:') && l.includes('sometimes')));
});

test('traceidratio 0 never samples, 1 always does', (t) => {
  const none = createSampler({ sampler: 'traceidratio', samplerArg: 0 });
  const all = createSampler({ sampler: 'traceidratio', samplerArg: 1 });
  for (let i = 0; i < 100; i++) {
    const id = newTraceId();
    t.is(none.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.SERVER, {}, []).decision, SamplingDecision.NOT_RECORD);
    t.is(all.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.SERVER, {}, []).decision, SamplingDecision.RECORD_AND_SAMPLED);
  }
});

test('parent based: a sampled remote parent samples the child even when the root sampler would not', (t) => {
  const { provider } = makeProvider({ tracing: { sampler: 'parentbased_always_off' } });
  const tracer = provider.getTracer('t');
  const root = tracer.startSpan('root');
  t.is(root.spanContext().traceFlags, TraceFlags.NONE);
  t.true(root.isRecording(), 'CK spans always record');
  const remote = { traceId: newTraceId(), spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const child = tracer.startSpan('server', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, remote));
  t.is(child.spanContext().traceFlags, TraceFlags.SAMPLED);
});

test('children of CK spans follow the parent decision under every parent-based sampler', (t) => {
  for (const sampler of ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']) {
    const { provider } = makeProvider({ tracing: { sampler, samplerArg: 0 } });
    const tracer = provider.getTracer('t');
    const root = tracer.startSpan('root');
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
    const grandChild = tracer.startSpan('grandchild', {}, trace.setSpan(ROOT_CONTEXT, child));
    const expected = sampler === 'parentbased_always_on' ? TraceFlags.SAMPLED : TraceFlags.NONE;
    t.is(root.spanContext().traceFlags, expected, sampler);
    t.is(child.spanContext().traceFlags, expected, sampler);
    t.is(grandChild.spanContext().traceFlags, expected, sampler);
  }
});

test('non parent-based samplers decide for child spans too', (t) => {
  const { provider } = makeProvider({ tracing: { sampler: 'always_off' } });
  const tracer = provider.getTracer('t');
  const remote = { traceId: newTraceId(), spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const server = tracer.startSpan('server', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, remote));
  const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, server));
  t.is(server.spanContext().traceFlags, TraceFlags.NONE);
  t.is(child.spanContext().traceFlags, TraceFlags.NONE);
});

test.serial('a custom sampler (init({ sampler })) only decides export: every span is recorded; a throwing one is guarded', (t) => {
  const lines: string[] = [];
  logger.setSink((level, message) => lines.push(`${level}: ${message}`));
  t.teardown(() => logger.setSink(() => undefined));
  const everyOther = {
    calls: 0,
    shouldSample() {
      this.calls++;
      if (this.calls === 3) throw new Error('sampler bug');
      return { decision: this.calls % 2 === 0 ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
    },
    toString: () => 'EveryOther',
  };
  const guarded = new GuardedSampler(everyOther);
  t.is(guarded.toString(), 'EveryOther');
  const { provider, recorder } = makeProvider({}, [], {});
  const custom = new CKTracerProvider({
    config: provider.config,
    resource: provider.resource,
    spanProcessors: [recorder],
    sampler: guarded,
  });
  const tracer = custom.getTracer('custom-sampler');
  const flags: number[] = [];
  for (let i = 0; i < 4; i++) {
    const span = tracer.startSpan(`s${i}`, { kind: SpanKind.INTERNAL }, ROOT_CONTEXT);
    flags.push(span.spanContext().traceFlags & TraceFlags.SAMPLED);
    t.true(span.isRecording(), 'recorded whatever the sampler says: graph path metrics need every span');
    span.end();
  }
  t.deepEqual(flags, [0, 1, 0, 1], 'the throwing call counts as not sampled');
  t.is(recorder.ended.length, 4);
  t.is(lines.filter((l) => l.includes('EveryOther threw')).length, 1);
  t.true(isSampler(everyOther));
  t.false(isSampler({ shouldSample: 1 }));
  t.false(isSampler(null));
});
