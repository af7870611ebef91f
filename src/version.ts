/** ck-agent's own version, for the meter scope and the telemetry.distro.version resource attribute. */
import fs from 'fs';
import path from 'path';

let cachedVersion: string | undefined;

/** ck-agent's own version: the nearest package.json named ck-agent above this file (src/ or build/src/). */
export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  cachedVersion = '0.0.0';
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === 'ck-agent' && typeof json.version === 'string') {
        cachedVersion = json.version;
        break;
      }
    } catch {
      // not here; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return cachedVersion;
}
