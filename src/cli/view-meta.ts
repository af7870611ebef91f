/** What the views say about where the numbers came from. */
import type { SourceSummary } from './read-logging';
import type { PercentileSource } from './series';
import type { PathForest } from './tree';
import { walk } from './tree';

export interface ViewMeta {
  /** `3 files`, `http://127.0.0.1:9090 (last 15m)`. */
  sourceText: string;
  /** Lines saying how calls and percentiles were computed. */
  notes: string[];
  sources: SourceSummary[];
  generatedAt: string;
}

const PERCENTILE_NOTES: Record<PercentileSource, string> = {
  'worst-interval':
    'LOGGING files: calls and errors are summed over all export intervals; p50/p99 are those of the worst (slowest) interval of each series.',
  histogram:
    'Prometheus endpoints: calls and errors are cumulative since each process started, summed over endpoints; p50/p99 are interpolated from the summed ck_path_duration buckets.',
  prometheus:
    'Prometheus server: calls and errors are the counters summed over instances; p50/p99 are histogram_quantile over the buckets summed across instances.',
};

export function describeSources(sources: SourceSummary[], forest: PathForest, extraNotes: string[] = []): ViewMeta {
  const files = sources.filter((s) => s.kind === 'logging' && s.rows > 0).length;
  const scrapes = sources.filter((s) => s.kind === 'scrape' && s.rows > 0).length;
  const servers = sources.filter((s) => s.kind === 'prometheus' && s.rows > 0).map((s) => s.source);
  const parts: string[] = [];
  if (files > 0) parts.push(`${files} ${files === 1 ? 'file' : 'files'}`);
  if (scrapes > 0) parts.push(`${scrapes} ${scrapes === 1 ? 'endpoint' : 'endpoints'}`);
  parts.push(...servers);
  const used = new Set<PercentileSource>();
  const visit = (n: { percentiles: PercentileSource }): void => {
    used.add(n.percentiles);
  };
  for (const root of forest.roots) walk(root, visit);
  forest.detached.forEach(visit);
  const notes = (['worst-interval', 'histogram', 'prometheus'] as PercentileSource[])
    .filter((p) => used.has(p))
    .map((p) => PERCENTILE_NOTES[p]);
  return {
    sourceText: parts.length > 0 ? parts.join(', ') : 'no readable source',
    notes: [...notes, ...extraNotes],
    sources,
    generatedAt: new Date().toISOString(),
  };
}
