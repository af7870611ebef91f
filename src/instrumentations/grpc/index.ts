/**
 * CKGrpcInstrumentation: the unmodified upstream `GrpcInstrumentation` (it creates the client and
 * server spans) plus ck-agent's own patches on `@grpc/grpc-js` (patch.ts), because upstream has no
 * hooks at all. Behaviour and usage: docs/grpc.md.
 *
 * - Upstream class: `GrpcInstrumentation`, extended only so its server spans start with the
 *   `rpc.*` attributes upstream sets right after start (service.ts): the graph processor names
 *   the GRPC_SERVICE entry when the span starts, like every other entry.
 * - Gap patch: GrpcGapPatcher, enabled after upstream so its wrappers sit outside upstream's.
 * - channel.ts: upstream finds the channel through grpc-js's own `Client.prototype.getChannel`,
 *   never through an RPC of that name.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation, type GrpcInstrumentationConfig } from '@opentelemetry/instrumentation-grpc';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { extendUpstream } from '../upstream';
import { resolveChannelSafely } from './channel';
import { GrpcGapPatcher } from './patch';
import { withServerRpcAttributes } from './service';

export type CKGrpcInstrumentationConfig = GrpcInstrumentationConfig;

const ExtendedGrpcInstrumentation = extendUpstream(GrpcInstrumentation, { beforeSpanStart: withServerRpcAttributes });

export class CKGrpcInstrumentation extends CKInstrumentation<CKGrpcInstrumentationConfig> {
  readonly libraryName = 'grpc';

  protected createUpstream(_context: InstrumentationContext, userConfig: CKGrpcInstrumentationConfig): Instrumentation {
    const upstream = new ExtendedGrpcInstrumentation({ ...userConfig, enabled: false });
    resolveChannelSafely(upstream); // an RPC named GetChannel must not recurse (channel.ts)
    return upstream;
  }

  protected override createGapPatches(context: InstrumentationContext): Instrumentation[] {
    return [new GrpcGapPatcher(context)];
  }
}
