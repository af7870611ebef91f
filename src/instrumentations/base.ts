/**
 * What every CK instrumentation shares (docs/architecture.md): lazy construction of the unmodified
 * upstream instrumentation with the CK tracer provider and the agent's one InstrumentationContext,
 * our own module patches where upstream has no hook (`createGapPatches`), the "module already
 * loaded" routine, enable/disable bookkeeping, and the no-op when the agent is disabled.
 * A subclass (`src/instrumentations/<library>/index.ts`) only says which upstream class, which
 * hooks, which patches.
 */
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { ensureAgent, type CKAgent } from '../agent';
import type { InstrumentationContext } from '../capture/context';
import { describeError, logger } from '../logger';
import { keepWrappersBesideVanilla } from './coexist-wrap';
import { ModuleCopies, patchLoadedModules } from './loaded-modules';
import { INSTRUMENTATIONS, type InstrumentationName } from './registry';
import { installWrapperSafetyNet } from './safe-wrap';

/** Every enabled CK instrumentation of the process. */
const enabledInstrumentations = new Set<CKInstrumentation>();
/** Those a framework instrumentation enabled for itself (see `requiresHttp`). */
const implicitInstrumentations = new Set<CKInstrumentation>();

export abstract class CKInstrumentation<TConfig extends InstrumentationConfig = InstrumentationConfig> {
  /** Name as in the `instrumentations` config list. */
  abstract readonly libraryName: InstrumentationName;

  protected upstream: Instrumentation | undefined;
  private gapPatches: Instrumentation[] = [];
  private moduleCopies: ModuleCopies[] = [];
  private agent: CKAgent | undefined;
  private enabled = false;

  /** `userConfig` is passed to the upstream instrumentation; hooks in it are chained after ours. */
  constructor(protected readonly userConfig: TConfig = {} as TConfig) {}

  /** Builds the upstream instrumentation, disabled (upstream would patch in its constructor otherwise). */
  protected abstract createUpstream(context: InstrumentationContext, userConfig: TConfig): Instrumentation;

  /**
   * Our own module patches (InstrumentationBase subclasses, so they hook modules exactly like
   * upstream), for what upstream has no hook for. Enabled after upstream, so their wrappers sit
   * outside upstream's; disabled before it.
   */
  protected createGapPatches(_context: InstrumentationContext): Instrumentation[] {
    return [];
  }

  /** Runs after upstream and the gap patches are enabled (e.g. enabling a dependency). */
  protected afterEnable(_agent: CKAgent): void {}

  /**
   * A server framework records nothing without the CK HTTP instrumentation (the HTTP server span
   * is the request's entry): enabling it enables CK http when none is enabled (one info line).
   */
  protected readonly requiresHttp: boolean = false;

  /**
   * Upstream patches prototypes with shimmer and unwraps any wrapper it finds first, so a vanilla
   * instance of it (sdk-node) would drop ours: keep both wrappers, in either order (coexist-wrap.ts).
   */
  protected readonly keepsWrappersBesideVanilla: boolean = false;

  enable(): void {
    if (this.enabled) return;
    try {
      const agent = ensureAgent();
      if (!agent.config.enabled) {
        logger.once('info', 'agent-disabled', 'ck-agent is disabled by config: instrumentations are no-ops');
        return;
      }
      this.replaceImplicitCopy();
      this.agent = agent;
      if (!this.upstream) {
        const context = agent.instrumentationContext;
        this.upstream = this.createUpstream(context, this.userConfig);
        // Every upstream wrapper runs inside the safety net: upstream code that throws never fails the app's call (safe-wrap.ts).
        installWrapperSafetyNet(this.upstream, this.upstream.instrumentationName);
        if (this.keepsWrappersBesideVanilla) keepWrappersBesideVanilla(this.upstream, this.upstream.instrumentationName);
        this.upstream.setTracerProvider(agent.tracerProvider);
        this.gapPatches = this.createGapPatches(context);
        this.moduleCopies = [this.upstream, ...this.gapPatches].map((instrumentation) => new ModuleCopies(instrumentation));
      }
      this.upstream.enable();
      for (const patch of this.gapPatches) patch.enable();
      for (const copies of this.moduleCopies) copies.repatchOthers();
      for (const instrumentation of [this.upstream, ...this.gapPatches]) patchLoadedModules(instrumentation, this.constructor.name);
      agent.trackInstrumentation(this);
      this.enabled = true;
      enabledInstrumentations.add(this);
      this.afterEnable(agent);
      if (this.requiresHttp) this.enableHttpIfMissing();
    } catch (err) {
      logger.error(`could not enable the ${this.libraryName} instrumentation (the app runs without it): ${describeError(err)}`);
    }
  }

  disable(): void {
    if (!this.enabled) return;
    this.enabled = false;
    enabledInstrumentations.delete(this);
    implicitInstrumentations.delete(this);
    try {
      for (const patch of [...this.gapPatches].reverse()) patch.disable();
      this.upstream?.disable();
      for (const copies of this.moduleCopies) copies.unpatchOthers();
    } catch (err) {
      logger.warn(`could not fully disable the ${this.libraryName} instrumentation: ${describeError(err)}`);
    }
    this.agent?.untrackInstrumentation(this);
  }

  private enableHttpIfMissing(): void {
    for (const other of enabledInstrumentations) if (other.libraryName === 'http') return;
    const http = new (INSTRUMENTATIONS.http.load())();
    http.enable();
    if (!http.isEnabled()) return;
    implicitInstrumentations.add(http);
    logger.info(
      `${this.constructor.name} enabled CKHttpInstrumentation, without which it records nothing ` +
        '(enable CKHttpInstrumentation yourself, before it, to pass options)'
    );
  }

  /**
   * The app enables an instrumentation a framework had enabled for itself (http): the app's own
   * (with the app's options) takes over, so the module is never patched twice.
   */
  private replaceImplicitCopy(): void {
    for (const other of implicitInstrumentations) {
      if (other === this || other.libraryName !== this.libraryName) continue;
      other.disable();
      logger.debug(`${this.constructor.name} replaces the one a framework instrumentation had enabled`);
    }
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /** The upstream instrumentation instance (for tests and advanced users). */
  getUpstream(): Instrumentation | undefined {
    return this.upstream;
  }
}

export { chainHooks, guardHook } from './guard';
