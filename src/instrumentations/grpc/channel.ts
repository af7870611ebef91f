/**
 * The RPC-named-like-a-Client-method guard (docs/grpc.md, "Methods named like Client methods").
 *
 * grpc-js installs every RPC on the generated client's prototype under its name and its
 * camel-cased `originalName`, so an RPC `GetChannel` hides `Client.prototype.getChannel()`.
 * Upstream's client wrapper (0.223.0) asks `client.getChannel().getTarget()` for `server.address`
 * on every call: with such an RPC it calls the wrapped RPC again, forever (RangeError, upstream
 * issue open-telemetry/opentelemetry-js#6372). Upstream is not forked: its one net-metadata
 * method is handed a view of the client whose `getChannel` is grpc-js's own.
 */
import { reportHookError } from '../guard';
import type { AnyFn } from './status';

interface NetMetadataHolder {
  extractNetMetadata?: (client: unknown, span: unknown) => void;
}

/** Makes upstream's `extractNetMetadata(client, span)` resolve the channel through grpc-js's own `Client.prototype.getChannel`. */
export function resolveChannelSafely(upstream: object): void {
  const holder = upstream as NetMetadataHolder;
  const extract = holder.extractNetMetadata;
  // A later upstream without this method: nothing to guard here (the wrapper safety net still holds).
  if (typeof extract !== 'function') return;
  holder.extractNetMetadata = function ckExtractNetMetadata(this: unknown, client: unknown, span: unknown): void {
    const getChannel = clientGetChannel(client);
    if (!getChannel) return; // no grpc-js Client underneath: server.address is left out, the call goes on
    const view = Object.create(client as object, {
      getChannel: { value: () => getChannel.call(client), configurable: true },
    }) as unknown;
    try {
      extract.call(this, view, span);
    } catch (err) {
      reportHookError('grpc client net metadata', err);
    }
  };
}

/**
 * grpc-js's own `getChannel`: the one on the prototype that also owns `makeUnaryRequest` (that is
 * `Client.prototype`), never an RPC method (those carry their `path`, and upstream's wrappers copy it).
 */
export function clientGetChannel(client: unknown): AnyFn | undefined {
  if (client === null || typeof client !== 'object') return undefined;
  for (let proto: object | null = client; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const own = Object.getOwnPropertyDescriptor(proto, 'getChannel')?.value as unknown;
    if (typeof own !== 'function' || typeof (own as { path?: unknown }).path === 'string') continue;
    if (Object.prototype.hasOwnProperty.call(proto, 'makeUnaryRequest')) return own as AnyFn;
  }
  return undefined;
}
