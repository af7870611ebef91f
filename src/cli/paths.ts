/**
 * `ck-agent paths`: read the sources, join the series into path trees, print them (text or
 * JSON) and optionally write the HTML picture. Also the programmatic entry the demo uses.
 * Nothing here is loaded by the agent itself (src/index.ts never imports src/cli).
 */
import * as fs from 'node:fs';
import { parsePathsArgs, USAGE, UsageError, type PathsOptions } from './args';
import { formatProblem, Problems } from './problems';
import { readLoggingTarget, errorText, type SourceSummary } from './read-logging';
import { readPrometheusServer } from './read-prometheus-api';
import { readScrapeEndpoint } from './read-scrape';
import { renderHtml } from './render-html';
import { renderText } from './render-text';
import { SeriesTable, type Series } from './series';
import { buildForest, type PathForest } from './tree';
import { describeSources, type ViewMeta } from './view-meta';

export interface CollectOptions {
  from: readonly string[];
  /** Prometheus servers (fleet mode). */
  prometheus?: readonly string[];
  /** rate() window for the fleet percentiles (default 15m). */
  window?: string;
  maxSeries?: number;
}

export interface Collected {
  series: Series[];
  sources: SourceSummary[];
  /** Extra lines for the views (e.g. series dropped at the cap). */
  notes: string[];
}

const URL_SOURCE = /^https?:\/\//i;

/** Reads every source; bad input goes to `problems`, never throws for it. */
export async function collectSeries(options: CollectOptions, problems: Problems): Promise<Collected> {
  const table = new SeriesTable(options.maxSeries);
  const sources: SourceSummary[] = [];
  const seenFiles = new Set<string>();
  for (const source of options.from) {
    if (URL_SOURCE.test(source)) sources.push(await readScrapeEndpoint(source, table, problems));
    else sources.push(...(await readLoggingTarget(source, table, problems, seenFiles)));
  }
  const notes: string[] = [];
  const window = options.window ?? '15m';
  for (const server of options.prometheus ?? []) {
    const summary = await readPrometheusServer(server, window, table, problems);
    sources.push(summary);
    if (summary.rows > 0) notes.push(`${server}: p50/p99 over the last ${window}; calls and errors since each instance started.`);
  }
  if (table.dropped > 0) notes.push(`${table.dropped} rows of series past the limit of ${table.size} series were left out.`);
  return { series: table.series(), sources, notes };
}

export interface PathsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: PathsIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs `ck-agent paths <argv>`; resolves with the exit code. */
export async function runPaths(argv: readonly string[], io: PathsIo = processIo): Promise<number> {
  let options: PathsOptions;
  try {
    options = parsePathsArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`ck-agent paths: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    io.stdout(USAGE);
    return 0;
  }
  const problems = new Problems((line) => io.stderr(`${line}\n`));
  const collected = await collectSeries({ from: options.from, prometheus: options.prometheus, window: options.window }, problems);
  for (const line of problems.suppressed()) io.stderr(`${line}\n`);
  const readable = collected.sources.some((s) => s.rows > 0);
  if (!readable) {
    // With one source its own problem line already says it all.
    if (collected.sources.length !== 1) io.stderr('ck-agent paths: nothing could be read from the sources given\n');
    return 1;
  }
  const forest = buildForest(collected.series, { sort: options.sort, minCalls: options.minCalls, services: options.services });
  const meta = describeSources(collected.sources, forest, collected.notes);
  if (options.html) {
    try {
      fs.writeFileSync(options.html, renderHtml(forest, meta));
      io.stderr(`ck-agent paths: wrote ${options.html}\n`);
    } catch (err) {
      io.stderr(`ck-agent paths: could not write ${options.html}: ${errorText(err)}\n`);
    }
  }
  if (options.json) io.stdout(JSON.stringify(toJson(forest, meta, problems), null, 2) + '\n');
  else io.stdout(renderText(forest, meta));
  return 0;
}

/** The `--json` document (docs/paths-cli.md). */
export function toJson(forest: PathForest, meta: ViewMeta, problems?: Problems): unknown {
  return {
    format: 'ck-agent-paths/1',
    generatedAt: meta.generatedAt,
    notes: meta.notes,
    sources: meta.sources,
    services: forest.services,
    paths: forest.roots,
    detached: forest.detached,
    overflow: forest.overflow,
    problems: problems ? problems.list.map((p) => ({ ...p, text: formatProblem(p) })) : [],
  };
}
