/**
 * The app's message handler, run so that its failure is the consumer entry's error
 * (docs/messaging.md) while the app sees exactly what it would see without the agent: the same
 * return value, the same thrown error, the same unhandled rejection.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { reportHookError } from '../guard';

/** Marks `span` failed with `err` (nothing once the span has ended). */
export function markHandlerError(span: Span | undefined, err: unknown): void {
  if (!span || !span.isRecording()) return;
  try {
    const message = err instanceof Error ? err.message : String(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `message handler failed: ${message}` });
    if (err instanceof Error) span.recordException(err);
  } catch (hookErr) {
    reportHookError('messaging handler error', hookErr);
  }
}

/**
 * Calls `handler`. A synchronous throw marks the span and is rethrown unchanged. A native promise
 * result that rejects marks the span; the returned promise is then one that rejects with the same
 * reason, so an app that never handles it still gets its `unhandledRejection` (the app's own
 * promise counts as handled once we listen to it).
 * `deferEnd`: the caller ends `span` as soon as the handler returns (amqplib with `noAck`); the
 * end is held back until the promise settles, so the entry covers the handler's async work.
 */
export function runMessageHandler<T>(span: Span | undefined, call: () => T, deferEnd: boolean): T {
  let result: T;
  try {
    result = call();
  } catch (err) {
    markHandlerError(span, err);
    throw err;
  }
  if (!(result instanceof Promise) || !span || !span.isRecording()) return result;
  const release = deferEnd ? holdEnd(span) : undefined;
  const observed = result.then(
    (value: unknown) => {
      release?.();
      return value;
    },
    (err: unknown) => {
      markHandlerError(span, err);
      release?.();
      throw err;
    }
  );
  return observed as T;
}

/**
 * Until the returned release() runs, `span.end()` only records that it was asked for; release()
 * restores the span's own end and ends it then if it was asked.
 */
function holdEnd(span: Span): () => void {
  const holder = span as Span & { end: Span['end'] };
  const ownEnd = Object.prototype.hasOwnProperty.call(holder, 'end') ? holder.end : undefined;
  let requested = false;
  let endTime: Parameters<Span['end']>[0];
  holder.end = (time?: Parameters<Span['end']>[0]) => {
    requested = true;
    endTime = time;
  };
  return () => {
    if (ownEnd) holder.end = ownEnd;
    else delete (holder as Partial<Span>).end;
    if (requested) span.end(endTime);
  };
}
