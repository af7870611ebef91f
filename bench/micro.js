'use strict';
/**
 * Micro benchmarks (tinybench) of the per-span hot path, against the compiled build
 * (build/src/..., or CK_BENCH_BUILD). A micro whose module is not built yet is skipped with a note.
 *
 * Sub-microsecond operations run INNER times per sample so the timer's own cost is amortised;
 * figures are per operation: the median sample of a pass, best of 3 passes (1 in --quick).
 *
 * Standalone: `node bench/micro.js [--quick]` prints a table. Under bench/run.js the result is
 * sent over IPC.
 */
const { SpanKind, ROOT_CONTEXT } = require('@opentelemetry/api');
const { tryRequire } = require('./lib/ck-build');

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const INNER = 1000;
let blackhole = 0;

/** Attributes like the upstream http instrumentation puts on a server span at start. */
const SERVER_ATTRS = {
  'http.request.method': 'GET',
  'url.scheme': 'http',
  'url.path': '/users/17',
  'server.address': '127.0.0.1',
  'server.port': 8080,
  'network.peer.address': '127.0.0.1',
  'network.peer.port': 51234,
  'user_agent.original': 'autocannon',
  'http.route': '/users/:id',
};

function load(rel) {
  try {
    return tryRequire(rel);
  } catch (err) {
    return { __error: err };
  }
}

/** Resolved ck-agent config for micro runs (nothing exported). */
function ckConfig(mods, extra = {}) {
  return mods.config.resolveConfig(
    {
      serviceName: 'bench-micro',
      logLevel: 'error',
      reporting: { traceReporterType: 'NONE', metricReporterType: 'NONE' },
      ...extra,
    },
    {}
  );
}

function ckResource(mods, config) {
  if (mods.resource && typeof mods.resource.buildResource === 'function') return mods.resource.buildResource(config);
  return require('@opentelemetry/resources').resourceFromAttributes({ 'service.name': 'bench-micro' });
}

/**
 * GraphPathMetrics that really records: with no reader (reporter NONE) it skips recording, so
 * the micro gives it an in-memory reader that never fires during the run.
 */
function recordingMetrics(m, config) {
  const { PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3600000,
  });
  return new m.metrics.GraphPathMetrics(config, ckResource(m, config), [reader]);
}

