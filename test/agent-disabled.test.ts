/**
 * A disabled agent (CK_ENABLED=false / enabled: false / OTEL_SDK_DISABLED) patches nothing:
 * instrumentations are no-ops and the global propagator is left alone.
 */
import test from 'ava';
import http from 'http';
import { propagation } from '@opentelemetry/api';
import { CKExpressInstrumentation, CKHttpInstrumentation, init } from '../src';

test('enabled: false makes every instrumentation a no-op', (t) => {
  const originalRequest = http.request;
  const originalEmit = http.Server.prototype.emit;
  const agent = init({ enabled: false, reporting: { metricReporterType: 'NONE' } });
  t.false(agent.config.enabled);
  const httpInstrumentation = new CKHttpInstrumentation();
  const express = new CKExpressInstrumentation();
  httpInstrumentation.enable();
  express.enable();
  t.false(httpInstrumentation.isEnabled());
  t.false(express.isEnabled());
  t.is(require('http').request, originalRequest, 'http.request is not patched');
  t.is(http.Server.prototype.emit, originalEmit, 'the server is not patched');
  t.deepEqual(propagation.fields(), [], 'the global propagator stays the no-op one');
});
