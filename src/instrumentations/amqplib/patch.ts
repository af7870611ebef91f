/**
 * amqplib, hooking (docs/messaging.md): our wrappers on `publish` (Channel and ConfirmChannel)
 * and `consume`, chained outside upstream's on both channel models (`lib/channel_model.js`, the
 * promise API, and `lib/callback_model.js`, the callback API). `sendToQueue` goes through
 * `this.publish`, so it is covered.
 *
 * - publish: upstream injects trace context into `options.headers` of the object it is given
 *   (creating `options.headers` when missing); we give it, and amqplib, a copy of the app's
 *   options whose headers carry `ck-route`, so the app's objects are never changed (an options
 *   object reused for many sends never carries a stale route).
 * - consume: the app's handler is wrapped (handler.ts) so that a throw or a rejected promise is
 *   the consumer entry's error; with `noAck` the entry ends when the handler's promise settles.
 */
import { context as apiContext, SpanKind, trace } from '@opentelemetry/api';
import { vanillaConflictProbe } from '../coexist-wrap';
import { reportHookError } from '../guard';
import { headersWithRoute } from '../messaging-common/route';
import { runMessageHandler } from '../messaging-common/handler';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- amqplib's methods take any arguments
type AnyMethod = (this: any, ...args: any[]) => any;

/** Options objects we built: a nested publish (ConfirmChannel → Channel) passes them through. */
const ourOptions = new WeakSet<object>();

/** A copy of the app's publish options with `ck-route` in its headers, or undefined to leave them as they are. */
export function publishOptionsWithRoute(options: unknown): Record<string, unknown> | undefined {
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) return undefined;
  const app = (options ?? {}) as Record<string, unknown>;
  const headers = headersWithRoute(app.headers);
  if (headers === undefined) return undefined;
  const copy: Record<string, unknown> = { ...app, headers };
  ourOptions.add(copy);
  return copy;
}

function publishWrapper(original: AnyMethod): AnyMethod {
  return function ckPublish(this: unknown, ...args: unknown[]): unknown {
    const options = args[3];
    if (options !== null && typeof options === 'object' && ourOptions.has(options)) return original.apply(this, args);
    let copy: Record<string, unknown> | undefined;
    try {
      copy = publishOptionsWithRoute(options);
    } catch (err) {
      reportHookError('amqplib publish', err);
    }
    if (copy === undefined) return original.apply(this, args);
    const withCopy = args.slice();
    while (withCopy.length < 3) withCopy.push(undefined);
    withCopy[3] = copy;
    return original.apply(this, withCopy);
  };
}

function consumeWrapper(original: AnyMethod): AnyMethod {
  return function ckConsume(this: unknown, ...args: unknown[]): unknown {
    const onMessage = args[1];
    if (typeof onMessage !== 'function') return original.apply(this, args);
    const options = args[2] as { noAck?: unknown } | undefined | null;
    const noAck = options !== null && typeof options === 'object' && Boolean(options.noAck); // upstream's test
    const withHandler = args.slice();
    withHandler[1] = function ckOnMessage(this: unknown, msg: unknown): unknown {
      // Upstream runs the handler inside its consumer span (none for a cancel notification, msg null).
      const active = msg ? trace.getSpan(apiContext.active()) : undefined;
      const span = (active as { kind?: SpanKind } | undefined)?.kind === SpanKind.CONSUMER ? active : undefined;
      return runMessageHandler(span, () => (onMessage as AnyMethod).call(this, msg), noAck);
    };
    return original.apply(this, withHandler);
  };
}

interface ChannelModule {
  Channel?: { prototype?: object };
  ConfirmChannel?: { prototype?: object };
}

function prototypes(exports: unknown): { channel?: object; confirm?: object } {
  const module = exports as ChannelModule | undefined;
  return { channel: module?.Channel?.prototype, confirm: module?.ConfirmChannel?.prototype };
}

function channelModelPatch(file: string): ModulePatch {
  return {
    module: 'amqplib',
    file,
    position: 'outside',
    apply(exports) {
      const { channel, confirm } = prototypes(exports);
      if (channel) {
        wrapMethod(channel, 'publish', publishWrapper);
        wrapMethod(channel, 'consume', consumeWrapper);
      }
      if (confirm && Object.prototype.hasOwnProperty.call(confirm, 'publish')) wrapMethod(confirm, 'publish', publishWrapper);
    },
    remove(exports) {
      const { channel, confirm } = prototypes(exports);
      unwrapMethod(channel, 'publish');
      unwrapMethod(channel, 'consume');
      if (confirm && Object.prototype.hasOwnProperty.call(confirm, 'publish')) unwrapMethod(confirm, 'publish');
    },
  };
}

/** The Channel methods upstream wraps (each only when not wrapped yet: a vanilla instance's wrapper keeps ours out). */
const UPSTREAM_METHODS = ['publish', 'consume', 'ack', 'nack', 'reject', 'ackAll', 'nackAll', 'emit'];

/** Beside a vanilla amqplib instrumentation paths break in either order: one warning (docs/coexistence.md, Limits). */
function vanillaProbe(file: string): ModulePatch[] {
  return vanillaConflictProbe({
    module: 'amqplib',
    file,
    library: '@opentelemetry/instrumentation-amqplib',
    effect: 'messages are not recorded as MESSAGING_PRODUCER / MESSAGING_CONSUMER elements, or consumers lose their path',
    methods: (exports) => {
      const { channel } = prototypes(exports);
      return channel ? UPSTREAM_METHODS.map((name): [unknown, string] => [channel, name]) : [];
    },
  });
}

/** Our patches, chained on upstream's patch of both channel model files. */
export function amqplibPatches(): ModulePatch[] {
  return [
    channelModelPatch('lib/channel_model.js'),
    channelModelPatch('lib/callback_model.js'),
    ...vanillaProbe('lib/channel_model.js'),
    ...vanillaProbe('lib/callback_model.js'),
  ];
}
