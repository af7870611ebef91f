import test from 'ava';
import { trace, type Span } from '@opentelemetry/api';
import { Logger, logger } from '../../src/logger';
import {
  clearFilters,
  evaluateBodyAndHeaders,
  evaluateUrlAndHeaders,
  hasBodyFilters,
  hasFilters,
  hasUrlFilters,
  registerFilter,
  unregisterFilter,
  type CKFilter,
} from '../../src/filters/registry';

/** A span that records attributes (the filters module only calls setAttribute). */
function recordingSpan(): Span & { attrs: Record<string, unknown> } {
  const attrs: Record<string, unknown> = {};
  const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 }) as Span & {
    attrs: Record<string, unknown>;
  };
  span.setAttribute = (k: string, v: unknown) => {
    attrs[k] = v;
    return span;
  };
  span.attrs = attrs;
  return span;
}

test.serial.afterEach(() => clearFilters());

test.serial('no filters: allow, and nothing is called', (t) => {
  t.false(hasFilters());
  t.false(hasUrlFilters());
  t.false(hasBodyFilters());
  const span = recordingSpan();
  t.deepEqual(evaluateUrlAndHeaders(span, '/x', {}, 'http'), { blocked: false });
  t.deepEqual(evaluateBodyAndHeaders(span, {}, '', 'http'), { blocked: false });
  t.deepEqual(span.attrs, {});
});

test.serial('header stage blocks, sets ck.blocked and ck.blocked.by, sees url, headers and type', (t) => {
  const seen: unknown[] = [];
  const filter: CKFilter = {
    name: 'deny-admin',
    evaluateUrlAndHeaders(_span, url, headers, type) {
      seen.push([url, headers['x-user'], type]);
      return url.startsWith('/admin');
    },
  };
  registerFilter(filter);
  registerFilter(filter); // twice: still once
  t.true(hasFilters());
  t.true(hasUrlFilters());
  t.false(hasBodyFilters());
  const span = recordingSpan();
  t.deepEqual(evaluateUrlAndHeaders(span, '/public', { 'x-user': 'a' }, 'http'), { blocked: false });
  t.deepEqual(evaluateUrlAndHeaders(span, '/admin/x', { 'x-user': 'b' }, 'rpc'), { blocked: true, by: 'deny-admin' });
  t.deepEqual(seen, [
    ['/public', 'a', 'http'],
    ['/admin/x', 'b', 'rpc'],
  ]);
  t.deepEqual(span.attrs, { 'ck.blocked': true, 'ck.blocked.by': 'deny-admin' });
  unregisterFilter(filter);
  t.false(hasFilters());
  t.deepEqual(evaluateUrlAndHeaders(recordingSpan(), '/admin', {}, 'http'), { blocked: false });
});

test.serial('body stage, first blocking filter wins, non-true results allow', (t) => {
  registerFilter({ name: 'truthy-but-not-true', evaluateBodyAndHeaders: () => 1 as unknown as boolean });
  registerFilter({ name: 'sqli', evaluateBodyAndHeaders: (_s, _h, body) => body.includes("' OR 1=1") });
  registerFilter({ name: 'never-reached', evaluateBodyAndHeaders: () => true });
  t.deepEqual(evaluateBodyAndHeaders(recordingSpan(), {}, '{"q":"\' OR 1=1"}', 'http'), { blocked: true, by: 'sqli' });
});

test.serial('a throwing filter allows and is logged once', (t) => {
  const lines: string[] = [];
  const original = (logger as unknown as { sink: unknown }).sink;
  logger.setSink((_level, message) => lines.push(message));
  try {
    registerFilter({
      name: 'broken',
      evaluateUrlAndHeaders() {
        throw new Error('boom');
      },
    });
    for (let i = 0; i < 5; i++) t.false(evaluateUrlAndHeaders(recordingSpan(), '/', {}, 'http').blocked);
    t.is(lines.filter((l) => l.includes('broken') && l.includes('boom')).length, 1);
  } finally {
    logger.setSink(original as Parameters<Logger['setSink']>[0]);
  }
});

test.serial('registering junk does not throw, and says why it was ignored', (t) => {
  const lines: string[] = [];
  const original = (logger as unknown as { sink: unknown }).sink;
  logger.setSink((_level, message) => lines.push(message));
  try {
    t.notThrows(() => registerFilter(undefined as unknown as CKFilter));
    t.notThrows(() => unregisterFilter({ name: 'never-registered' }));
    t.false(hasFilters());
    t.deepEqual(lines, ['registerFilter: a filter must be an object with a name and evaluate functions; ignored']);
  } finally {
    logger.setSink(original as Parameters<Logger['setSink']>[0]);
  }
});
