/**
 * "Installed" for the zero-code start means: the **app** can load it (docs/first-run.md).
 *
 * Resolution starts from the main script's directory and the working directory, never from the
 * agent's own folder. That alone is not enough for the packages the agent itself depends on:
 * npm hoists them into the app's node_modules, where the app resolves them too although it never
 * asked for them (the OTLP gRPC exporters bring `@grpc/grpc-js`). For those, the app must name the
 * package in its own package.json, or hold a copy of its own (a different file than ours).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Instrumentation target modules that the agent's own production dependencies install
 * (test/instrumentations/app-modules.test.ts checks this list against the dependency tree).
 */
export const AGENT_OWN_MODULES: readonly string[] = ['@grpc/grpc-js'];

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** Directories the app resolves from: its main script's, then the working directory. */
export function appDirectories(): string[] {
  const dirs: string[] = [];
  const main = process.argv[1];
  if (main) {
    try {
      const file = fs.realpathSync(path.resolve(main));
      dirs.push(fs.statSync(file).isDirectory() ? file : path.dirname(file));
    } catch {
      // `node -e`, a missing file: the working directory decides
    }
  }
  try {
    const cwd = process.cwd();
    if (!dirs.includes(cwd)) dirs.push(cwd);
  } catch {
    // the working directory was deleted
  }
  return dirs;
}

function resolveFrom(dirs: readonly string[], moduleName: string): string | undefined {
  if (dirs.length === 0) return undefined;
  try {
    return require.resolve(moduleName, { paths: [...dirs] });
  } catch {
    return undefined;
  }
}

/** The copy the agent itself would load. */
function agentCopy(moduleName: string): string | undefined {
  try {
    return require.resolve(moduleName);
  } catch {
    return undefined;
  }
}

/** True when the nearest package.json above one of `dirs` (outside node_modules) names `moduleName`. */
export function appDeclares(dirs: readonly string[], moduleName: string): boolean {
  for (const start of dirs) {
    let dir = path.resolve(start);
    for (let depth = 0; depth < 20; depth++) {
      const declared = declaresIn(path.join(dir, 'package.json'), moduleName);
      if (declared !== undefined) return declared;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return false;
}

/** undefined: no readable package.json here; otherwise whether it names the module. */
function declaresIn(file: string, moduleName: string): boolean | undefined {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const record = json as Record<string, unknown>;
  return DEPENDENCY_FIELDS.some((field) => {
    const deps = record[field];
    return typeof deps === 'object' && deps !== null && Object.prototype.hasOwnProperty.call(deps, moduleName);
  });
}

/** Whether the app can load `moduleName` by itself (see the header). */
export function appCanLoad(moduleName: string, dirs: readonly string[] = appDirectories()): boolean {
  const fromApp = resolveFrom(dirs, moduleName);
  if (fromApp === undefined) return false;
  if (!AGENT_OWN_MODULES.includes(moduleName)) return true;
  if (fromApp !== agentCopy(moduleName)) return true;
  return appDeclares(dirs, moduleName);
}
