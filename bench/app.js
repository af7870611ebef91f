'use strict';
/**
 * The benchmarked Express app. Required only after the scenario's agent is set up.
 *   POST /echo       express.json() + res.json(body): a ~1 KB JSON echo
 *   GET  /users/:id  a small JSON document
 * As a two-hop gateway, both routes forward to the service (keep-alive http client) and relay
 * the answer, so client spans and the ck-route header are on the path.
 */
const http = require('node:http');
const express = require('express');

function createApp({ upstream } = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (!upstream) {
    app.post('/echo', express.json({ limit: '64kb' }), (req, res) => {
      res.json(req.body);
    });
    app.get('/users/:id', (req, res) => {
      const id = req.params.id;
      res.json({ id, name: `user ${id}`, email: `user${id}@example.com`, roles: ['reader', 'writer'], active: true });
    });
    return app;
  }

  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const forward = (method, path, body, res) => {
    const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
    const req = http.request({ host: target.hostname, port: target.port, method, path, headers, agent }, (up) => {
      const chunks = [];
      up.on('data', (c) => chunks.push(c));
      up.on('end', () => {
        res
          .status(up.statusCode || 502)
          .type('application/json')
          .send(Buffer.concat(chunks));
      });
    });
    req.on('error', () => {
      if (!res.headersSent) res.status(502).end();
    });
    req.end(body);
  };
  app.post('/echo', express.json({ limit: '64kb' }), (req, res) => {
    forward('POST', '/echo', JSON.stringify(req.body), res);
  });
  app.get('/users/:id', (req, res) => {
    forward('GET', `/users/${encodeURIComponent(req.params.id)}`, undefined, res);
  });
  return app;
}

/** The ~1 KB JSON request body (deterministic). */
function echoBody() {
  const items = [];
  for (let i = 0; i < 8; i++) {
    items.push({ sku: `SKU-${1000 + i}`, name: `Item number ${i}`, qty: i + 1, price: 9.99 + i, tags: ['a', 'b'] });
  }
  return JSON.stringify({ orderId: 'ord-12345', customer: { id: 42, name: 'Ada Lovelace', tier: 'gold' }, items, note: 'x'.repeat(264) });
}

module.exports = { createApp, echoBody };