/** The micro definitions: each names the build modules it needs and returns its task function. */
function definitions() {
  const defs = [];
  const add = (name, needs, make, o = {}) => defs.push({ name, needs, make, inner: o.inner ?? INNER, bytes: o.bytes, note: o.note });

  // --- tracer: start + end of a SERVER span with the usual attributes -------------------------
  add('tracer: CKTracer start+end', ['trace', 'config'], (m) => {
    const config = ckConfig(m);
    const provider = new m.trace.CKTracerProvider({ config, resource: ckResource(m, config), spanProcessors: [] });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.223.0');
    return () => {
      for (let i = 0; i < INNER; i++) {
        const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: SERVER_ATTRS }, ROOT_CONTEXT);
        span.setAttribute('http.response.status_code', 200);
        span.end();
      }
    };
  });
  add('tracer: SDK tracer start+end', [], () => {
    const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
    const provider = new BasicTracerProvider({ spanProcessors: [] });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.223.0');
    return () => {
      for (let i = 0; i < INNER; i++) {
        const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: SERVER_ATTRS }, ROOT_CONTEXT);
        span.setAttribute('http.response.status_code', 200);
        span.end();
      }
    };
  });
  add('tracer: CKTracer + graph processor + metrics', ['trace', 'config', 'processors', 'metrics'], (m) => {
    const config = ckConfig(m);
    const resource = ckResource(m, config);
    const metrics = recordingMetrics(m, config);
    const provider = new m.trace.CKTracerProvider({
      config,
      resource,
      spanProcessors: [new m.processors.CKGraphSpanProcessor(config, metrics)],
    });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.223.0');
    return () => {
      for (let i = 0; i < INNER; i++) {
        const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: SERVER_ATTRS }, ROOT_CONTEXT);
        span.setAttribute('http.response.status_code', 200);
        span.end();
      }
    };
  });
  add('tracer: SDK tracer + BatchSpanProcessor (no-op exporter)', [], () => {
    const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
    const exporter = { export: (_spans, cb) => cb({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
    const provider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65536, maxExportBatchSize: 512 })],
    });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.223.0');
    return () => {
      for (let i = 0; i < INNER; i++) {
        const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: SERVER_ATTRS }, ROOT_CONTEXT);
        span.setAttribute('http.response.status_code', 200);
        span.end();
      }
    };
  });

  // --- metrics ---------------------------------------------------------------------------------
  add('hdr-histogram-js recordValue (reference)', [], () => {
    const hdr = require('hdr-histogram-js');
    const h = hdr.build({
      useWebAssembly: false,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3.6e9,
      numberOfSignificantValueDigits: 2,
    });
    return () => {
      for (let i = 0; i < INNER; i++) h.recordValue(800 + (i & 255));
    };
  });
  add('metrics: GraphPathMetrics.record (HDR + path bookkeeping)', ['metrics', 'config', 'graph'], (m) => {
    const config = ckConfig(m);
    const metrics = recordingMetrics(m, config);
    const element = { type: 'HTTP_SERVICE', name: 'GET /users/:id', role: 'entry' };
    const key = m.graph.pathKey('0000000000000000', 'bench-micro', element);
    return () => {
      for (let i = 0; i < INNER; i++) metrics.record(key, '0000000000000000', element, 0.0008 + (i & 255) * 1e-6, false);
    };
  });

  // --- graph path ------------------------------------------------------------------------------
  add('graph: pathKey(parent, service, element)', ['graph'], (m) => {
    const element = { type: 'HTTP_SERVICE', name: 'GET /users/:id', role: 'entry' };
    return () => {
      for (let i = 0; i < INNER; i++) blackhole += m.graph.pathKey('4f1c2a9be07d3318', 'bench-micro', element).length;
    };
  });
  add('graph: new PathState + setEntry', ['graph'], (m) => {
    const element = { type: 'HTTP_SERVICE', name: 'GET /users/:id', role: 'entry' };
    return () => {
      for (let i = 0; i < INNER; i++) {
        const state = new m.graph.PathState('bench-micro', '4f1c2a9be07d3318', 0);
        state.setEntry(element);
        blackhole += state.key.length;
      }
    };
  });
  add('graph: parseRoute (valid ck-route)', ['graph'], (m) => () => {
    for (let i = 0; i < INNER; i++) blackhole += m.graph.parseRoute('1-4f1c2a9be07d3318-00') ? 1 : 0;
  });
  add('graph: parseRoute (invalid ck-route)', ['graph'], (m) => () => {
    for (let i = 0; i < INNER; i++) blackhole += m.graph.parseRoute('2-zz1c2a9be07d3318-00') ? 1 : 0;
  });
  add('graph: routeTemplate (route-less path)', ['graph'], (m) => () => {
    for (let i = 0; i < INNER; i++) blackhole += m.graph.routeTemplate('/api/v1/users/12345/orders/9f1c2a9be07d33181234').length;
  });

  // --- span -> element ------------------------------------------------------------------------
  add('mapper: dispatch + map (server span)', ['processors', 'trace', 'config'], (m) => {
    const span = endedSpan(m, SpanKind.SERVER, SERVER_ATTRS);
    const registry = m.processors.defaultMapperRegistry();
    return () => {
      for (let i = 0; i < INNER; i++) blackhole += registry.mapperFor(span).map(span).name.length;
    };
  });
  add('mapper: dispatch + map (route-less client span)', ['processors', 'trace', 'config'], (m) => {
    const span = endedSpan(m, SpanKind.CLIENT, {
      'http.request.method': 'GET',
      'url.full': 'http://127.0.0.1:8081/users/9042',
      'server.address': '127.0.0.1',
      'server.port': 8081,
      'http.response.status_code': 200,
    });
    const registry = m.processors.defaultMapperRegistry();
    return () => {
      for (let i = 0; i < INNER; i++) blackhole += registry.mapperFor(span).map(span).name.length;
    };
  });
  add('processor: CKGraphSpanProcessor.onEnd (no-op recorder)', ['processors', 'trace', 'config'], (m) => {
    const span = endedSpan(m, SpanKind.SERVER, SERVER_ATTRS);
    const recorder = { record() {}, countInvalidRoute() {}, countDroppedSpan() {} };
    const processor = new m.processors.CKGraphSpanProcessor(ckConfig(m), recorder);
    return () => {
      for (let i = 0; i < INNER; i++) processor.onEnd(span);
    };
  });

  // --- body capture ---------------------------------------------------------------------------
  for (const size of [1024, 64 * 1024]) {
    for (const redact of [false, true]) {
      add(
        `body capture: ${size / 1024} KB JSON${redact ? ' + default redaction' : ''}`,
        ['bodyCapture', 'config', ...(redact ? ['redaction'] : [])],
        (m) => bodyCaptureTask(m, size, redact),
        { inner: size >= 65536 ? 10 : 200, bytes: size }
      );
    }
  }
  return defs;
}

/** An ended CK span with the given attributes (what the processor receives). */
function endedSpan(m, kind, attributes) {
  const config = ckConfig(m);
  const provider = new m.trace.CKTracerProvider({ config, resource: ckResource(m, config), spanProcessors: [] });
  const span = provider.getTracer('@opentelemetry/instrumentation-http', '0.223.0').startSpan('GET', { kind, attributes }, ROOT_CONTEXT);
  span.end();
  return span;
}

