'use strict';
/**
 * ck-agent defaults: http + express wrappers, graph path metrics exported over OTLP/gRPC to the
 * sink, no span export (CK mode). The export interval is shortened from the 60 s default so that
 * metric exports really happen within a bench round (more exporting than the default, not less).
 */
const { loadAgent } = require('../lib/ck-build');

module.exports = function setup({ serviceName, sinkUrl, full }) {
  const ck = loadAgent();
  const options = {
    serviceName,
    logLevel: 'error',
    reporting: {
      metricReporterType: 'OTLP',
      metricEndpoint: sinkUrl,
      traceReporterType: full ? 'OTLP' : 'NONE',
      endpoint: sinkUrl,
    },
    // The memory test sets a shorter interval so several export cycles land in every part of its curve.
    metrics: { exportIntervalMs: Number(process.env.BENCH_METRICS_INTERVAL_MS) || 10000 },
  };
  if (full) {
    // Full Hypertrace-style capture (also the defaults, spelled out): body capture runs only when
    // a consumer (span export) exists, so this is the scenario that pays for it.
    options.dataCapture = {
      httpHeaders: { request: true, response: true },
      httpBody: { request: true, response: true },
    };
  }
  const agent = ck.init(options);
  new ck.CKHttpInstrumentation().enable();
  new ck.CKExpressInstrumentation().enable();
  if (process.env.BENCH_APP === 'realistic') {
    new ck.CKPgInstrumentation().enable();
    new ck.CKIORedisInstrumentation().enable();
  }
  return { name: full ? 'ck-full' : 'ck', shutdown: () => agent.shutdown() };
};
