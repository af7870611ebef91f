/**
 * CKGrpcInstrumentation: the unmodified upstream `GrpcInstrumentation` (it creates the client and
 * server spans) plus ck-agent's own shimmer patches on `@grpc/grpc-js`, because upstream has no
 * hooks at all. Behaviour: shared/spec/data-capture.md and graph-path.md; usage: docs/grpc.md.
 *
 * Upstream class: `GrpcInstrumentation` (@opentelemetry/instrumentation-grpc), created disabled
 *   and enabled by the CKInstrumentation base.
 * Hooks: none (upstream offers none for gRPC).
 * Gap patch: GrpcGapPatcher (grpc-gap-patch.ts), enabled after upstream so its wrappers sit
 *   outside upstream's: `Server.prototype.register` (server calls → src/helpers/grpc-server-call.ts)
 *   and the client-interceptors module's `getInterceptingCall` (client calls →
 *   src/helpers/grpc-client-call.ts); copies of @grpc/grpc-js loaded before enable() are patched in
 *   place (patchPreloadedGrpc).
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation, type GrpcInstrumentationConfig } from '@opentelemetry/instrumentation-grpc';
import type { CKAgent } from '../../agent';
import { CKInstrumentation } from '../base';
import { GrpcGapPatcher, patchPreloadedGrpc } from './patch';

export type CKGrpcInstrumentationConfig = GrpcInstrumentationConfig;

export class CKGrpcInstrumentation extends CKInstrumentation<CKGrpcInstrumentationConfig> {
  readonly libraryName = 'grpc';
  private gap: GrpcGapPatcher | undefined;

  protected createUpstream(_agent: CKAgent, userConfig: CKGrpcInstrumentationConfig): Instrumentation {
    return new GrpcInstrumentation({ ...userConfig, enabled: false });
  }

  protected override patchGaps(agent: CKAgent): void {
    this.gap ??= new GrpcGapPatcher();
    this.gap.activate(agent);
    this.gap.enable();
    if (this.upstream) patchPreloadedGrpc(this.upstream, this.gap);
  }

  protected override unpatchGaps(): void {
    this.gap?.deactivate();
    this.gap?.disable();
  }
}
