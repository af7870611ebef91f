'use strict';
/**
 * Loopback OTLP/gRPC sink: accepts trace and metric exports and discards them.
 *
 * Messages are never decoded (identity Buffer serializers), so the sink costs almost nothing and
 * every exporter, whatever its OpenTelemetry version, gets a valid empty ExportResponse (an empty
 * protobuf message is zero bytes). To prove each scenario really exported, exports are counted per
 * `service.name` found in the payload: every bench service is named `bench-<scenario>[-<role>]`.
 *
 * Run standalone (`node bench/sink.js`) it listens on 127.0.0.1:<ephemeral>, reports the port
 * over IPC (or stdout) and answers `{ cmd: 'stats' }` IPC messages with its counters.
 */
const grpc = require('@grpc/grpc-js');

const identity = {
  path: '',
  requestStream: false,
  responseStream: false,
  requestSerialize: (b) => b,
  requestDeserialize: (b) => b,
  responseSerialize: (b) => b,
  responseDeserialize: (b) => b,
};

const EMPTY = Buffer.alloc(0);
const NAME_PREFIX = Buffer.from('bench-');

/** Counters: { traces: { [service]: { exports, bytes } }, metrics: { ... } } */
function createStats() {
  return { traces: {}, metrics: {} };
}

/** Every distinct bench service name in one payload (a batch may hold several resources). */
function serviceNames(buf) {
  const names = new Set();
  let at = buf.indexOf(NAME_PREFIX);
  let guard = 0;
  while (at !== -1 && guard++ < 16) {
    let end = at + NAME_PREFIX.length;
    while (end < buf.length && end - at < 64) {
      const c = buf[end];
      const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d; // a-z 0-9 -
      if (!ok) break;
      end++;
    }
    names.add(buf.toString('latin1', at, end));
    at = buf.indexOf(NAME_PREFIX, end);
  }
  if (names.size === 0) names.add('unknown');
  return names;
}

function counter(stats, signal) {
  return (call, callback) => {
    const buf = call.request;
    for (const name of serviceNames(buf)) {
      const entry = (stats[signal][name] ??= { exports: 0, bytes: 0 });
      entry.exports++;
      entry.bytes += buf.length;
    }
    callback(null, EMPTY);
  };
}

/**
 * Starts the sink on 127.0.0.1 (port 0 = ephemeral).
 * @returns {Promise<{ port: number, url: string, stats: object, close(): Promise<void> }>}
 */
function startSink(port = 0) {
  const stats = createStats();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(
    { Export: { ...identity, path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export' } },
    { Export: counter(stats, 'traces') }
  );
  server.addService(
    { Export: { ...identity, path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export' } },
    { Export: counter(stats, 'metrics') }
  );
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) return reject(err);
      resolve({
        port: bound,
        url: `http://127.0.0.1:${bound}`,
        stats,
        close: () =>
          new Promise((done) => {
            const timer = setTimeout(() => {
              server.forceShutdown();
              done();
            }, 2000);
            server.tryShutdown(() => {
              clearTimeout(timer);
              done();
            });
          }),
      });
    });
  });
}

module.exports = { startSink, serviceNames };

if (require.main === module) {
  startSink(Number(process.env.SINK_PORT || 0)).then(
    (sink) => {
      if (process.send) {
        process.on('message', (msg) => {
          if (msg && msg.cmd === 'stats') process.send({ type: 'stats', stats: sink.stats });
          if (msg && msg.cmd === 'stop') sink.close().then(() => process.exit(0));
        });
        process.on('disconnect', () => process.exit(0));
        process.send({ type: 'ready', port: sink.port });
      } else {
        console.log(`OTLP/gRPC discard sink on ${sink.url}`);
      }
    },
    (err) => {
      console.error(err);
      process.exit(1);
    }
  );
}
