/**
 * MySQL error messages quote values and statement excerpts (`Duplicate entry 'bob@x' for key
 * 'email'`, `... near 'SELEC 1 ...'`), and upstream copies them into the span status. Upstream
 * offers no hook for that, so the span's setStatus is routed through a shared function that masks
 * literals (and our ck_route comment) first.
 */
import type { Span, SpanStatus } from '@opentelemetry/api';
import { maskSql } from '../../sql/segments';
import { removeRouteComments } from '../../sql/route-comment';

export function maskStatusMessages(span: Span): void {
  (span as Span & { setStatus: Span['setStatus'] }).setStatus = maskedSetStatus;
}

function maskedSetStatus(this: Span, status: SpanStatus): Span {
  const setStatus = (Object.getPrototypeOf(this) as Span).setStatus;
  if (status && typeof status.message === 'string' && status.message.length > 0) {
    status = { ...status, message: maskSql(removeRouteComments(status.message), 'mysql', 1024) };
  }
  return setStatus.call(this, status);
}
