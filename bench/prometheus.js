'use strict';
/**
 * CPU cost of a Prometheus scrape (collect + text serialisation, on the event loop) per path:
 *   node bench/prometheus.js [--paths=200] [--scrapes=20]
 * GraphPathMetrics with metricReporterType PROMETHEUS (compiled build), `paths` distinct paths
 * (one HTTP entry each, 10 recordings per scrape interval), then scrapes taken through the reader
 * (collect() + the exporter's serializer, as its request handler does), alternating the upstream
 * serializer and the one with ck-agent's faster data point lines (src/metrics/prometheus-serializer)
 * so machine drift hits both alike. Prints CPU us per scrape and per path (medians) and checks that
 * both texts are identical.
 */
const { buildPath } = require('./lib/ck-build');

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const PATHS = opt('paths', 200);
const SCRAPES = opt('scrapes', 20);

async function main() {
  const { GraphPathMetrics } = require(buildPath('src/metrics/index.js'));
  const { resolveConfig } = require(buildPath('src/config/index.js'));
  const { PrometheusSerializer } = require('@opentelemetry/exporter-prometheus');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  const config = resolveConfig(
    {
      serviceName: 'bench-prom',
      reporting: { metricReporterType: 'PROMETHEUS' },
      metrics: { prometheusHost: '127.0.0.1', prometheusPort: 0 },
    },
    {}
  );
  const metrics = new GraphPathMetrics(config, resourceFromAttributes({ 'service.name': 'bench-prom' }));
  const reader = metrics.reader;
  const fast = reader._serializer;
  const upstream = new PrometheusSerializer(undefined, false);
  const keys = Array.from({ length: PATHS }, (_, i) => (0x1000000000000000n + BigInt(i) * 7919n).toString(16));
  const record = () => {
    for (let i = 0; i < PATHS; i++)
      for (let k = 0; k < 10; k++)
        metrics.record(
          keys[i],
          '0000000000000000',
          { type: 'HTTP_SERVICE', name: `GET /p${i}/{id}`, role: 'entry' },
          0.001 * (k + 1),
          k === 9
        );
  };
  const cpu = () => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  const results = { upstream: [], fast: [], 'collect only': [] };
  let lines = 0;
  for (let s = 0; s < SCRAPES * 3; s++) {
    record();
    const which = ['upstream', 'fast', 'collect only'][s % 3];
    if (which === 'collect only') {
      const t0 = cpu();
      await reader.collect();
      results[which].push(cpu() - t0);
      continue;
    }
    const serializer = which === 'upstream' ? upstream : fast;
    const t0 = cpu();
    const { resourceMetrics } = await reader.collect();
    const text = serializer.serialize(resourceMetrics);
    results[which].push(cpu() - t0);
    if (s < 2 && which === 'fast') {
      const other = upstream.serialize(resourceMetrics);
      if (other !== text) throw new Error('the two serializers differ');
      lines = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    }
  }
  await metrics.shutdown();
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  for (const [name, xs] of Object.entries(results)) {
    const m = median(xs);
    console.log(`${name.padEnd(9)} ${(m / 1000).toFixed(2)} ms CPU per scrape, ${(m / PATHS).toFixed(1)} us per path (${PATHS} paths)`);
  }
  console.log(`${lines} sample lines per scrape (${(lines / PATHS).toFixed(0)} per path); texts identical`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
