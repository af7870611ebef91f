/**
 * What one graph path costs in a Prometheus setup with the explicit bucket bounds of
 * `ck.path.duration` (src/metrics/path-metric-data.ts, docs/fleet-percentiles.md):
 *
 *   node --import tsx bench/fleet-series.ts [--paths=500] [--seconds=60]
 *
 * - Agent side: a GraphPathMetrics with the PROMETHEUS reader holding `--paths` series (entry
 *   elements with log-normal latencies, recorded all along): the scrape response's bytes and lines
 *   per path and the time to serve one scrape (the exporter builds the whole response as one
 *   string, synchronously: that much memory and event-loop time per scrape).
 * - Server side: two real Prometheus servers (Debian's binary, 5 s scrape), one scraping that
 *   agent and one scraping an agent with no path at all, for `--seconds`: the difference in head
 *   series and in Go heap in use, per Prometheus series and per path (a path is one series per
 *   bucket, plus _sum, _count, calls, errors and the latency gauges, on every instance).
 * Prints a JSON object with the figures. Needs /usr/bin/prometheus.
 */
import * as http from 'node:http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { GraphPathMetrics } from '../src/metrics';
import { PROMETHEUS_BOUNDARIES } from '../src/metrics/path-metric-data';
import { resolveConfig } from '../src/config';
import { freePort } from '../fixtures/fleet/ports';
import { startPrometheus, type PrometheusServer } from '../fixtures/fleet/prometheus';

const arg = (name: string, fallback: number): number => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};
const PATHS = arg('paths', 500);
const SECONDS = arg('seconds', 60);

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function endpoint(paths: number): Promise<{ url: string; target: string; metrics: GraphPathMetrics; record: () => void }> {
  const port = await freePort();
  const config = resolveConfig(
    {
      serviceName: 'bench',
      reporting: { metricReporterType: 'PROMETHEUS' },
      metrics: { prometheusHost: '127.0.0.1', prometheusPort: port, maxPaths: 100_000 },
    },
    {}
  );
  const metrics = new GraphPathMetrics(config, resourceFromAttributes({ 'service.name': 'bench' }));
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const record = (): void => {
    for (let p = 0; p < paths; p++) {
      const key = (p + 1).toString(16).padStart(16, '0');
      const median = 0.002 * Math.pow(1.01, p % 400);
      for (let i = 0; i < 20; i++) {
        const z = Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random());
        metrics.record(
          key,
          '0000000000000000',
          { type: 'HTTP_SERVICE', name: `GET /p${p}`, role: 'entry' },
          median * Math.exp(0.5 * z),
          false
        );
      }
    }
  };
  record();
  const url = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; i < 100; i++) {
    if (
      await get(url).then(
        () => true,
        () => false
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, target: `127.0.0.1:${port}`, metrics, record };
}

function selfMetric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const empty = await endpoint(0);
  const full = await endpoint(PATHS);
  const fullBody = await get(full.url);
  const emptyBody = await get(empty.url);
  const started = process.hrtime.bigint();
  const rounds = 5;
  for (let i = 0; i < rounds; i++) await get(full.url);
  const scrapeMs = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
  const lines = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('#')).length;

  let withPaths: PrometheusServer | undefined;
  let without: PrometheusServer | undefined;
  try {
    // A scrape of many paths takes longer than a second to serialise: 5 s interval, 4 s timeout.
    withPaths = await startPrometheus([full.target], '5s', '4s');
    without = await startPrometheus([empty.target], '5s', '4s');
    const timer = setInterval(full.record, 5000); // counters keep moving, as in production
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(timer);
    const a = await withPaths.selfMetrics();
    const b = await without.selfMetrics();
    const seriesA = selfMetric(a, 'prometheus_tsdb_head_series');
    const seriesB = selfMetric(b, 'prometheus_tsdb_head_series');
    const heapA = selfMetric(a, 'go_memstats_heap_inuse_bytes');
    const heapB = selfMetric(b, 'go_memstats_heap_inuse_bytes');
    const perSeries = (heapA - heapB) / (seriesA - seriesB);
    const seriesPerPath = (seriesA - seriesB) / PATHS;
    console.log(
      JSON.stringify(
        {
          paths: PATHS,
          bounds: PROMETHEUS_BOUNDARIES.length,
          seconds: SECONDS,
          agent: {
            scrapeBytesPerPath: Math.round((fullBody.length - emptyBody.length) / PATHS),
            scrapeLinesPerPath: (lines(fullBody) - lines(emptyBody)) / PATHS,
            scrapeMs: Math.round(scrapeMs * 10) / 10,
            scrapeMsPerPath: Math.round((scrapeMs / PATHS) * 100) / 100,
          },
          prometheus: {
            headSeriesPerPath: seriesPerPath,
            heapInUseBytesPerSeries: Math.round(perSeries),
            heapInUseBytesPerPath: Math.round(perSeries * seriesPerPath),
          },
        },
        null,
        2
      )
    );
  } finally {
    await withPaths?.stop();
    await without?.stop();
    await full.metrics.shutdown();
    await empty.metrics.shutdown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
