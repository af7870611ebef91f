/**
 * CKWinstonInstrumentation: the unmodified `@opentelemetry/instrumentation-winston` on the CK
 * tracer (docs/logs.md). Records written inside a request carry `trace_id`, `span_id`,
 * `trace_flags` (upstream, from the active span) and `ck.path_key` (our logHook), when
 * `logs.correlation_enabled` (default true). Upstream's log sending (an extra OpenTelemetry
 * transport) is off: ck-agent has no log export pipeline.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { WinstonInstrumentation, type WinstonInstrumentationConfig } from '@opentelemetry/instrumentation-winston';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { addPathKey } from '../log-common/path-key-hook';

export type CKWinstonInstrumentationConfig = WinstonInstrumentationConfig;

export class CKWinstonInstrumentation extends CKInstrumentation<CKWinstonInstrumentationConfig> {
  readonly libraryName = 'winston';

  constructor(config: CKWinstonInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKWinstonInstrumentationConfig): Instrumentation {
    return new WinstonInstrumentation({
      ...userConfig,
      enabled: false,
      disableLogSending: true,
      disableLogCorrelation: userConfig.disableLogCorrelation ?? !context.logCorrelation,
      logHook: chainHooks('winston logHook', addPathKey, userConfig.logHook),
    });
  }
}
