/**
 * init() and CKAgent: config is resolved once here and passed down to the providers, the span
 * processors, the metrics and the instrumentations. Nothing below reads env or globals again.
 */
import { context, createContextKey, propagation, type TextMapPropagator } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InstrumentationContext } from './capture/context';
import { resolveConfig } from './config';
import type { CKConfig, CKOptions } from './config/types';
import { createCompositePropagator } from './graph';
import { logger, describeError } from './logger';
import { firstExportFailureWarner, printStartupLine, spansDestination } from './lifecycle/startup';
import { GraphPathMetrics } from './metrics';
import { setHookErrorCounter } from './instrumentations/guard';
import { CKGraphSpanProcessor, defaultMapperRegistry } from './processors';
import { DISTRO_NAME, DISTRO_VERSION, buildResource } from './resource';
import { CKContextManager, CKTracerProvider, GuardedSampler, createExportSpanProcessor, isSampler } from './trace';

/** Something the agent unpatches on shutdown. */
export interface TrackedInstrumentation {
  disable(): void;
  /** Name in the `instrumentations` list, for the startup line. */
  readonly libraryName?: string;
}

export class CKAgent {
  readonly config: CKConfig;
  readonly tracerProvider: CKTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly metrics: GraphPathMetrics;
  readonly propagator: TextMapPropagator;
  /** True when sampled spans leave the process (a consumer for captured data exists). */
  readonly spanExportEnabled: boolean;
  /** The one narrow context every CK instrumentation gets (settings, redactor, limits, counters). */
  readonly instrumentationContext: InstrumentationContext;
  private readonly instrumentations = new Set<TrackedInstrumentation>();
  private shutdownPromise: Promise<void> | undefined;

  /**
   * @param extras what init() takes beside the config: `sampler`, a custom Sampler for span export
   *   (it only sets the SAMPLED flag; graph path metrics see every span whatever it decides).
   */
  constructor(config: CKConfig, extras: { sampler?: Sampler } = {}) {
    this.config = config;
    logger.setLevel(config.logLevel);
    const resource = buildResource(config);
    this.metrics = new GraphPathMetrics(config, resource);
    this.meterProvider = this.metrics.meterProvider;

    // peer.service on client series: the registry's mappers add it (src/processors/peer-service.ts).
    const registry = defaultMapperRegistry({ peerServiceMapping: config.peerServiceMapping });
    const warnFirstSpanExportFailure = firstExportFailureWarner('traces', spansDestination(config));
    const exportProcessor = config.enabled
      ? createExportSpanProcessor(config, resource, {
          onDropped: (count) => this.metrics.countDroppedSpans(count),
          onExportFailure: (error) => {
            this.metrics.countSpanExportFailure();
            warnFirstSpanExportFailure(error);
          },
        })
      : undefined;
    this.spanExportEnabled = exportProcessor !== undefined;
    // Metrics only: no processor after the graph one reads span attributes, so it writes none.
    const graphProcessor = new CKGraphSpanProcessor(config, this.metrics, registry, { annotateSpans: this.spanExportEnabled });
    const processors: SpanProcessor[] = exportProcessor ? [graphProcessor, exportProcessor] : [graphProcessor];

    this.tracerProvider = new CKTracerProvider({
      config,
      resource,
      spanProcessors: processors,
      onSpanDropped: () => this.metrics.countDroppedSpan(),
      ...(extras.sampler ? { sampler: new GuardedSampler(extras.sampler) } : {}),
    });
    this.propagator = createCompositePropagator(config, () => this.metrics.countInvalidRoute());
    this.instrumentationContext = new InstrumentationContext(config, this.spanExportEnabled, {
      invalidRoute: () => this.metrics.countInvalidRoute(),
    });

    if (config.reporting.enableGrpcLoadbalancing) {
      // The OTLP gRPC exporters of the pinned OpenTelemetry line take no channel options.
      logger.warn('reporting.enable_grpc_loadbalancing is not supported by the OTLP gRPC exporters in use; a single channel is used');
    }
    if (config.enabled) {
      installContextManager();
      setHookErrorCounter(() => this.metrics.countHookError());
      // The global propagator carries ck-route for upstream instrumentations; wrappers also
      // inject/extract ck-route themselves in case another SDK replaces it later.
      propagation.setGlobalPropagator(this.propagator);
      if (config.telemetry.startupSpanEnabled) this.emitStartupSpan();
    }
    // On the next turn, so it lists what the caller (or the zero-code start) enabled right after init().
    if (config.logStartup) setImmediate(() => printStartupLine(config, this.enabledInstrumentations()));
  }

