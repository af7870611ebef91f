/**
 * Whether captured data has a consumer for this span. Capture is work (header copies, body
 * buffering, decompression, JSON redaction); with graph path metrics only, nothing reads it.
 *
 * Decision (documented in docs/http-express.md): header AND body capture both follow this
 * policy. Headers are cheap, but in metrics-only mode they would be attributes nobody reads.
 */
import type { Span } from '@opentelemetry/api';
import { pathStateOf } from '../graph/path-state';
import { hasFilters } from '../filters/registry';
import { isExportSampled } from '../trace';

/**
 * True when: a filter is registered (filters read headers and bodies), or the request's ck-route
 * carries the force-capture flag, or span export is on and this span is sampled for export.
 */
export function captureWanted(spanExportEnabled: boolean, span: Span): boolean {
  if (hasFilters()) return true;
  if (pathStateOf(span)?.forceCapture) return true;
  if (!spanExportEnabled) return false;
  try {
    return isExportSampled(span);
  } catch {
    return false;
  }
}
