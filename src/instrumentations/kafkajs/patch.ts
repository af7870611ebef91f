/**
 * kafkajs, hooking (docs/messaging.md): our wrappers on the producers and consumers that
 * `Kafka.prototype.producer` / `consumer` create, chained outside upstream's.
 *
 * - `send` / `sendBatch`: upstream injects trace context into `message.headers` of the message
 *   objects it is given (creating `headers` when missing); we give it, and kafkajs, copies of the
 *   app's record and messages whose headers carry `ck-route`, so the app's objects are never
 *   changed. Transactional sends (`producer.transaction()`) are not covered.
 * - `run`: upstream wraps `eachMessage` / `eachBatch` on the config object it is given; we give it
 *   a copy whose handlers turn a synchronous throw into a rejected promise (kafkajs awaits the
 *   handler, so it sees the same error), so upstream ends the entry span as failed instead of
 *   leaving it open.
 */
import { vanillaConflictProbe } from '../coexist-wrap';
import { reportHookError } from '../guard';
import { headersWithRoute } from '../messaging-common/route';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kafkajs's methods take any arguments
type AnyMethod = (this: any, ...args: any[]) => any;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A copy of a kafkajs message with `ck-route` in its headers, or the message itself when it cannot carry one. */
function messageWithRoute(message: unknown): unknown {
  if (!isObject(message)) return message;
  const headers = headersWithRoute(message.headers);
  return headers === undefined ? message : { ...message, headers };
}

function messagesWithRoute(holder: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(holder.messages) ? { ...holder, messages: holder.messages.map(messageWithRoute) } : holder;
}

/** `producer.send({ topic, messages })` argument with routed message copies, or undefined to leave it. */
export function sendRecordWithRoute(record: unknown): unknown {
  return isObject(record) && Array.isArray(record.messages) ? messagesWithRoute(record) : undefined;
}

/** `producer.sendBatch({ topicMessages: [{ topic, messages }] })` argument with routed copies, or undefined. */
export function sendBatchWithRoute(batch: unknown): unknown {
  if (!isObject(batch) || !Array.isArray(batch.topicMessages)) return undefined;
  return { ...batch, topicMessages: batch.topicMessages.map((entry: unknown) => (isObject(entry) ? messagesWithRoute(entry) : entry)) };
}

function sendWrapper(kind: string, withRoute: (arg: unknown) => unknown): (original: AnyMethod) => AnyMethod {
  return (original) =>
    function ckSend(this: unknown, ...args: unknown[]): unknown {
      let copy: unknown;
      try {
        copy = withRoute(args[0]);
      } catch (err) {
        reportHookError(`kafkajs ${kind}`, err);
      }
      if (copy === undefined) return original.apply(this, args);
      const withCopy = args.slice();
      withCopy[0] = copy;
      return original.apply(this, withCopy);
    };
}

/** A handler whose synchronous throw becomes a rejected promise (what an async handler gives). */
function rejectingHandler(handler: AnyMethod): AnyMethod {
  return function ckHandler(this: unknown, ...args: unknown[]): unknown {
    try {
      return handler.apply(this, args);
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the app's own error, unchanged
      return Promise.reject(err);
    }
  };
}

function runWrapper(original: AnyMethod): AnyMethod {
  return function ckRun(this: unknown, ...args: unknown[]): unknown {
    const config = args[0];
    if (!isObject(config)) return original.apply(this, args);
    const copy = { ...config };
    if (typeof config.eachMessage === 'function') copy.eachMessage = rejectingHandler(config.eachMessage as AnyMethod);
    if (typeof config.eachBatch === 'function') copy.eachBatch = rejectingHandler(config.eachBatch as AnyMethod);
    const withCopy = args.slice();
    withCopy[0] = copy;
    return original.apply(this, withCopy);
  };
}

function producerFactoryWrapper(original: AnyMethod): AnyMethod {
  return function ckProducer(this: unknown, ...args: unknown[]): unknown {
    const producer: unknown = original.apply(this, args);
    try {
      if (isObject(producer)) {
        wrapMethod(producer, 'send', sendWrapper('send', sendRecordWithRoute));
        wrapMethod(producer, 'sendBatch', sendWrapper('sendBatch', sendBatchWithRoute));
      }
    } catch (err) {
      reportHookError('kafkajs producer', err);
    }
    return producer;
  };
}

function consumerFactoryWrapper(original: AnyMethod): AnyMethod {
  return function ckConsumer(this: unknown, ...args: unknown[]): unknown {
    const consumer: unknown = original.apply(this, args);
    try {
      if (isObject(consumer)) wrapMethod(consumer, 'run', runWrapper);
    } catch (err) {
      reportHookError('kafkajs consumer', err);
    }
    return consumer;
  };
}

function kafkaPrototype(exports: unknown): object | undefined {
  const kafka: unknown = (exports as { Kafka?: unknown } | undefined)?.Kafka;
  return typeof kafka === 'function' ? (kafka as { prototype?: object }).prototype : undefined;
}

/** Our patch, chained outside upstream's patch of the kafkajs main module. */
export function kafkajsPatches(): ModulePatch[] {
  return [
    {
      module: 'kafkajs',
      position: 'outside',
      apply(exports) {
        const prototype = kafkaPrototype(exports);
        if (!prototype) return;
        wrapMethod(prototype, 'producer', producerFactoryWrapper);
        wrapMethod(prototype, 'consumer', consumerFactoryWrapper);
      },
      remove(exports) {
        const prototype = kafkaPrototype(exports);
        unwrapMethod(prototype, 'producer');
        unwrapMethod(prototype, 'consumer');
      },
    },
    // Beside a vanilla kafkajs instrumentation paths break in either order: one warning (docs/coexistence.md, Limits).
    ...vanillaConflictProbe({
      module: 'kafkajs',
      library: '@opentelemetry/instrumentation-kafkajs',
      effect: "consumers lose their path (their calls land under the producer's key) or are not recorded",
      methods: (exports) => {
        const prototype = kafkaPrototype(exports);
        return prototype ? [[prototype, 'producer'] as [unknown, string], [prototype, 'consumer'] as [unknown, string]] : [];
      },
    }),
  ];
}