/** A JSON body of about `size` bytes with a key the default redaction rewrites. */
function jsonBody(size) {
  const item = { sku: 'SKU-1000', name: 'Item number 1', qty: 3, price: 12.5, password: 'hunter2', tags: ['a', 'b'] };
  const items = [];
  let s = '';
  while (s.length < size) {
    items.push(item);
    s = JSON.stringify({ items });
  }
  return Buffer.from(s);
}

/**
 * Body capture throughput: BodyCapture (src/capture/body-capture) fed in 16 KB chunks as the
 * wrappers observe them, then the attribute value, with or without the default redaction.
 */
function bodyCaptureTask(m, size, redact) {
  const body = jsonBody(size);
  const chunks = [];
  for (let at = 0; at < body.length; at += 16384) chunks.push(body.subarray(at, at + 16384));
  const config = ckConfig(m);
  const limits = { maxBytes: config.dataCapture.bodyMaxSizeBytes, maxProcessingBytes: config.dataCapture.bodyMaxProcessingSizeBytes };
  const redactor = redact ? new m.redaction.Redactor(config.redaction) : undefined;
  const { BodyCapture } = m.bodyCapture;
  return (inner) => () => {
    for (let i = 0; i < inner; i++) {
      const capture = new BodyCapture(limits, 'identity');
      for (let c = 0; c < chunks.length; c++) capture.add(chunks[c]);
      const out = capture.result(redactor, 'application/json');
      blackhole += out ? out.value.length : 0;
    }
  };
}

const MODULES = {
  trace: 'src/trace/index.js',
  config: 'src/config/index.js',
  resource: 'src/resource.js',
  graph: 'src/graph/index.js',
  metrics: 'src/metrics/index.js',
  processors: 'src/processors/index.js',
  bodyCapture: 'src/capture/body-capture.js',
  redaction: 'src/capture/redaction.js',
};

async function runMicro({ quick = QUICK } = {}) {
  const { Bench } = await import('tinybench');
  const mods = {};
  for (const [k, rel] of Object.entries(MODULES)) mods[k] = load(rel);

  const results = [];
  const skipped = [];
  const tasks = [];
  for (const def of definitions()) {
    const missing = def.needs.filter((n) => !mods[n] || mods[n].__error);
    if (missing.length) {
      const why = missing.map((n) =>
        mods[n] && mods[n].__error ? `${MODULES[n]}: ${mods[n].__error.message.split('\n')[0]}` : `${MODULES[n]} not built`
      );
      skipped.push({ name: def.name, reason: why.join('; ') });
      continue;
    }
    let fn;
    try {
      fn = def.make(mods);
      if (def.bytes) fn = fn(def.inner);
      fn(); // one untimed call: a broken micro is skipped, not measured
    } catch (err) {
      skipped.push({ name: def.name, reason: `setup failed: ${String((err && err.message) || err).split('\n')[0]}` });
      continue;
    }
    tasks.push({ def, fn, passes: [] });
  }
  // Several passes, each task's figure is the best pass median: on a shared machine other jobs
  // only ever make a pass slower, so the minimum is the least disturbed estimate.
  const passes = quick ? 1 : 3;
  for (let p = 0; p < passes; p++) {
    const bench = new Bench({ time: quick ? 150 : 500, warmupTime: quick ? 50 : 150, iterations: 10 });
    for (const t of tasks) bench.add(t.def.name, t.fn);
    await bench.run();
    bench.tasks.forEach((task, i) => {
      const r = task.result;
      if (r && r.state === 'completed') tasks[i].passes.push((r.latency.p50 * 1e6) / tasks[i].def.inner);
      else tasks[i].error = r && r.error ? r.error.message : r && r.state;
    });
  }
  for (const t of tasks) {
    if (!t.passes.length) {
      skipped.push({ name: t.def.name, reason: `did not complete: ${t.error}` });
      continue;
    }
    const nsPerOp = Math.min(...t.passes);
    const row = {
      name: t.def.name,
      nsPerOp: round(nsPerOp, 1),
      opsPerSec: Math.round(1e9 / nsPerOp),
      passesNs: t.passes.map((x) => round(x, 1)),
    };
    if (t.def.bytes) row.mbPerSec = round(t.def.bytes / 2 ** 20 / (nsPerOp / 1e9), 1);
    results.push(row);
  }
  return { results, skipped, inner: INNER, blackhole: blackhole % 7 };
}

function round(x, d) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

module.exports = { runMicro };

if (require.main === module) {
  if (process.send) process.send({ type: 'ready' });
  runMicro().then(
    (out) => {
      if (process.send) {
        process.send({ type: 'micro', out }, () => process.exit(0));
        return;
      }
      for (const r of out.results) {
        console.log(`${r.name.padEnd(62)} ${String(r.nsPerOp).padStart(10)} ns/op${r.mbPerSec ? `  ${r.mbPerSec} MB/s` : ''}`);
      }
      for (const s of out.skipped) console.log(`SKIPPED ${s.name}: ${s.reason}`);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    }
  );
}
