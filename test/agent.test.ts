/**
 * init() / CKAgent: one agent per process, config resolved once and frozen, the resource,
 * the global propagator carrying ck-route, shutdown unpatching, and the disabled no-op.
 * Each ava file runs in its own process, so the process-wide agent starts fresh here.
 */
import test from 'ava';
import { EventEmitter } from 'events';
import http from 'http';
import { ROOT_CONTEXT, context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { CKHttpInstrumentation, getAgent, init } from '../src';
import { logger } from '../src/logger';

const warnings: string[] = [];
logger.setSink((level, message) => {
  if (level === 'warn' || level === 'error') warnings.push(message);
});

const agent = init({
  serviceName: 'agent-test',
  resourceAttributes: { 'deployment.environment.name': 'test' },
  reporting: { metricReporterType: 'NONE' },
});

test.serial('init is idempotent and warns when options differ', (t) => {
  t.is(
    init({
      serviceName: 'agent-test',
      resourceAttributes: { 'deployment.environment.name': 'test' },
      reporting: { metricReporterType: 'NONE' },
    }),
    agent
  );
  t.is(warnings.length, 0);
  t.is(init({ serviceName: 'other' }), agent);
  t.is(warnings.filter((w) => w.includes('different options')).length, 1);
  t.is(init(), agent, 'no options: the same agent, no warning');
  t.is(getAgent(), agent);
});

test.serial('config is resolved, camelCase and frozen', (t) => {
  t.is(agent.config.serviceName, 'agent-test');
  t.is(agent.config.dataCapture.bodyMaxSizeBytes, 131072);
  t.is(agent.config.reporting.traceReporterType, 'NONE');
  t.true(Object.isFrozen(agent.config));
  t.true(Object.isFrozen(agent.config.dataCapture));
  t.throws(() => {
    (agent.config as { serviceName: string }).serviceName = 'x';
  });
});

test.serial('the resource carries service identity, the distro and a per-process instance id', (t) => {
  const span = agent.tracerProvider.getTracer('resource-check').startSpan('x', {}, ROOT_CONTEXT) as unknown as {
    resource: { attributes: Record<string, unknown> };
    end(): void;
  };
  span.end();
  const attributes = span.resource.attributes;
  t.is(attributes['service.name'], 'agent-test');
  t.is(attributes['telemetry.distro.name'], 'ck-agent');
  t.regex(String(attributes['telemetry.distro.version']), /^\d+\.\d+\.\d+/);
  t.regex(String(attributes['service.instance.id']), /^[0-9a-f-]{36}$/);
  t.is(attributes['service.version'], '0.1.0', 'from the app package.json (here: the repo root)');
  t.is(attributes['deployment.environment.name'], 'test');
  t.is(attributes['telemetry.sdk.language'], 'nodejs');
  t.truthy(attributes['process.pid']);
});

test.serial('the global propagator injects ck-route with trace context from a CK request', (t) => {
  t.deepEqual(propagation.fields().sort(), ['baggage', 'ck-route', 'traceparent', 'tracestate'].sort());
  const tracer = agent.tracerProvider.getTracer('propagation-check');
  const server = tracer.startSpan('GET /x', { kind: 1, attributes: { 'http.request.method': 'GET', 'url.path': '/x' } }, ROOT_CONTEXT);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, server), carrier);
  t.regex(carrier['ck-route'], /^1-[0-9a-f]{16}-00$/);
  t.regex(carrier.traceparent, new RegExp(`^00-${server.spanContext().traceId}-`));
  server.end();
});

test.serial('shutdown flushes, unpatches every instrumentation, and can be called twice', async (t) => {
  const instrumentation = new CKHttpInstrumentation();
  instrumentation.enable();
  t.true(instrumentation.isEnabled());
  // The wrapped server still serves requests normally.
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const body = await new Promise<string>((resolve, reject) =>
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      })
      .on('error', reject)
  );
  t.is(body, 'ok');
  server.close();
  await agent.forceFlush();
  await Promise.all([agent.shutdown(), agent.shutdown()]);
  t.false(instrumentation.isEnabled(), 'shutdown disables the instrumentations it tracked');
  t.is(getAgent(), undefined);
});

test.serial('with no context manager set, init() registers CKContextManager (emitters bound without own methods)', (t) => {
  class Emitter extends EventEmitter {}
  const ee = context.bind(ROOT_CONTEXT, new Emitter());
  t.false(Object.prototype.hasOwnProperty.call(ee, 'on'));
  const key = createContextKey('agent-test');
  let seen: unknown;
  context.with(ROOT_CONTEXT.setValue(key, 1), () => {
    const bound = context.bind(context.active(), new Emitter());
    context.with(ROOT_CONTEXT, () => bound.on('x', () => (seen = context.active().getValue(key))));
    bound.emit('x');
  });
  t.is(seen, 1);
});
