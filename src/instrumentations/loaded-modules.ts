/**
 * The one "module already loaded" routine (docs/load-order.md). Upstream instrumentations patch a
 * module when it is required AFTER enable(); a module the app loaded before (a CommonJS require
 * above the agent's setup, or an ES module whose imports were hoisted above an in-code init())
 * would silently stay unpatched. For each module an instrumentation targets:
 *
 * 1. Node built-ins: required again (the require hook patches them in place).
 * 2. Copies of a package found in the require cache: required again through the hooked require,
 *    which runs upstream's patch now (and remembers the patched exports); if the require hook had
 *    already seen the file (another instrumentation was enabled earlier), the instrumentation's
 *    own require handler is applied to the cached exports directly.
 * 3. Anything still unpatched gets one warning naming the module and the fix.
 *
 * Objects the app created before enable() (servers, clients, pools) keep their unpatched
 * methods where a library copies them per instance; prototypes patched in place cover the rest.
 */
import { builtinModules } from 'module';
import * as path from 'path';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { describeError, logger } from '../logger';

interface ModuleFileLike {
  name: string;
  moduleExports?: unknown;
}

interface ModuleDefinitionLike {
  name: string;
  moduleExports?: unknown;
  patch?: unknown;
  files?: ModuleFileLike[];
}

interface InstrumentationInternals {
  /**
   * InstrumentationBase's live module definitions (the ones its require hook patches and its
   * disable() unpatches). `getModuleDefinitions()` is no substitute: it calls init() again and
   * returns fresh copies.
   */
  _modules?: ModuleDefinitionLike[];
  /** InstrumentationBase's require handler (version check + patch); used when the hook cannot run. */
  _onRequire?(definition: ModuleDefinitionLike, exports: unknown, name: string, baseDir?: string): unknown;
}

const BUILTINS = new Set(builtinModules);

/** What happened to one target module. */
export type LoadedModuleOutcome = 'not-loaded' | 'patched' | 'unpatched';

/**
 * Patches every already-loaded copy of the modules `instrumentation` targets. Returns the modules
 * that were loaded but could not be patched (already warned about).
 */
export function patchLoadedModules(instrumentation: Instrumentation, owner: string): string[] {
  const internals = instrumentation as unknown as InstrumentationInternals;
  const unpatched: string[] = [];
  const definitions = Array.isArray(internals._modules) ? internals._modules : [];
  for (const definition of definitions) {
    let outcome: LoadedModuleOutcome;
    try {
      outcome = BUILTINS.has(definition.name) ? patchBuiltin(internals, definition) : patchPackageCopies(internals, definition);
    } catch (err) {
      logger.debug(`${owner}: patching the loaded ${definition.name} failed: ${describeError(err)}`);
      outcome = 'unpatched';
    }
    if (outcome === 'unpatched') {
      unpatched.push(definition.name);
      warnUnpatched(definition.name, owner);
    } else if (outcome === 'patched' && !BUILTINS.has(definition.name)) {
      logger.debug(`${owner}: ${definition.name} was loaded before enable(); patched in place`);
    }
  }
  return unpatched;
}

function warnUnpatched(moduleName: string, owner: string): void {
  logger.once(
    'warn',
    `load-order:${moduleName}`,
    `${moduleName} was loaded before ${owner}.enable() and could not be patched (or its version is not supported): ` +
      `its calls are not recorded. ` +
      `Fix: start the app with \`node --require ck-agent/register\` (CommonJS) or \`node --import ck-agent/register\` ` +
      `(ES modules), or enable the instrumentation before the app loads ${moduleName} (docs/load-order.md)`
  );
}

function patchBuiltin(internals: InstrumentationInternals, definition: ModuleDefinitionLike): LoadedModuleOutcome {
  if (typeof definition.patch !== 'function') return 'not-loaded';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- re-running the require hook is the point
  const exports: unknown = require(definition.name);
  if (definition.moduleExports === exports) return 'patched';
  internals._onRequire?.(definition, exports, definition.name, undefined);
  return definition.moduleExports === exports ? 'patched' : 'unpatched';
}

function patchPackageCopies(internals: InstrumentationInternals, definition: ModuleDefinitionLike): LoadedModuleOutcome {
  const copies = loadedCopies(definition.name);
  if (copies.length === 0) return 'not-loaded';
  let outcome: LoadedModuleOutcome = 'not-loaded';
  for (const baseDir of copies) {
    const result = patchCopy(internals, definition, baseDir);
    if (result === 'unpatched' || outcome === 'not-loaded') outcome = result;
  }
  return outcome;
}

