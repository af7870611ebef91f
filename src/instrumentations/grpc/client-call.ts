/**
 * gRPC client calls → telemetry (recording; docs/grpc.md): ClientCallObserver, the interceptor
 * appended to one client call, which injects ck-route into the outgoing metadata and captures
 * metadata, messages and the status on upstream's client span. patch.ts decides per call whether
 * to add one.
 */
import type { InstrumentationContext } from '../../capture/context';
import { CK_ROUTE_HEADER } from '../../graph';
import {
  ATTR_RPC_REQUEST_BODY,
  ATTR_RPC_REQUEST_METADATA_PREFIX,
  ATTR_RPC_RESPONSE_BODY,
  ATTR_RPC_RESPONSE_METADATA_PREFIX,
} from '../../semconv';
import type { CKSpan } from '../../trace';
import { reportHookError } from '../guard';
import { MessageCapture, isMetadata, setBodyAttribute, setMetadataAttributes, type MetadataLike } from './capture';
import { STATUS_OK, STATUS_UNKNOWN, setGrpcStatus, type AnyFn } from './status';

/** grpc-js's `InterceptingCall` class (client-interceptors module). */
export type InterceptingCallClass = new (nextCall: unknown, requester?: unknown) => unknown;

// ---------------------------------------------------------------------------------------------
// Client call observer (one per call; the requester functions are its only closures)

interface Listener {
  onReceiveMetadata?(metadata: unknown, next: AnyFn): void;
  onReceiveMessage?(message: unknown, next: AnyFn): void;
  onReceiveStatus?(status: unknown, next: AnyFn): void;
}

export class ClientCallObserver implements Listener {
  private readonly request: MessageCapture | undefined;
  private readonly response: MessageCapture | undefined;
  private recorded = false;

  constructor(
    private readonly InterceptingCall: InterceptingCallClass,
    private readonly context: InstrumentationContext,
    private readonly route: string | undefined,
    /** Upstream's client span when its data is captured. */
    private readonly span: CKSpan | undefined,
    requestStream: boolean,
    responseStream: boolean
  ) {
    if (span) {
      const maxBytes = context.bodyLimits.maxBytes;
      if (context.rpc.body.request) this.request = new MessageCapture(maxBytes, context.redactKey, requestStream);
      if (context.rpc.body.response) this.response = new MessageCapture(maxBytes, context.redactKey, responseStream);
    }
  }

  /** The grpc-js interceptor for this one call. */
  interceptor(): AnyFn {
    return (options: unknown, nextCall: AnyFn) => new this.InterceptingCall(nextCall(options), this.requester());
  }

  requester(): { start: AnyFn; sendMessage?: AnyFn } {
    const start = (metadata: unknown, listener: unknown, next: AnyFn) => {
      let md = metadata;
      try {
        md = this.prepareMetadata(metadata);
      } catch (err) {
        reportHookError('grpc client metadata', err);
      }
      next(md, this.span ? this.listener() : listener);
    };
    if (!this.request) return { start };
    const sendMessage = (message: unknown, next: AnyFn) => {
      try {
        this.request?.add(message);
      } catch (err) {
        reportHookError('grpc client request capture', err);
      }
      next(message);
    };
    return { start, sendMessage };
  }

  /** grpc-js copies listener methods off the object (losing `this`), hence closures. */
  private listener(): Listener {
    return {
      onReceiveMetadata: (metadata, next) => this.onReceiveMetadata(metadata, next),
      onReceiveMessage: (message, next) => this.onReceiveMessage(message, next),
      onReceiveStatus: (status, next) => this.onReceiveStatus(status, next),
    };
  }

  /** Injects ck-route (on a copy: the app's Metadata object is left as it was) and captures. */
  private prepareMetadata(metadata: unknown): unknown {
    let md = metadata;
    if (this.route !== undefined && isMetadata(md)) {
      const current = md.get(CK_ROUTE_HEADER);
      if (!(current.length === 1 && current[0] === this.route)) {
        const copy = (md as MetadataLike & { clone(): MetadataLike & { set(k: string, v: string): void } }).clone();
        copy.set(CK_ROUTE_HEADER, this.route);
        md = copy;
      }
    }
    if (this.span && this.context.rpc.metadata.request) {
      setMetadataAttributes(this.span, ATTR_RPC_REQUEST_METADATA_PREFIX, md, this.context.redactor);
    }
    return md;
  }

  onReceiveMetadata(metadata: unknown, next: AnyFn): void {
    if (this.span && this.context.rpc.metadata.response && !this.span.ended) {
      try {
        setMetadataAttributes(this.span, ATTR_RPC_RESPONSE_METADATA_PREFIX, metadata, this.context.redactor);
      } catch (err) {
        reportHookError('grpc client response metadata', err);
      }
    }
    next(metadata);
  }

  onReceiveMessage(message: unknown, next: AnyFn): void {
    if (this.response) {
      try {
        this.response.add(message);
      } catch (err) {
        reportHookError('grpc client response capture', err);
      }
    }
    next(message);
  }

  onReceiveStatus(status: unknown, next: AnyFn): void {
    if (!this.recorded) {
      this.recorded = true;
      try {
        this.record(status as { code?: unknown; details?: unknown; metadata?: unknown });
      } catch (err) {
        reportHookError('grpc client status', err);
      }
    }
    next(status);
  }

  private record(status: { code?: unknown; details?: unknown; metadata?: unknown }): void {
    const span = this.span;
    if (!span || span.ended) return;
    if (this.request) setBodyAttribute(span, ATTR_RPC_REQUEST_BODY, this.request);
    if (this.response) setBodyAttribute(span, ATTR_RPC_RESPONSE_BODY, this.response);
    if (this.context.rpc.metadata.response && isMetadata(status?.metadata)) {
      setMetadataAttributes(span, ATTR_RPC_RESPONSE_METADATA_PREFIX, status.metadata, this.context.redactor);
    }
    const code = typeof status?.code === 'number' ? status.code : STATUS_UNKNOWN;
    setGrpcStatus(span, code, code !== STATUS_OK && typeof status?.details === 'string' ? status.details : undefined);
  }
}
