/**
 * amqplib, recording (docs/messaging.md): what upstream's hooks turn a message into.
 *
 * - span start: `messaging.system` is `rabbitmq` when upstream could not read it from the
 *   connection (a connection opened before the instrumentation was enabled), so the span maps to
 *   a MESSAGING_PRODUCER / MESSAGING_CONSUMER element `rabbitmq <exchange or queue>`;
 * - publishHook: headers and payload of the sent message (the copy carrying `ck-route`);
 * - consumeHook: the message's `ck-route` adopted when the global propagator did not extract it
 *   (an invalid one counted), then headers and payload.
 */
import { SpanKind, type Span, type SpanOptions } from '@opentelemetry/api';
import type { ConsumeInfo, PublishInfo } from '@opentelemetry/instrumentation-amqplib';
import type { InstrumentationContext } from '../../capture/context';
import { ATTR_MESSAGING_SYSTEM } from '../../semconv';
import { captureMessage } from '../messaging-common/capture';
import { adoptMessageRoute } from '../messaging-common/route';
import type { SpanStartAdjuster } from '../upstream';

export const RABBITMQ_SYSTEM = 'rabbitmq';

export const withMessagingSystem: SpanStartAdjuster = (name: string, options: SpanOptions | undefined) => {
  if (!options || (options.kind !== SpanKind.PRODUCER && options.kind !== SpanKind.CONSUMER)) return undefined;
  if (typeof options.attributes?.[ATTR_MESSAGING_SYSTEM] === 'string') return undefined;
  return { name, options: { ...options, attributes: { ...options.attributes, [ATTR_MESSAGING_SYSTEM]: RABBITMQ_SYSTEM } } };
};

export function onPublish(context: InstrumentationContext, span: Span, info: PublishInfo): void {
  const options = info.options;
  captureMessage(context, span, {
    headers: options?.headers,
    body: info.content,
    contentType: typeof options?.contentType === 'string' ? options.contentType : undefined,
    contentEncoding: options?.contentEncoding,
  });
}

export function onConsume(context: InstrumentationContext, span: Span, info: ConsumeInfo): void {
  const properties = info.msg?.properties as Partial<ConsumeInfo['msg']['properties']> | undefined;
  adoptMessageRoute(span, properties?.headers, () => context.countInvalidRoute(), false);
  captureMessage(context, span, {
    headers: properties?.headers,
    body: info.msg?.content,
    contentType: typeof properties?.contentType === 'string' ? properties.contentType : undefined,
    contentEncoding: properties?.contentEncoding,
  });
}
