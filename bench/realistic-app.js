'use strict';
/**
 * The `realistic` benchmarked service: Express with one pg query and one ioredis call per request.
 *   GET  /orders/:id  SELECT by id (pg) + GET (ioredis), a ~300 B JSON answer
 *   POST /orders      express.json() of a 1 KB body, SELECT count(*) (pg) + INCR (ioredis), echo
 * BENCH_PG_SLEEP_MS (latency variant): every query also sleeps that long in PostgreSQL
 * (pg_sleep), so the request spends ~2 ms waiting on the database like a real service.
 * Needs PostgreSQL (127.0.0.1:5432, user postgres, db test) and Redis (127.0.0.1:6379); the table
 * bench_orders is created and filled on start (idempotent).
 */
const express = require('express');

const ORDER_IDS = 64;

async function createRealisticApp() {
  const pg = require('pg');
  const Redis = require('ioredis');
  const pool = new pg.Pool({
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT) || 5432,
    user: process.env.PGUSER || 'postgres',
    database: process.env.PGDATABASE || 'test',
    max: 16,
  });
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_orders (id integer PRIMARY KEY, customer integer NOT NULL, total numeric(10,2) NOT NULL, status text NOT NULL)'
  );
  await pool.query(
    `INSERT INTO bench_orders (id, customer, total, status)
     SELECT g, g % 16, (g * 7.5)::numeric(10,2), CASE WHEN g % 3 = 0 THEN 'shipped' ELSE 'open' END FROM generate_series(1, ${ORDER_IDS}) g
     ON CONFLICT (id) DO NOTHING`
  );
  const sleepMs = Number(process.env.BENCH_PG_SLEEP_MS) || 0;
  const sleep = sleepMs > 0 ? `, pg_sleep(${(sleepMs / 1000).toFixed(4)})` : '';
  const byId = `SELECT id, customer, total, status FROM bench_orders${sleep} WHERE id = $1`;
  const countByCustomer = `SELECT count(*) AS n FROM bench_orders${sleep} WHERE customer = $1`;

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/orders/:id', async (req, res, next) => {
    try {
      const id = Number(req.params.id) || 1;
      const { rows } = await pool.query(byId, [id]);
      const views = await redis.get(`bench:order:views:${id}`);
      const o = rows[0];
      if (!o) return res.status(404).json({ error: 'not found' });
      res.json({
        id: o.id,
        customer: { id: o.customer, name: `customer ${o.customer}`, email: `c${o.customer}@example.com` },
        total: o.total,
        currency: 'EUR',
        status: o.status,
        views: Number(views) || 0,
        links: { self: `/orders/${o.id}`, customer: `/customers/${o.customer}` },
      });
    } catch (err) {
      next(err);
    }
  });
  app.post('/orders', express.json({ limit: '64kb' }), async (req, res, next) => {
    try {
      const customer = (req.body && req.body.customer && Number(req.body.customer.id)) || 0;
      await pool.query(countByCustomer, [customer % 16]);
      await redis.incr('bench:orders:seq');
      res.json(req.body);
    } catch (err) {
      next(err);
    }
  });
  const close = async () => {
    await Promise.allSettled([pool.end(), redis.quit()]);
  };
  return { app, close };
}

module.exports = { createRealisticApp, ORDER_IDS };
