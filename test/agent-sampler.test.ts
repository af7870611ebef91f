/**
 * init({ sampler }) with something that is not a Sampler: one warning, the configured sampler is
 * used, the agent starts. (Own file: init() is once per process.)
 */
import test from 'ava';
import { ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { init } from '../src';
import type { CKOptions } from '../src/config/types';
import { logger } from '../src/logger';

test('a sampler option without shouldSample() is refused with a warning', (t) => {
  const warnings: string[] = [];
  logger.setSink((level, message) => {
    if (level === 'warn') warnings.push(message);
  });
  t.teardown(() => logger.setSink(() => undefined));
  const agent = init({
    serviceName: 'sampler-check',
    sampler: { decide: () => true } as unknown as CKOptions['sampler'],
    reporting: { metricReporterType: 'NONE' },
  });
  t.teardown(() => agent.shutdown());
  t.is(warnings.length, 1);
  t.regex(warnings[0], /init option sampler: expected a Sampler/);
  const span = agent.tracerProvider.getTracer('x').startSpan('root', {}, ROOT_CONTEXT);
  t.is(span.spanContext().traceFlags & TraceFlags.SAMPLED, TraceFlags.SAMPLED, 'the default parentbased_always_on samples a root');
  span.end();
});
