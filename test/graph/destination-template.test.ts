/** destinationTemplate: queue, exchange, routing key and topic names stay low-cardinality. */
import test from 'ava';
import { destinationTemplate } from '../../src/graph';

test('id parts collapse, names and separators stay', (t) => {
  t.is(destinationTemplate('orders.created'), 'orders.created');
  t.is(destinationTemplate('orders.42.created'), 'orders.{id}.created');
  t.is(destinationTemplate('reply/5f1c2a9be07d3318aa/done'), 'reply/{id}/done');
  t.is(destinationTemplate('tenant:123e4567-e89b-12d3-a456-426614174000:events'), 'tenant:{id}:events');
  t.is(destinationTemplate('amq.gen-JzTY20BRgKO-HjmUJj0wLg'), 'amq.{id}');
  t.is(destinationTemplate('orders'), 'orders');
  t.is(destinationTemplate('a..b'), 'a..b');
  t.is(destinationTemplate(''), '');
});

test('at most 8 parts, bounded input', (t) => {
  t.is(destinationTemplate('a.b.c.d.e.f.g.h.i.j'), 'a.b.c.d.e.f.g.h.…');
  t.is(destinationTemplate('x'.repeat(5000)), '{id}');
  t.is(destinationTemplate(42 as unknown as string), '');
});