  /** Names of the instrumentations enabled through this agent so far. */
  enabledInstrumentations(): string[] {
    const names: string[] = [];
    for (const instrumentation of this.instrumentations) {
      const name = instrumentation.libraryName;
      if (name && !names.includes(name)) names.push(name);
    }
    return names;
  }

  /**
   * Hypertrace's startup span: one span when the agent starts, so a backend sees the process come
   * up (with its resource) before any request arrives.
   */
  private emitStartupSpan(): void {
    try {
      const span = this.tracerProvider
        .getTracer(DISTRO_NAME, DISTRO_VERSION)
        .startSpan('ck-agent startup', { root: true, attributes: { 'ck.agent.version': DISTRO_VERSION } });
      span.end();
    } catch (err) {
      logger.warn(`startup span failed: ${describeError(err)}`);
    }
  }

  /** @internal wrappers register themselves so shutdown can unpatch them. */
  trackInstrumentation(instrumentation: TrackedInstrumentation): void {
    this.instrumentations.add(instrumentation);
  }

  /** @internal */
  untrackInstrumentation(instrumentation: TrackedInstrumentation): void {
    this.instrumentations.delete(instrumentation);
  }

  async forceFlush(): Promise<void> {
    await settle('forceFlush', [this.tracerProvider.forceFlush(), this.metrics.forceFlush()]);
  }

  /** Flushes spans and metrics, unpatches every instrumentation. Safe to call more than once. */
  shutdown(): Promise<void> {
    if (!this.shutdownPromise) {
      this.shutdownPromise = (async () => {
        for (const instrumentation of [...this.instrumentations]) {
          try {
            instrumentation.disable();
          } catch (err) {
            logger.warn(`disable on shutdown failed: ${describeError(err)}`);
          }
        }
        await settle('shutdown', [this.tracerProvider.shutdown(), this.metrics.shutdown()]);
        if (currentAgent === this) {
          currentAgent = undefined;
          setHookErrorCounter(undefined);
        }
      })();
    }
    return this.shutdownPromise;
  }
}

let currentAgent: CKAgent | undefined;
let currentOptions: string | undefined;

/**
 * Initialises ck-agent once per process. Options (camelCase config) win over env and file.
 * A second call returns the same agent, with a warning if its options differ.
 */
export function init(options?: CKOptions): CKAgent {
  const serialized = safeStringify(options ?? {});
  if (currentAgent) {
    if (options !== undefined && serialized !== currentOptions) {
      logger.warn('init() was called again with different options; the first configuration stays in force');
    }
    return currentAgent;
  }
  const config = resolveConfig(options ?? {}, process.env);
  const sampler = samplerOption(options, config.strict);
  try {
    currentAgent = new CKAgent(config, { sampler });
  } catch (err) {
    // Only strict mode may throw into the app; otherwise the app runs on with a no-op agent.
    if (config.strict) throw err;
    logger.error(`ck-agent could not start and is disabled: ${describeError(err)}`);
    currentAgent = new CKAgent(resolveConfig({ enabled: false, serviceName: config.serviceName }, {}));
  }
  currentOptions = serialized;
  return currentAgent;
}

/** The agent, initialising it from env/file config when init() was not called. */
export function ensureAgent(): CKAgent {
  return currentAgent ?? init();
}

export function getAgent(): CKAgent | undefined {
  return currentAgent;
}

/** init({ sampler }): a Sampler, or undefined (anything else is refused: warned, or thrown when strict). */
function samplerOption(options: CKOptions | undefined, strict: boolean): Sampler | undefined {
  const value: unknown = options !== null && typeof options === 'object' ? options.sampler : undefined;
  if (value === undefined) return undefined;
  if (isSampler(value)) return value;
  const message = 'init option sampler: expected a Sampler (an object with shouldSample()); using the configured sampler';
  if (strict) throw new TypeError(message);
  logger.warn(message);
  return undefined;
}

function installContextManager(): void {
  // Registers ours only if none is set: the no-op manager's active() is ROOT and with() does
  // not propagate, which we detect by a probe value surviving context.with().
  const key = createContextKey('ck-agent.context-probe');
  const ctx = context.active().setValue(key, true);
  const propagates = context.with(ctx, () => context.active().getValue(key) === true);
  if (propagates) return;
  // Upstream's AsyncLocalStorage manager with a cheaper bind() of request/response emitters.
  const manager = new CKContextManager();
  manager.enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
}

async function settle(what: string, promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const result of results) {
    if (result.status === 'rejected') logger.warn(`${what} failed: ${describeError(result.reason)}`);
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(Math.random());
  }
}
