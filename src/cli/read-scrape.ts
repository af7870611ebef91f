/**
 * Reads the `ck_path_*` series of one Prometheus scrape endpoint (a ck-agent with
 * `metric_reporter_type: PROMETHEUS`, or a collector's Prometheus exporter), streamed line by line.
 *
 * Used: `ck_path_calls_total`, `ck_path_errors_total` and the buckets of `ck_path_duration`
 * (cumulative since the process started). The service is the series' `service_name` or `job`
 * label when there is one (a collector's exporter), else `service_name` of the endpoint's
 * `target_info`, else the endpoint's host:port.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { readLines } from './lines';
import type { Problems } from './problems';
import { errorText, type SourceSummary } from './read-logging';
import type { ElementRef, SeriesTable } from './series';

const MAX_LINE_BYTES = 1024 * 1024;
export const FETCH_TIMEOUT_MS = 10_000;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scraped {
  pathKey: string;
  parentKey: string;
  element: ElementRef;
  service: string | undefined;
  instance: string | undefined;
  calls: number;
  errors: number;
  buckets: Map<number, number> | null;
}

export async function readScrapeEndpoint(url: string, table: SeriesTable, problems: Problems): Promise<SourceSummary> {
  const summary: SourceSummary = { source: url, kind: 'scrape', rows: 0, readable: false };
  const series = new Map<string, Scraped>();
  let targetService: string | undefined;
  let targetInstance: string | undefined;
  let lines = 0;
  try {
    const body = await open(url, 'text/plain;version=0.0.4');
    summary.readable = true;
    for await (const line of readLines(body, MAX_LINE_BYTES)) {
      lines++;
      if (line.tooLong) {
        problems.add(url, line.number, `line longer than ${MAX_LINE_BYTES} bytes, skipped`);
        continue;
      }
      const text = line.text;
      if (text === '' || text.startsWith('#')) continue;
      const sample = parseSample(text);
      if (!sample) {
        problems.add(url, line.number, 'not a Prometheus text-format sample');
        continue;
      }
      if (sample.name === 'target_info') {
        targetService ??= sample.labels.service_name;
        targetInstance ??= sample.labels.service_instance_id;
        continue;
      }
      const kind = metricKind(sample.name);
      if (!kind) continue;
      const l = sample.labels;
      if (!l.ck_path_key || !l.ck_path_parent_key || !l.ck_element_type) {
        problems.add(url, line.number, `${sample.name} sample without ck_path_key / ck_path_parent_key / ck_element_type labels`);
        continue;
      }
      const id = [
        l.ck_path_key,
        l.ck_path_parent_key,
        l.ck_element_type,
        l.ck_element_name ?? '',
        l.ck_element_role ?? '',
        l.service_name ?? l.job ?? '',
        l.instance ?? '',
      ].join('\u0000');
      let entry = series.get(id);
      if (!entry) {
        entry = {
          pathKey: l.ck_path_key,
          parentKey: l.ck_path_parent_key,
          element: { type: l.ck_element_type, name: l.ck_element_name ?? '', role: l.ck_element_role ?? '' },
          service: l.service_name ?? l.job,
          instance: l.instance,
          calls: 0,
          errors: 0,
          buckets: null,
        };
        series.set(id, entry);
      }
      if (kind === 'calls') entry.calls += sample.value;
      else if (kind === 'errors') entry.errors += sample.value;
      else {
        const le = parseBound(l.le);
        if (le === undefined) {
          problems.add(url, line.number, `bucket sample with an invalid le label ${JSON.stringify(l.le)}`);
          continue;
        }
        (entry.buckets ??= new Map()).set(le, sample.value);
      }
    }
  } catch (err) {
    problems.add(url, lines > 0 ? lines : undefined, `${summary.readable ? 'read failed' : 'cannot fetch'}: ${errorText(err)}`);
    return summary;
  }
  const fallbackService = targetService ?? new URL(url).host;
  const fallbackInstance = targetInstance ?? url;
  for (const s of series.values()) {
    const id = { service: s.service ?? fallbackService, pathKey: s.pathKey, parentKey: s.parentKey, element: s.element };
    if (table.addCumulative(id, s.instance ?? fallbackInstance, Math.round(s.calls), Math.round(s.errors), s.buckets)) summary.rows++;
  }
  if (summary.rows === 0)
    problems.add(url, undefined, 'no ck_path_* series (is it a ck-agent PROMETHEUS endpoint, and has it recorded anything yet?)');
  return summary;
}

function metricKind(name: string): 'calls' | 'errors' | 'bucket' | undefined {
  if (name === 'ck_path_calls_total') return 'calls';
  if (name === 'ck_path_errors_total') return 'errors';
  if (name === 'ck_path_duration_bucket' || name === 'ck_path_duration_seconds_bucket') return 'bucket';
  return undefined;
}

function parseBound(le: string | undefined): number | undefined {
  if (le === undefined) return undefined;
  if (le === '+Inf' || le === 'Inf') return Infinity;
  const value = Number(le);
  return le.trim() !== '' && Number.isFinite(value) ? value : undefined;
}

/** One line of the Prometheus text format: `name{label="value",...} value [timestamp]`. */
export function parseSample(line: string): Sample | undefined {
  const nameMatch = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[1];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(i, i + 200));
      if (!labelMatch) return undefined;
      i += labelMatch[0].length;
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) return undefined;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          value += e === 'n' ? '\n' : e === undefined ? '' : e;
        } else value += c;
      }
      labels[labelMatch[1]] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length === 0 || rest[0] === '') return undefined;
  const value = rest[0] === '+Inf' ? Infinity : rest[0] === '-Inf' ? -Infinity : Number(rest[0]);
  if (Number.isNaN(value) && rest[0] !== 'NaN') return undefined;
  return { name, labels, value };
}

/**
 * GETs `url` and resolves with the response body stream once the status is 200 (any status with
 * `anyStatus`); rejects on a network error, another status or no response within FETCH_TIMEOUT_MS. Node core only (the CLI
 * has no dependencies).
 */
export function open(url: string, accept: string, timeoutMs = FETCH_TIMEOUT_MS, anyStatus = false): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new Error(`not a URL: ${url}`));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new Error(`unsupported protocol ${parsed.protocol}`));
      return;
    }
    const req = client.get(parsed, { headers: { accept }, timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200 && !anyStatus) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode ?? '?'} from ${url}`));
        return;
      }
      // The whole read (not just the first byte) is bounded by the timeout.
      res.setTimeout(timeoutMs, () => res.destroy(new Error(`no data for ${timeoutMs} ms`)));
      resolve(res);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
