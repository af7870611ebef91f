'use strict';
/**
 * Vanilla OpenTelemetry, as a typical app sets it up: upstream http + express instrumentations,
 * the SDK NodeTracerProvider, BatchSpanProcessor and the OTLP/gRPC trace exporter to the sink.
 */
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

/** pg + ioredis for the realistic service (bench/realistic-app.js). */
function dataStoreInstrumentations() {
  if (process.env.BENCH_APP !== 'realistic') return [];
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis');
  return [new PgInstrumentation(), new IORedisInstrumentation()];
}

module.exports = function setup({ serviceName, sinkUrl }) {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: sinkUrl }))],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation(), ...dataStoreInstrumentations()],
  });
  return { name: 'otel', shutdown: () => provider.shutdown() };
};
module.exports.dataStoreInstrumentations = dataStoreInstrumentations;
