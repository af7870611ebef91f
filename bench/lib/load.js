'use strict';
/**
 * Load generators. Latencies are recorded here in microseconds (autocannon's own histogram has
 * 1 ms resolution, too coarse for a 1 ms target).
 *   closedLoop: autocannon, N connections, as fast as the server answers (or capped by
 *               overallRate: autocannon then sends each connection's per-second quota in a burst)
 *   paced:      open-loop generator with evenly spaced arrivals at a fixed rate (1 ms ticks), for
 *               the latency a request sees at partial load without bursts
 */
const http = require('node:http');
const autocannon = require('autocannon');
const hdr = require('hdr-histogram-js');
const { echoBody } = require('../app');

const BODY = echoBody();

function histogram() {
  return hdr.build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 120e6, numberOfSignificantValueDigits: 3 });
}

/** The request mix: echo POST and user GET alternating, a few distinct ids. */
function requestMix() {
  const post = { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: BODY };
  return [post, { method: 'GET', path: '/users/17' }, post, { method: 'GET', path: '/users/9042' }];
}

function summarize(hist, completed, errors, seconds) {
  return {
    reqPerSec: completed / seconds,
    requests: completed,
    errors,
    p50Ms: hist.totalCount ? hist.getValueAtPercentile(50) / 1000 : undefined,
    p99Ms: hist.totalCount ? hist.getValueAtPercentile(99) / 1000 : undefined,
    maxMs: hist.totalCount ? hist.maxValue / 1000 : undefined,
  };
}

/**
 * autocannon against url for `seconds`.
 * @param {{ url: string, seconds: number, connections?: number, overallRate?: number, requests?: object[] }} o
 */
function closedLoop(o) {
  const hist = histogram();
  let completed = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections || 32,
        duration: o.seconds,
        overallRate: o.overallRate,
        requests: o.requests || requestMix(),
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        errors += result.errors + result.timeouts;
        resolve({ ...summarize(hist, completed, errors, Math.min(seconds, o.seconds + 0.5)), non2xx: result.non2xx });
      }
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) {
        completed++;
        hist.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
      } else {
        errors++;
      }
    });
  });
}

/**
 * Open-loop load at `rate` req/s for `seconds`: every 1 ms tick sends what is due so arrivals
 * stay evenly spread; bounded by maxOutstanding (excess arrivals are counted as dropped).
 */
function paced(o) {
  const url = new URL(o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets || 64 });
  const mix = o.requests || requestMix();
  const hist = histogram();
  const maxOutstanding = o.maxOutstanding || 256;
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let dropped = 0;
  let outstanding = 0;
  const start = process.hrtime.bigint();
  const endNs = BigInt(Math.round(o.seconds * 1e9));

  function fire(spec) {
    const t0 = process.hrtime.bigint();
    outstanding++;
    const headers = spec.body ? { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) } : spec.headers;
    const req = http.request({ host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        outstanding--;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          completed++;
          hist.recordValue(Math.max(1, Math.round(Number(process.hrtime.bigint() - t0) / 1000)));
        } else errors++;
      });
    });
    req.on('error', () => {
      outstanding--;
      errors++;
    });
    req.end(spec.body);
  }

  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = process.hrtime.bigint() - start;
      if (elapsed >= endNs) {
        clearInterval(timer);
        const waitStart = Date.now();
        const done = setInterval(() => {
          if (outstanding === 0 || Date.now() - waitStart > 5000) {
            clearInterval(done);
            agent.destroy();
            const r = summarize(hist, completed, errors, o.seconds);
            resolve({ ...r, targetRate: o.rate, dropped });
          }
        }, 5);
        return;
      }
      const due = Math.floor((Number(elapsed) / 1e9) * o.rate) - sent;
      for (let i = 0; i < due; i++) {
        sent++;
        if (outstanding >= maxOutstanding) {
          dropped++;
          continue;
        }
        fire(mix[sent % mix.length]);
      }
    }, 1);
  });
}

/** One request of each kind, checking the answers (a broken scenario must not be measured). */
async function sanityCheck(baseUrl) {
  const url = new URL(baseUrl);
  const call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, method, path, headers: body ? { 'content-type': 'application/json' } : {} },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
        }
      );
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  const echo = await call('POST', '/echo', BODY);
  if (echo.status !== 200 || echo.body !== BODY)
    throw new Error(`POST /echo answered ${echo.status} (${echo.body.length} bytes, expected the 1 KB echo)`);
  const user = await call('GET', '/users/17');
  if (user.status !== 200 || JSON.parse(user.body).id !== '17')
    throw new Error(`GET /users/17 answered ${user.status}: ${user.body.slice(0, 100)}`);
}

module.exports = { closedLoop, paced, sanityCheck, requestMix, BODY };
