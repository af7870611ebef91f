/**
 * init() keeps a context manager the app registered first (docs/context-manager.md): here
 * upstream's AsyncLocalStorageContextManager, which patches bound emitters' own methods.
 */
import test from 'ava';
import { EventEmitter } from 'events';
import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { init } from '../src';

test('a context manager set before init() stays the global one', (t) => {
  const manager = new AsyncLocalStorageContextManager().enable();
  t.true(context.setGlobalContextManager(manager));
  const agent = init({ serviceName: 'cm-kept', reporting: { metricReporterType: 'NONE' } });
  t.teardown(() => agent.shutdown());
  class Emitter extends EventEmitter {}
  const ee = context.bind(ROOT_CONTEXT, new Emitter());
  t.true(Object.prototype.hasOwnProperty.call(ee, 'on'), 'bound by upstream, which patches the instance');
});
