/**
 * The HTTP server mapper: a span that reached a framework's router (`ck.http.framework`) and has
 * no `http.route` is `<METHOD> (unmatched)`; with a route it is the route; without the mark it is
 * the template of its path (docs/frameworks.md).
 */
import test from 'ava';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { httpServerMapper } from '../../src/processors';

function serverSpan(attributes: Attributes): ReadableSpan {
  return { kind: SpanKind.SERVER, attributes, status: { code: 0 } } as unknown as ReadableSpan;
}

test('reached a framework, no route: <METHOD> (unmatched), whatever the URL', (t) => {
  for (const path of ['/nope/abc', '/wp-admin/setup.php', '/x/y/z/q']) {
    const element = httpServerMapper.map(serverSpan({ 'http.request.method': 'POST', 'url.path': path, 'ck.http.framework': 'koa' }));
    t.is(element?.name, 'POST (unmatched)');
  }
});

test('a route wins over the mark; no mark keeps the path template', (t) => {
  const routed = serverSpan({
    'http.request.method': 'GET',
    'url.path': '/orders/7',
    'http.route': '/orders/:id',
    'ck.http.framework': 'express',
  });
  t.is(httpServerMapper.map(routed)?.name, 'GET /orders/:id');
  t.is(httpServerMapper.map(serverSpan({ 'http.request.method': 'GET', 'url.path': '/orders/7' }))?.name, 'GET /orders/{id}');
});