/** Package folders (`.../node_modules/<name>`) with at least one file in the require cache. */
function loadedCopies(moduleName: string): string[] {
  const marker = `${path.sep}node_modules${path.sep}${moduleName.split('/').join(path.sep)}${path.sep}`;
  const found = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const at = file.lastIndexOf(marker);
    if (at >= 0) found.add(file.slice(0, at + marker.length - 1));
  }
  return [...found];
}

function patchCopy(internals: InstrumentationInternals, definition: ModuleDefinitionLike, baseDir: string): LoadedModuleOutcome {
  const targets: Array<{ file: string; name: string; isMain: boolean }> = [];
  let main: string | undefined;
  try {
    main = require.resolve(baseDir);
  } catch {
    main = undefined;
  }
  if (main && require.cache[main] && typeof definition.patch === 'function')
    targets.push({ file: main, name: definition.name, isMain: true });
  for (const file of definition.files ?? []) {
    const relative = file.name.slice(definition.name.length + 1);
    const absolute = path.join(baseDir, relative);
    if (require.cache[absolute]) targets.push({ file: absolute, name: path.normalize(file.name), isMain: false });
  }
  if (targets.length === 0) return 'not-loaded';
  let patched = 0;
  for (const target of targets) {
    const exports = require.cache[target.file]?.exports;
    if (isPatched(definition, target.isMain, target.name, exports)) {
      patched++;
      continue;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- re-running the require hook is the point
    require(target.file);
    if (!isPatched(definition, target.isMain, target.name, exports)) {
      internals._onRequire?.(definition, exports, target.name, baseDir);
    }
    if (isPatched(definition, target.isMain, target.name, exports)) patched++;
  }
  return patched > 0 ? 'patched' : 'unpatched';
}

function isPatched(definition: ModuleDefinitionLike, isMain: boolean, name: string, exports: unknown): boolean {
  if (exports === undefined) return false;
  if (isMain) return definition.moduleExports === exports;
  return (definition.files ?? []).some((file) => path.normalize(file.name) === name && file.moduleExports === exports);
}

interface PatchableTarget {
  moduleExports?: unknown;
  patch?: (exports: unknown, version?: string) => unknown;
  unpatch?: (exports: unknown, version?: string) => unknown;
}

interface PatchedCopy {
  target: PatchableTarget;
  exports: unknown;
  version: string | undefined;
}

/**
 * Several copies of one package (monorepos, a dependency pinning its own version) are all patched
 * by upstream's require hook, but InstrumentationBase remembers only the last copy per module, so
 * its disable() would leave the others patched and its enable() would not re-patch them. This
 * tracker records every copy upstream patches and completes disable() / enable() for the others.
 */
export class ModuleCopies {
  private readonly copies: PatchedCopy[] = [];

  constructor(instrumentation: Instrumentation) {
    const internals = instrumentation as unknown as InstrumentationInternals & Record<string, unknown>;
    const onRequire = internals._onRequire;
    if (typeof onRequire !== 'function') return;
    const copies = this.copies;
    internals._onRequire = function ckRecordingOnRequire(
      this: unknown,
      definition: ModuleDefinitionLike & PatchableTarget & { moduleVersion?: string },
      exports: unknown,
      name: string,
      baseDir?: string
    ): unknown {
      const result = onRequire.call(this, definition, exports, name, baseDir);
      try {
        const targets: PatchableTarget[] = [definition, ...((definition.files ?? []) as PatchableTarget[])];
        for (const target of targets) {
          if (target.moduleExports !== exports || copies.some((c) => c.target === target && c.exports === exports)) continue;
          copies.push({ target, exports, version: definition.moduleVersion });
        }
      } catch {
        // bookkeeping only
      }
      return result;
    };
  }

  /** After upstream's disable(): unpatch the copies it forgot. */
  unpatchOthers(): void {
    for (const copy of this.copies) {
      if (copy.target.moduleExports !== copy.exports) safeCall(() => copy.target.unpatch?.(copy.exports, copy.version));
    }
  }

  /** After upstream's enable(): re-patch the copies it forgot. */
  repatchOthers(): void {
    for (const copy of this.copies) {
      if (copy.target.moduleExports !== copy.exports) safeCall(() => copy.target.patch?.(copy.exports, copy.version));
    }
  }
}

function safeCall(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    logger.debug(`re-patching a module copy failed: ${describeError(err)}`);
  }
}
