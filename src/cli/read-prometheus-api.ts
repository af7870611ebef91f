/**
 * `--prometheus http://host:9090`: the whole fleet from a Prometheus server that scrapes the
 * agents, through its HTTP API (`/api/v1/query`), so the numbers are merged across instances the
 * way a team's dashboards and alerts merge them (docs/fleet-percentiles.md):
 *
 * - the service of a series is `service_name` of the target's `target_info` (joined on job and
 *   instance), or the `job` label when the targets expose no `target_info`;
 * - calls and errors: the counters summed over instances (each instance's count since it started);
 * - p50 / p99: `histogram_quantile` over the `ck_path_duration` buckets' `rate()` over `--window`,
 *   summed across instances: the fleet's percentiles, exact up to the bucket bounds;
 * - instances per service: the scrape targets (job, instance) with `ck_path_*` series.
 */
import { open } from './read-scrape';
import type { Problems } from './problems';
import { errorText, type SourceSummary } from './read-logging';
import type { SeriesTable } from './series';

/** A query answer larger than this is refused (the fleet would have millions of paths). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const IDENTITY = 'ck_path_key, ck_path_parent_key, ck_element_type, ck_element_name, ck_element_role';
const DURATION_BUCKETS = '{__name__=~"ck_path_duration(_seconds)?_bucket"}';

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusApiError extends Error {}

/** One instant query; the vector it returns. Throws PrometheusApiError with a readable message. */
export async function instantQuery(base: string, query: string): Promise<VectorSample[]> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let body: string;
  let status: number;
  try {
    // Any status: Prometheus explains a refused query (400, 422, 503) in a JSON body.
    const res = await open(url, 'application/json', undefined, true);
    status = res.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        throw new PrometheusApiError(`the answer to ${query} is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`);
      }
      chunks.push(chunk as Buffer);
    }
    body = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof PrometheusApiError) throw err;
    throw new PrometheusApiError(`cannot query ${base}: ${errorText(err)}`);
  }
  let parsed: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new PrometheusApiError(
      `${base} did not answer with Prometheus API JSON (HTTP ${status}${status === 200 ? '' : ` ${body.slice(0, 80).trim()}`}): is it a Prometheus server?`
    );
  }
  if (parsed.status !== 'success') throw new PrometheusApiError(`${base} refused ${query}: ${parsed.error ?? 'unknown error'}`);
  if (parsed.data?.resultType !== 'vector' || !Array.isArray(parsed.data.result)) {
    throw new PrometheusApiError(`${base} answered ${query} with ${parsed.data?.resultType ?? 'no'} result, not a vector`);
  }
  return parsed.data.result as VectorSample[];
}

export async function readPrometheusServer(base: string, window: string, table: SeriesTable, problems: Problems): Promise<SourceSummary> {
  const summary: SourceSummary = { source: base, kind: 'prometheus', rows: 0, readable: false };
  try {
    const targets = await instantQuery(base, 'count by (job, instance) (ck_path_calls_total)');
    summary.readable = true;
    if (targets.length === 0) {
      problems.add(
        base,
        undefined,
        'no ck_path_* series: does this Prometheus scrape ck-agents (metric_reporter_type PROMETHEUS) that have recorded requests?'
      );
      return summary;
    }
    // Service names come from target_info when the targets have one.
    const join = ' * on (job, instance) group_left (service_name) target_info';
    const named = await instantQuery(base, `count by (service_name) (ck_path_calls_total${join})`);
    const withInfo = named.length > 0;
    const svc = withInfo ? 'service_name' : 'job';
    const on = withInfo ? join : '';
    if (!withInfo) problems.add(base, undefined, 'the targets expose no target_info: the job label is used as the service name');

    const [instances, calls, errors, p50, p99] = await Promise.all([
      instantQuery(base, `count by (${svc}) (count by (${svc}, job, instance) (ck_path_calls_total${on}))`),
      instantQuery(base, `sum by (${svc}, ${IDENTITY}) (ck_path_calls_total${on})`),
      instantQuery(base, `sum by (${svc}, ${IDENTITY}) (ck_path_errors_total${on})`),
      instantQuery(base, quantileQuery(0.5, window, svc, on)),
      instantQuery(base, quantileQuery(0.99, window, svc, on)),
    ]);
    const instanceCount = new Map(instances.map((s) => [s.metric[svc] ?? '', Number(s.value[1])]));
    const key = (m: Record<string, string>): string =>
      [m[svc] ?? '', m.ck_path_key, m.ck_path_parent_key, m.ck_element_type, m.ck_element_name ?? '', m.ck_element_role ?? ''].join(
        '\u0000'
      );
    const errorsBy = new Map(errors.map((s) => [key(s.metric), Number(s.value[1])]));
    const p50By = new Map(p50.map((s) => [key(s.metric), finite(s.value[1])]));
    const p99By = new Map(p99.map((s) => [key(s.metric), finite(s.value[1])]));
    for (const s of calls) {
      const m = s.metric;
      if (!m.ck_path_key || !m.ck_path_parent_key || !m.ck_element_type) continue;
      const k = key(m);
      const service = m[svc] ?? '';
      const id = {
        service: service || '(unknown service)',
        pathKey: m.ck_path_key,
        parentKey: m.ck_path_parent_key,
        element: { type: m.ck_element_type, name: m.ck_element_name ?? '', role: m.ck_element_role ?? '' },
      };
      const added = table.addFleet(
        id,
        Math.round(Number(s.value[1])),
        Math.round(errorsBy.get(k) ?? 0),
        p50By.get(k) ?? null,
        p99By.get(k) ?? null,
        instanceCount.get(service) ?? null
      );
      if (added) summary.rows++;
    }
    if (summary.rows === 0) problems.add(base, undefined, 'no ck_path_* series with path labels');
  } catch (err) {
    problems.add(base, undefined, err instanceof Error ? err.message : String(err));
  }
  return summary;
}

/** The fleet quantile of every series, as the README's PromQL writes it. */
export function quantileQuery(
  q: number,
  window: string,
  svc = 'service_name',
  on = ' * on (job, instance) group_left (service_name) target_info'
): string {
  return `histogram_quantile(${q}, sum by (le, ${svc}, ${IDENTITY}) (rate(${DURATION_BUCKETS}[${window}])${on}))`;
}

function finite(text: string): number | null {
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}
