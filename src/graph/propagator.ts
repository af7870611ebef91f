/**
 * `ck-route` as an OpenTelemetry TextMapPropagator, and the global composite propagator
 * (ck-route + the formats of OTEL_PROPAGATORS / propagation_formats).
 */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, isTracingSuppressed, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import type { CKConfig, PropagationFormat } from '../config/types';
import { logger } from '../logger';
import { contextWithPathState, getPathState, PathState } from './path-state';
import { CK_ROUTE_HEADER, formatRoute, isValidPathKey, parseRoute } from './route-header';

const FIELDS: readonly string[] = Object.freeze([CK_ROUTE_HEADER]);

/**
 * Carries the graph path key in `ck-route`.
 * - extract, valid value → a context holding a pass-through PathState (getPathKey = received key);
 * - extract, value present but invalid → `onInvalid()` once, context returned unchanged;
 * - inject → writes the active state's key and flags (a pass-through hop relays them unchanged);
 *   no state, or tracing suppressed → writes nothing. Never throws.
 */
export class CKRoutePropagator implements TextMapPropagator {
  constructor(private readonly onInvalid?: () => void) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    try {
      if (isTracingSuppressed(context)) return;
      const state = getPathState(context);
      if (state === undefined || !isValidPathKey(state.key)) return;
      setter.set(carrier, CK_ROUTE_HEADER, formatRoute(state.key, state.flags));
    } catch (err) {
      logger.once('warn', 'ck-route-inject', `ck-route inject failed and was skipped: ${String(err)}`);
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let value: unknown;
    try {
      value = getter.get(carrier, CK_ROUTE_HEADER);
    } catch (err) {
      logger.once('warn', 'ck-route-extract', `ck-route extract failed and was skipped: ${String(err)}`);
      return context;
    }
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return context;
    const route = parseRoute(value);
    if (route === undefined) {
      this.reportInvalid();
      return context;
    }
    return contextWithPathState(context, PathState.fromRoute(route));
  }

  fields(): string[] {
    return FIELDS.slice();
  }

  private reportInvalid(): void {
    if (this.onInvalid === undefined) return;
    try {
      this.onInvalid();
    } catch (err) {
      logger.once('warn', 'ck-route-on-invalid', `ck-route invalid-value callback threw: ${String(err)}`);
    }
  }
}

function propagatorFor(format: PropagationFormat): TextMapPropagator | undefined {
  switch (format) {
    case 'TRACECONTEXT':
      return new W3CTraceContextPropagator();
    case 'BAGGAGE':
      return new W3CBaggagePropagator();
    case 'B3':
      return new B3Propagator();
    case 'B3MULTI':
      return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
    default:
      logger.once('warn', `propagation-format:${String(format)}`, `unknown propagation format ${String(format)} ignored`);
      return undefined;
  }
}

/**
 * ck-route first, then each configured format once, in config order. ck-route is always present:
 * the graph path must cross hops whatever trace-context format the user picked.
 */
export function createCompositePropagator(config: CKConfig, onInvalid?: () => void): TextMapPropagator {
  const propagators: TextMapPropagator[] = [new CKRoutePropagator(onInvalid)];
  const seen = new Set<string>();
  for (const format of config.propagationFormats ?? []) {
    if (seen.has(format)) continue;
    seen.add(format);
    const propagator = propagatorFor(format);
    if (propagator) propagators.push(propagator);
  }
  return new CompositePropagator({ propagators });
}
