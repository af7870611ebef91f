/**
 * `--prometheus` against servers that are not (working) Prometheus servers: one clear problem
 * each. The real Prometheus path is covered by test/integration/fleet-prometheus.test.ts.
 */
import test from 'ava';
import * as http from 'node:http';
import { Problems, formatProblem } from '../../src/cli/problems';
import { readPrometheusServer } from '../../src/cli/read-prometheus-api';
import { SeriesTable } from '../../src/cli/series';

async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function read(url: string): Promise<string[]> {
  const problems = new Problems();
  const summary = await readPrometheusServer(url, '15m', new SeriesTable(), problems);
  return [String(summary.rows), ...problems.list.map(formatProblem)];
}

test('an HTML page, a refused query and an empty answer each give one problem and no rows', async (t) => {
  const html = await serve((req, res) => res.end('<html>not prometheus</html>'));
  const refused = await serve((req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }));
  });
  const empty = await serve((req, res) => {
    t.true(req.url!.startsWith('/prefix/api/v1/query?query='), 'a path prefix in the URL is kept');
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
  });
  t.teardown(() => Promise.all([html.close(), refused.close(), empty.close()]).then(() => undefined));
  t.deepEqual(await read(html.url), [
    '0',
    `${html.url}: ${html.url} did not answer with Prometheus API JSON (HTTP 200): is it a Prometheus server?`,
  ]);
  t.deepEqual(await read(refused.url), [
    '0',
    `${refused.url}: ${refused.url} refused count by (job, instance) (ck_path_calls_total): parse error at char 3`,
  ]);
  const emptyResult = await read(`${empty.url}/prefix/`);
  t.is(emptyResult.length, 2);
  t.regex(emptyResult[1], /no ck_path_\* series: does this Prometheus scrape ck-agents/);
});
