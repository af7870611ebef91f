/**
 * CKAmqplibInstrumentation: the unmodified `@opentelemetry/instrumentation-amqplib` (amqplib
 * 0.10.x, promise and callback APIs), with (docs/messaging.md):
 * - patches (patch.ts): `ck-route` in the headers of every message published inside a request
 *   (`publish`, `sendToQueue`, confirm channels), on a copy of the app's options; the consume
 *   handler wrapped so that a throw or a rejected promise fails the consumer entry;
 * - beforeSpanStart: `messaging.system` = `rabbitmq` when upstream could not read it;
 * - publishHook / consumeHook (record.ts): route adoption on the consumer side, capture of
 *   message headers and payload when captured data has a consumer.
 *
 * Each delivered message is a MESSAGING_CONSUMER entry `rabbitmq <exchange or queue>` whose parent
 * is the producer's path key; nack / reject (and a channel closed before the ack) end it as an
 * error, as upstream sets the span status. User hooks are chained after ours.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation, type AmqplibInstrumentationConfig } from '@opentelemetry/instrumentation-amqplib';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { extendUpstream } from '../upstream';
import { amqplibPatches } from './patch';
import { onConsume, onPublish, withMessagingSystem } from './record';

export type CKAmqplibInstrumentationConfig = AmqplibInstrumentationConfig;

export class CKAmqplibInstrumentation extends CKInstrumentation<CKAmqplibInstrumentationConfig> {
  readonly libraryName = 'amqplib';

  constructor(config: CKAmqplibInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKAmqplibInstrumentationConfig): Instrumentation {
    const Upstream = extendUpstream(AmqplibInstrumentation, { patches: amqplibPatches(), beforeSpanStart: withMessagingSystem });
    return new Upstream({
      ...userConfig,
      enabled: false,
      publishHook: chainHooks('amqplib publishHook', (span, info) => onPublish(context, span, info), userConfig.publishHook),
      consumeHook: chainHooks('amqplib consumeHook', (span, info) => onConsume(context, span, info), userConfig.consumeHook),
    });
  }
}
