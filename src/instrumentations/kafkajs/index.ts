/**
 * CKKafkaJsInstrumentation: the unmodified `@opentelemetry/instrumentation-kafkajs` (kafkajs
 * 2.x), with (docs/messaging.md):
 * - patches (patch.ts): `ck-route` in the record headers of every message sent inside a request
 *   (`send`, `sendBatch`), on copies of the app's messages; handlers whose synchronous throw
 *   fails the entry like a rejection does;
 * - beforeSpanStart / onSpanStart (record.ts): one MESSAGING_CONSUMER entry per batch for
 *   `eachBatch`, per message for `eachMessage`, named `kafka <topic>`;
 * - producerHook / consumerHook (record.ts): route adoption on the consumer side, capture of
 *   record headers and payload when captured data has a consumer.
 * A handler that throws or rejects ends its entry as an error (upstream sets the span status).
 * User hooks are chained after ours.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { KafkaJsInstrumentation, type KafkaJsInstrumentationConfig } from '@opentelemetry/instrumentation-kafkajs';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { extendUpstream } from '../upstream';
import { kafkajsPatches } from './patch';
import { batchAsOneEntry, onConsume, onProduce, rememberBatchEntry } from './record';

export type CKKafkaJsInstrumentationConfig = KafkaJsInstrumentationConfig;

export class CKKafkaJsInstrumentation extends CKInstrumentation<CKKafkaJsInstrumentationConfig> {
  readonly libraryName = 'kafkajs';

  constructor(config: CKKafkaJsInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKKafkaJsInstrumentationConfig): Instrumentation {
    const Upstream = extendUpstream(KafkaJsInstrumentation, {
      patches: kafkajsPatches(),
      beforeSpanStart: batchAsOneEntry,
      onSpanStart: rememberBatchEntry,
    });
    return new Upstream({
      ...userConfig,
      enabled: false,
      producerHook: chainHooks('kafkajs producerHook', (span, info) => onProduce(context, span, info), userConfig.producerHook),
      consumerHook: chainHooks('kafkajs consumerHook', (span, info) => onConsume(context, span, info), userConfig.consumerHook),
    });
  }
}
