/**
 * The wrapper safety net (src/instrumentations/safe-wrap.ts): upstream code that throws inside the
 * app's call never turns a working call into an exception. With a real library (node:http, real
 * server and client) whose upstream patch is made to throw (its tracer fails), the calls go on,
 * each method is logged once naming library and method, counted in ck.agent.hook.errors and left
 * uninstrumented; then the guard's rules, one by one, on plain functions.
 */
import test from 'ava';
import * as http from 'node:http';
import type { TracerProvider } from '@opentelemetry/api';
import { init } from '../../src/agent';
import { CKHttpInstrumentation } from '../../src/instrumentations/http';
import { REENTRY_LIMIT, safeWrapper } from '../../src/instrumentations/safe-wrap';
import { captureAgentLog } from '../../fixtures/agent-log';
import { freePort } from '../metrics/helpers';

const log = captureAgentLog();

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** A tracer provider whose tracers fail the way upstream code fails on a shape it did not expect. */
const failingProvider: TracerProvider = {
  getTracer: () => ({
    startSpan: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'kind')");
    },
    startActiveSpan: () => {
      throw new TypeError('startActiveSpan');
    },
  }),
};

test.serial('node:http with a throwing upstream patch: requests work, each method logged once, counted, then uninstrumented', async (t) => {
  const metricsPort = await freePort();
  const agent = init({
    serviceName: 'safety-net',
    metrics: { prometheusPort: metricsPort, prometheusHost: '127.0.0.1' },
    reporting: { metricReporterType: 'PROMETHEUS' },
  });
  const instrumentation = new CKHttpInstrumentation();
  instrumentation.enable();
  instrumentation.getUpstream()!.setTracerProvider(failingProvider);
  const server = http.createServer((req, res) => res.end(`pong ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    log.lines.length = 0;
    for (const path of ['/a', '/b', '/c']) t.deepEqual(await get(port, path), { status: 200, body: `pong ${path}` });
    const warnings = log.matching('warn', /instrumentation-http wrapper of/);
    // The outgoing side: upstream's http.request wrapper fails before the real request is made.
    t.is(warnings.filter((l) => l.includes('@opentelemetry/instrumentation-http wrapper of request()')).length, 1, warnings.join('\n'));
    t.regex(warnings[0], /Cannot read properties of undefined \(reading 'kind'\)/);
    // One line per method, whatever the number of calls.
    t.is(log.lines.length, warnings.length, log.lines.join('\n'));
    const body = await get(metricsPort, '/metrics');
    t.regex(body.body, new RegExp(`^ck_agent_hook_errors_total(\\{[^}]*\\})? ${warnings.length}$`, 'm'));
  } finally {
    server.close();
    await agent.shutdown();
  }
});

/** Wraps `holder.method` the way shimmer does, through the safety net. */
function install(library: string, holder: Record<string, unknown>, wrapper: (original: (...args: unknown[]) => unknown) => unknown): void {
  const safe = safeWrapper(library, wrapper as never);
  holder.method = safe(holder.method as never, 'method');
}

test.serial('upstream throws after the method returned: the method ran once and its result is returned', (t) => {
  let calls = 0;
  const holder: Record<string, unknown> = { method: (x: number) => (calls++, x * 2) };
  install('lib-after', holder, (original) => (x: number) => {
    original(x);
    throw new RangeError('after');
  });
  log.lines.length = 0;
  t.is((holder.method as (x: number) => number)(21), 42);
  t.is(calls, 1);
  t.is(log.matching('warn', /lib-after wrapper of method\(\).*: after$/).length, 1);
  // Disabled from now on: no upstream code, no new line.
  t.is((holder.method as (x: number) => number)(1), 2);
  t.is(calls, 2);
  t.is(log.lines.length, 1);
});

test.serial("the method's own error reaches the app unchanged, and upstream stays on", (t) => {
  const own = new Error('the library says no');
  let upstreamRuns = 0;
  const holder: Record<string, unknown> = {
    method: () => {
      throw own;
    },
  };
  install('lib-own', holder, (original) => () => {
    upstreamRuns++;
    try {
      return original();
    } catch {
      throw new TypeError('upstream mangled it'); // the app must still get the library's error
    }
  });
  log.lines.length = 0;
  t.is(
    t.throws(() => (holder.method as () => unknown)()),
    own
  );
  t.is(log.matching('warn', /lib-own wrapper of method\(\)/).length, 1);
  const plain: Record<string, unknown> = {
    method: () => {
      throw own;
    },
  };
  install('lib-own-plain', plain, (original) => () => (upstreamRuns++, original()));
  t.is(
    t.throws(() => (plain.method as () => unknown)()),
    own
  );
  t.is(upstreamRuns, 2);
  t.is(log.lines.length, 1, 'a library error that upstream passes on is not a hook failure');
});

test.serial('recursion before the method ran (the gRPC getChannel class): unwinds, the method runs once', (t) => {
  let calls = 0;
  let upstreamDepth = 0;
  const holder: Record<string, unknown> = { method: (x: string) => (calls++, `reply ${x}`) };
  install(
    'lib-recursion',
    holder,
    (original) =>
      function patched(this: Record<string, unknown>, x: string) {
        upstreamDepth++;
        (this.method as () => unknown)(); // upstream asks the object for something it shadows
        return original(x);
      }
  );
  log.lines.length = 0;
  t.is((holder.method as (x: string) => string)('hi'), 'reply hi');
  t.is(calls, 1);
  t.is(upstreamDepth, REENTRY_LIMIT); // the deepest call is refused before upstream runs
  t.is(log.matching('warn', /lib-recursion wrapper of method\(\).*re-entered/).length, 1);
});

test('the guarded wrapper keeps the shape code inspects: arity, name, properties, new', (t) => {
  class Widget {
    constructor(readonly size: number) {}
  }
  const holder: Record<string, unknown> = { method: Widget };
  Object.assign(Widget, { path: '/svc/Method' });
  install('lib-shape', holder, (original) => {
    const patched = function (this: unknown, size: number) {
      return new (original as unknown as typeof Widget)(size + 1);
    };
    Object.assign(patched, original); // what upstream gRPC does with a method's attributes
    return patched;
  });
  const Wrapped = holder.method as typeof Widget;
  const made = new Wrapped(1);
  t.true(made instanceof Widget);
  t.is(made.size, 2);
  t.is((Wrapped as unknown as { path: string }).path, '/svc/Method');
  const handler: Record<string, unknown> = { method: (_err: unknown, _req: unknown, _res: unknown, _next: unknown) => undefined };
  install('lib-shape-2', handler, (original) => original); // upstream leaves error handlers alone (Express)
  t.is((handler.method as (...a: unknown[]) => unknown).length, 4);
});
