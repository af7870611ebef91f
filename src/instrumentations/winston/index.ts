/**
 * CKWinstonInstrumentation: the unmodified `@opentelemetry/instrumentation-winston` on the CK
 * tracer (docs/logs.md). Records written inside a request carry `trace_id`, `span_id`,
 * `trace_flags` (upstream, from the active span) and `ck.path_key` (our wrapper outside
 * upstream's, path-key-patch.ts), when `logs.correlation_enabled` (default true). Upstream's log
 * sending (an extra OpenTelemetry transport) is off: ck-agent has no log export pipeline.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { WinstonInstrumentation, type WinstonInstrumentationConfig } from '@opentelemetry/instrumentation-winston';
import type { CKAgent } from '../../agent';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { extendUpstream } from '../upstream';
import { winstonPathKeyPatch } from './path-key-patch';

export type CKWinstonInstrumentationConfig = WinstonInstrumentationConfig;

export class CKWinstonInstrumentation extends CKInstrumentation<CKWinstonInstrumentationConfig> {
  readonly libraryName = 'winston';
  /** Read by our write wrapper, which may stay in place under a later vanilla wrapper. */
  private readonly pathKeyActive = { enabled: false };
  private correlation = false;

  constructor(config: CKWinstonInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKWinstonInstrumentationConfig): Instrumentation {
    const disableLogCorrelation = userConfig.disableLogCorrelation ?? !context.logCorrelation;
    this.correlation = !disableLogCorrelation;
    const Upstream = extendUpstream(WinstonInstrumentation, { patches: [winstonPathKeyPatch(this.pathKeyActive)] });
    return new Upstream({ ...userConfig, enabled: false, disableLogSending: true, disableLogCorrelation });
  }

  protected override afterEnable(_agent: CKAgent): void {
    this.pathKeyActive.enabled = this.correlation;
  }

  override disable(): void {
    this.pathKeyActive.enabled = false;
    super.disable();
  }
}
