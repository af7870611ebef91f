/**
 * `ck.path_key` on winston records (hooking; docs/logs.md), as our own wrapper on
 * `Logger.prototype.write`, outside upstream's, rather than through upstream's logHook: a vanilla
 * `WinstonInstrumentation` enabled after ck-agent's replaces any shimmer wrapper it finds on
 * `write` (upstream's own included), but wraps around ours, so the path key survives it.
 */
import { context } from '@opentelemetry/api';
import { getPathKey } from '../../graph';
import { LOG_PATH_KEY } from '../../semconv';
import { reportHookError } from '../guard';
import { unwrapMethod, wrapMethod, type ModulePatch } from '../upstream';

interface LoggerExports {
  prototype?: Record<string, unknown>;
}

export function winstonPathKeyPatch(active: { enabled: boolean }): ModulePatch {
  return {
    module: 'winston',
    file: 'winston/lib/winston/logger.js',
    position: 'outside',
    apply(exports: unknown) {
      const prototype = (exports as LoggerExports | undefined)?.prototype;
      if (!prototype) return;
      wrapMethod(
        prototype,
        'write',
        (write) =>
          function writeWithPathKey(this: unknown, info: unknown, ...rest: unknown[]): unknown {
            if (active.enabled && info !== null && typeof info === 'object') {
              try {
                const key = getPathKey(context.active());
                if (key !== undefined) (info as Record<string, unknown>)[LOG_PATH_KEY] = key;
              } catch (err) {
                reportHookError('winston path key', err);
              }
            }
            return write.call(this, info, ...rest);
          }
      );
    },
    remove(exports: unknown) {
      unwrapMethod((exports as LoggerExports | undefined)?.prototype, 'write');
    },
  };
}
