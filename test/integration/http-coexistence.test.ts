/**
 * ck-agent next to a vanilla @opentelemetry/sdk-node with instrumentation-undici (fetch), in
 * both start orders: both work, exactly one server span per request (CK's), the vanilla fetch
 * span is a child inside the CK request's trace, and http.get calls carry ck-route even when
 * the SDK started first and owns the global propagator.
 */
import test from 'ava';
import * as path from 'path';
import { send, startFixture, type Fixture } from '../../fixtures/http/harness';

const APP = path.join(__dirname, '..', '..', 'fixtures', 'http', 'coexist-app.ts');

for (const order of ['ck-first', 'sdk-first'] as const) {
  test(`${order}: both instrumentations work, no duplicate server spans, vanilla spans are children`, async (t) => {
    const f: Fixture = await startFixture({
      instrumented: true,
      app: APP,
      env: { COEXIST_ORDER: order, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    try {
      const res = await send(f.ports.express, { path: '/chain', headers: { 'x-probe': order } });
      t.is(res.status, 200, res.body.toString());
      const body = JSON.parse(res.body.toString()) as {
        viaFetch: { route: string | null; traceparent: string | null };
        viaHttp: { route: string | null; traceparent: string | null };
      };
      t.truthy(body.viaFetch.traceparent, 'fetch propagated trace context');
      t.truthy(body.viaHttp.traceparent);
      t.regex(body.viaHttp.route ?? '', /^1-[0-9a-f]{16}-00$/, 'http.get carried ck-route');

      const server = await f.waitForSpan((s) => s.kind === 'SERVER' && s.attributes['http.request.header.x-probe'] === order);
      t.is(body.viaHttp.route, `1-${server.attributes['ck.path.key']}-00`);
      if (order === 'ck-first') {
        // ck-agent owns the global propagator: the vanilla fetch span's injection carries the
        // request's own key (not the caller's), found through the request's RPC metadata.
        t.is(body.viaFetch.route, `1-${server.attributes['ck.path.key']}-00`, 'fetch carried ck-route');
      }
      const ckSpans = f.spans().filter((s) => s.traceId === server.traceId);
      const ckServerSpans = ckSpans.filter((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/chain');
      t.is(ckServerSpans.length, 1, 'one CK server span for the request');

      const vanilla = JSON.parse((await send(f.ports.express, { path: '/__vanilla' })).body.toString()) as Array<{
        traceId: string;
        parentSpanId?: string;
        scope: string;
        kind: number;
      }>;
      const fetchSpans = vanilla.filter((s) => s.traceId === server.traceId);
      t.is(fetchSpans.length, 1, 'one vanilla fetch span in the CK trace');
      t.true(fetchSpans[0].scope.includes('undici'));
      t.is(vanilla.filter((s) => s.kind === 1 /* SERVER */).length, 0, 'the vanilla SDK made no server span');
      const parent = ckSpans.find((s) => s.spanId === fetchSpans[0].parentSpanId);
      t.truthy(parent, 'the fetch span is a child of a CK span of the request');
      t.true(parent!.spanId === server.spanId || parent!.parentSpanId === server.spanId, 'under the CK server span');
      t.notRegex(f.stderr, /\[ck-agent\] error/);
    } finally {
      await f.stop();
    }
  });
}
