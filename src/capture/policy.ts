/**
 * Whether captured data has a consumer for this span. Capture is work (header copies, body
 * buffering, decompression, JSON redaction); with graph path metrics only, nothing reads it.
 *
 * Decision (documented in docs/http-express.md): header AND body capture both follow this
 * policy. Headers are cheap, but in metrics-only mode they would be attributes nobody reads.
 */
import type { Span } from '@opentelemetry/api';
import { isExportSampled } from '../trace';
import { hasFilters } from '../filters/registry';
import { spanPathState } from '../graph/entry';

export interface CaptureAgent {
  /** True when sampled spans leave the process. */
  readonly spanExportEnabled: boolean;
}

/**
 * True when: span export is on and this span is sampled for export, or a filter is registered
 * (filters read headers and bodies), or the request's ck-route carries the force-capture flag.
 */
export function captureWanted(agent: CaptureAgent, span: Span): boolean {
  if (hasFilters()) return true;
  if (spanPathState(span)?.forceCapture) return true;
  if (!agent.spanExportEnabled) return false;
  try {
    return isExportSampled(span as unknown as Parameters<typeof isExportSampled>[0]);
  } catch {
    return false;
  }
}
