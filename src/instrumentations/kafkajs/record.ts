/**
 * kafkajs, recording (docs/messaging.md): what upstream's spans and hooks turn a message into.
 *
 * - eachMessage: upstream's `process <topic>` CONSUMER span is the entry `kafka <topic>`, its
 *   parent the producer's key (from the global propagator, else adopted in consumerHook).
 * - eachBatch: one entry per batch (graph-path.md). Upstream starts a `poll <topic>` span of kind
 *   CLIENT with no parent, then one `process <topic>` CONSUMER span per message under it; we start
 *   the `poll` span as CONSUMER (the batch entry) and the per-message spans as INTERNAL children,
 *   so they share the entry's path; the entry's parent comes from the first message whose
 *   `ck-route` is valid (consumerHook runs for each message before the batch handler).
 * - producerHook / consumerHook: headers and payload (content type and encoding from the
 *   `content-type` / `content-encoding` record headers, Kafka having no message properties).
 */
import { context as apiContext, SpanKind, trace, type Span, type SpanOptions } from '@opentelemetry/api';
import type { KafkajsMessage, MessageInfo } from '@opentelemetry/instrumentation-kafkajs';
import type { InstrumentationContext } from '../../capture/context';
import { ATTR_MESSAGING_OPERATION_TYPE } from '../../semconv';
import { captureMessage, findHeader, headerAsString } from '../messaging-common/capture';
import { adoptMessageRoute } from '../messaging-common/route';
import type { SpanStartAdjuster } from '../upstream';

/** Batch entry spans (upstream's `poll` spans, started by us as CONSUMER). */
const batchEntries = new WeakSet<object>();

function spanKind(span: unknown): SpanKind | undefined {
  return (span as { kind?: SpanKind } | undefined)?.kind;
}

function operationType(options: SpanOptions | undefined): unknown {
  return options?.attributes?.[ATTR_MESSAGING_OPERATION_TYPE];
}

export const batchAsOneEntry: SpanStartAdjuster = (name: string, options: SpanOptions | undefined) => {
  if (!options) return undefined;
  if (options.kind === SpanKind.CLIENT && operationType(options) === 'receive') {
    return { name, options: { ...options, kind: SpanKind.CONSUMER } };
  }
  if (options.kind === SpanKind.CONSUMER && batchEntries.has(trace.getSpan(apiContext.active()) ?? {})) {
    return { name, options: { ...options, kind: SpanKind.INTERNAL } };
  }
  return undefined;
};

export function rememberBatchEntry(span: Span): void {
  const attributes = (span as { attributes?: Record<string, unknown> }).attributes;
  if (spanKind(span) === SpanKind.CONSUMER && attributes?.[ATTR_MESSAGING_OPERATION_TYPE] === 'receive') batchEntries.add(span);
}

function capture(context: InstrumentationContext, span: Span, message: KafkajsMessage | undefined): void {
  if (!message) return;
  const headers = message.headers;
  captureMessage(context, span, {
    headers,
    body: message.value,
    contentType: headerAsString(findHeader(headers, 'content-type')),
    contentEncoding: headerAsString(findHeader(headers, 'content-encoding')),
  });
}

export function onProduce(context: InstrumentationContext, span: Span, info: MessageInfo): void {
  capture(context, span, info?.message);
}

export function onConsume(context: InstrumentationContext, span: Span, info: MessageInfo): void {
  const message = info?.message;
  const active = trace.getSpan(apiContext.active());
  // In a batch the entry is the active `poll` span; for eachMessage it is the span itself.
  const entry = spanKind(span) === SpanKind.CONSUMER ? span : active && batchEntries.has(active) ? active : undefined;
  if (entry) adoptMessageRoute(entry, message?.headers, () => context.countInvalidRoute(), true);
  capture(context, span, message);
}
