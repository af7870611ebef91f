'use strict';
/**
 * The Hypertrace Node.js agent (@hypertrace/nodejsagent from the npm registry, installed in
 * bench/anchors/ because it pins the OpenTelemetry 1.x line). Initialised as its README and
 * index.js do: `new HypertraceAgent().instrument()` before the app's requires; configured by
 * HT_* env (OTLP/gRPC trace export to the sink; its default data capture: headers + bodies).
 */
const path = require('node:path');

module.exports = function setup({ serviceName, sinkUrl }) {
  process.env.HT_SERVICE_NAME = serviceName;
  process.env.HT_REPORTING_ENDPOINT = sinkUrl;
  process.env.HT_REPORTING_TRACE_REPORTER_TYPE = 'OTLP';
  const { HypertraceAgent } = require(path.join(__dirname, '..', 'anchors', 'node_modules', '@hypertrace', 'nodejsagent'));
  const agent = new HypertraceAgent();
  agent.instrument();
  return { name: 'hypertrace', shutdown: async () => {} };
};
