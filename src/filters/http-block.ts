/**
 * Answering a request that a filter blocked: `403` with an empty body, then making the response
 * object inert so nothing the application does afterwards can change or crash it.
 *
 * - The 403 is written with the ServerResponse prototype methods, bypassing anything installed
 *   on the instance (compression middleware, our own capture wrappers).
 * - Headers the app had set but not sent are dropped (no leaking of app state into the 403).
 * - If the response had already started (a plain http app streaming before its request body
 *   ended), a clean 403 is impossible: the response is destroyed instead, which stops the leak.
 * - Afterwards, the writing methods on the instance are no-ops (callbacks still called, write()
 *   returns true so nobody waits for 'drain'), and statusCode/statusMessage are pinned, so a
 *   later `res.status(500).json(...)` neither throws "write after end" (an unhandled 'error'
 *   event would crash the process) nor turns the recorded status into an error.
 */
import { OutgoingMessage, ServerResponse } from 'http';

const BLOCKED_STATUS = 403;

function callLastCallback(args: ArrayLike<unknown>): void {
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  if (typeof last === 'function') process.nextTick(last);
}

function returnsThis(this: unknown): unknown {
  return this;
}

function noop(): void {}

const INERT_METHODS: Record<string, (...args: unknown[]) => unknown> = {
  write(...args: unknown[]) {
    callLastCallback(args);
    return true;
  },
  end(this: unknown, ...args: unknown[]) {
    callLastCallback(args);
    return this;
  },
  writeHead: returnsThis,
  setHeader: returnsThis,
  setHeaders: returnsThis,
  appendHeader: returnsThis,
  removeHeader: noop,
  flushHeaders: noop,
  addTrailers: noop,
  writeContinue: noop,
  writeProcessing: noop,
  writeEarlyHints: noop,
  cork: noop,
  uncork: noop,
};

const PINNED_STATUS: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get: () => BLOCKED_STATUS,
  set: noop,
};

const PINNED_MESSAGE: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get: () => 'Forbidden',
  set: noop,
};

/** Makes `res` ignore everything the app does from now on. */
export function neutralizeResponse(res: ServerResponse): void {
  const target = res as unknown as Record<string, unknown>;
  for (const name in INERT_METHODS) target[name] = INERT_METHODS[name];
  Object.defineProperty(res, 'statusCode', PINNED_STATUS);
  Object.defineProperty(res, 'statusMessage', PINNED_MESSAGE);
}

/** Sends the empty 403 (or cuts a response that already started) and neutralizes `res`. */
export function respondBlocked(res: ServerResponse): void {
  try {
    if (!res.headersSent && !res.writableEnded && !res.destroyed) {
      for (const name of res.getHeaderNames()) OutgoingMessage.prototype.removeHeader.call(res, name);
      ServerResponse.prototype.writeHead.call(res, BLOCKED_STATUS, { 'content-length': '0' });
      (OutgoingMessage.prototype.end as (this: ServerResponse) => void).call(res);
    } else if (!res.writableEnded && !res.destroyed) {
      res.destroy();
    }
  } catch {
    try {
      res.destroy();
    } catch {
      // nothing more we can do
    }
  }
  neutralizeResponse(res);
}
