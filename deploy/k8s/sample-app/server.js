'use strict';
// Sample app for the Kubernetes injection: plain node:http, no agent code. `/` answers 200,
// `/slow` takes 150 ms (over ck-agent's 100 ms slow threshold), `/error` answers 500.
// If the app has its own @opentelemetry/api (any 1.x), it adds an attribute to the active span:
// the injected agent's API copy and the app's copy share the same global registration.
const http = require('http');

let api;
try {
  api = require('@opentelemetry/api');
} catch {
  api = undefined;
}

function tag(route) {
  const span = api && api.trace.getActiveSpan();
  if (span) span.setAttribute('app.route', route);
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url || '/', 'http://localhost');
  tag(url.pathname);
  if (url.pathname === '/') return send(res, 200, { ok: true, preload: process.env.SAMPLE_PRELOAD_RAN === 'true' });
  if (url.pathname === '/slow') return setTimeout(() => send(res, 200, { ok: true, slow: true }), 150);
  if (url.pathname === '/error') return send(res, 500, { ok: false, error: 'boom' });
  return send(res, 404, { ok: false });
});

server.listen(Number(process.env.PORT || 8080), process.env.HOST || '0.0.0.0', () => {
  process.stdout.write(`sample app listening on port ${server.address().port}\n`);
});

// Kubernetes stops a pod with SIGTERM: closing the server lets the process exit naturally, which
// is when ck-agent flushes its last metrics and spans.
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
