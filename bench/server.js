'use strict';
/**
 * One benchmarked server process. The scenario's agent is set up first, then the app is
 * required (as a real app would do). Talks to bench/run.js over IPC:
 *   -> { type: 'ready', port }              once listening on 127.0.0.1
 *   <- { cmd: 'mem', gc?: boolean, spaces?: boolean } -> { type: 'mem', rss, heapUsed, heapTotal, external, arrayBuffers[, newSpace, oldSpace] }
 *   <- { cmd: 'stop' }                       agent shutdown (bounded), then exit
 *   <- { cmd: 'cpu' }                        -> { type: 'cpu', user, system } (process.cpuUsage, us)
 * Env: BENCH_SCENARIO (bare|ck|ck-full|otel|hypertrace), BENCH_ROLE (single|gateway|service|memory),
 *      BENCH_SERVICE (service.name), BENCH_SINK (OTLP/gRPC URL), BENCH_UPSTREAM (gateway target),
 *      BENCH_APP=realistic (bench/realistic-app.js: Express + pg + ioredis; scenarios then also
 *      instrument pg and ioredis), BENCH_PG_SLEEP_MS (its latency variant).
 */
const scenario = process.env.BENCH_SCENARIO || 'bare';
const role = process.env.BENCH_ROLE || 'single';
const setup = require(`./scenarios/${scenario}`);
const agent = setup({
  serviceName: process.env.BENCH_SERVICE || `bench-${scenario}`,
  sinkUrl: process.env.BENCH_SINK || 'http://127.0.0.1:4317',
});

const http = require('node:http');

let server;
let ready = Promise.resolve();
if (process.env.BENCH_APP === 'realistic') {
  server = http.createServer();
  ready = require('./realistic-app')
    .createRealisticApp()
    .then(({ app }) => server.on('request', app));
} else if (role === 'memory') {
  // Route-less plain http server: every distinct URL is a distinct path template candidate.
  const body = Buffer.from('{"ok":true}');
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
} else {
  const { createApp } = require('./app');
  server = http.createServer(createApp({ upstream: role === 'gateway' ? process.env.BENCH_UPSTREAM : undefined }));
}
server.keepAliveTimeout = 30000;

ready.then(
  () =>
    server.listen(0, '127.0.0.1', () => {
      if (process.send) process.send({ type: 'ready', port: server.address().port });
      else console.log(`${scenario}/${role} listening on http://127.0.0.1:${server.address().port}`);
    }),
  (err) => {
    console.error(err);
    process.exit(1);
  }
);

process.on('message', (msg) => {
  if (!msg || typeof msg !== 'object') return;
  if (msg.cmd === 'mem') {
    if (msg.gc && typeof globalThis.gc === 'function') globalThis.gc();
    const m = process.memoryUsage();
    const spaces = {};
    if (msg.spaces) {
      for (const s of require('node:v8').getHeapSpaceStatistics()) {
        if (s.space_name === 'new_space') spaces.newSpace = s.space_size;
        if (s.space_name === 'old_space') spaces.oldSpace = s.space_size;
      }
    }
    process.send({
      type: 'mem',
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      ...spaces,
    });
  } else if (msg.cmd === 'cpu') {
    const c = process.cpuUsage();
    process.send({ type: 'cpu', user: c.user, system: c.system });
  } else if (msg.cmd === 'stop') {
    const timer = setTimeout(() => process.exit(0), 3000);
    Promise.resolve(agent.shutdown())
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        process.exit(0);
      });
  }
});
process.on('disconnect', () => process.exit(0));
