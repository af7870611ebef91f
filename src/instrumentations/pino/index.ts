/**
 * CKPinoInstrumentation: the unmodified `@opentelemetry/instrumentation-pino` on the CK tracer
 * (docs/logs.md). Records written inside a request carry `trace_id`, `span_id`, `trace_flags`
 * (upstream's mixin, from the active span) and `ck.path_key` (our logHook), when
 * `logs.correlation_enabled` (default true). Upstream's log sending is off: ck-agent has no log
 * export pipeline, so records go only where the app's pino writes them.
 *
 * Loggers created before enable() (or from a `pino` reference taken before) are not patched:
 * upstream wraps the pino factory.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PinoInstrumentation, type PinoInstrumentationConfig } from '@opentelemetry/instrumentation-pino';
import type { InstrumentationContext } from '../../capture/context';
import { CKInstrumentation } from '../base';
import { chainHooks } from '../guard';
import { addPathKey } from '../log-common/path-key-hook';

export type CKPinoInstrumentationConfig = PinoInstrumentationConfig;

export class CKPinoInstrumentation extends CKInstrumentation<CKPinoInstrumentationConfig> {
  readonly libraryName = 'pino';

  constructor(config: CKPinoInstrumentationConfig = {}) {
    super(config);
  }

  protected createUpstream(context: InstrumentationContext, userConfig: CKPinoInstrumentationConfig): Instrumentation {
    return new PinoInstrumentation({
      ...userConfig,
      enabled: false,
      disableLogSending: true,
      disableLogCorrelation: userConfig.disableLogCorrelation ?? !context.logCorrelation,
      logHook: chainHooks('pino logHook', addPathKey, userConfig.logHook),
    });
  }
}
