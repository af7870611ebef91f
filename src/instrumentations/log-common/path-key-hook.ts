/**
 * The one CK addition to upstream's log correlation (recording; docs/logs.md): upstream's pino and
 * winston instrumentations put `trace_id`, `span_id` and `trace_flags` of the active span on a
 * record written while a span is active and then call `logHook(span, record)`; this hook adds the
 * request's graph path key as `ck.path_key`. Outside a request upstream adds nothing and the
 * hook is not called, so such records stay unchanged.
 */
import { context, type Span } from '@opentelemetry/api';
import { getPathKey } from '../../graph';
import { LOG_PATH_KEY } from '../../semconv';

export function addPathKey(_span: Span, record: Record<string, unknown>): void {
  const key = getPathKey(context.active());
  if (key !== undefined) record[LOG_PATH_KEY] = key;
}
