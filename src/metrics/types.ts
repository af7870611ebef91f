import type { GraphElement } from '../graph/types';

/**
 * What the span processor hands to graph path metrics for every ended span.
 * The metrics side owns series identity, HDR histograms, the cardinality cap and export.
 */
export interface GraphPathRecorder {
  /**
   * Records one finished span under (pathKey, parentKey, element).
   * Must be cheap (no allocation beyond the first call for a series) and must never throw.
   */
  record(pathKey: string, parentKey: string, element: GraphElement, durationSeconds: number, isError: boolean): void;
  /** Counts a ck-route value that was present but invalid (self-metric ck.agent.route.invalid). */
  countInvalidRoute(): void;
  /** Counts spans the agent had to drop (self-metric ck.agent.spans.dropped). */
  countDroppedSpan(): void;
}
