/**
 * The config file: path from CK_CONFIG_FILE (alias HT_CONFIG_FILE), JSON for `.json`, YAML
 * otherwise (YAML also reads JSON). Keys are the snake_case paths of config.md, which is the
 * Hypertrace agent-config shape, so a Hypertrace agent-config.yaml works unchanged. A file
 * that cannot be read or parsed is reported once and ignored as a whole.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as Yaml from 'yaml';
import { sourceProblem, type ConfigIssue } from './issues';
import { collectTree, errorText, isPlainObject, type RawEntry } from './tree';

/** Env vars naming the config file, highest priority first. */
export const CONFIG_FILE_ENV_VARS = ['CK_CONFIG_FILE', 'HT_CONFIG_FILE'] as const;

/** A config file larger than this is refused (it is a config file, not a data set). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export interface ConfigFileResult {
  /** Absolute path of the file, when one was named. */
  path?: string;
  entries: RawEntry[];
}

/** The config file named in `env`, read into raw entries; problems are appended to `issues`. */
export function loadConfigFile(env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[]): ConfigFileResult {
  let envVar: string | undefined;
  let named: string | undefined;
  for (const name of CONFIG_FILE_ENV_VARS) {
    const value = env[name];
    if (typeof value === 'string' && value.trim() !== '') {
      envVar = name;
      named = value.trim();
      break;
    }
  }
  if (named === undefined || envVar === undefined) return { entries: [] };
  const absolute = path.resolve(named);
  const source = `file ${absolute}`;
  const parsed = readConfigFile(absolute);
  if (!parsed.ok) {
    issues.push(sourceProblem(source, '', `cannot use the config file named by ${envVar}: ${parsed.problem}; the file is ignored`));
    return { path: absolute, entries: [] };
  }
  if (parsed.value === null || parsed.value === undefined) return { path: absolute, entries: [] }; // empty file
  if (!isPlainObject(parsed.value)) {
    issues.push(
      sourceProblem(source, '', `the config file named by ${envVar} must hold a mapping of keys at the top level; the file is ignored`)
    );
    return { path: absolute, entries: [] };
  }
  return { path: absolute, entries: collectTree(parsed.value, 'snake', source, () => source, issues) };
}

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

/** Reads and parses one config file; never throws. */
export function readConfigFile(file: string): Parsed {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ok: false, problem: 'not a regular file' };
    if (stat.size > MAX_CONFIG_FILE_BYTES) {
      return { ok: false, problem: `file too large (${stat.size} bytes, at most ${MAX_CONFIG_FILE_BYTES})` };
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problem: `cannot read it (${errorText(err)})` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM from Windows editors
  const isJson = path.extname(file).toLowerCase() === '.json';
  try {
    if (isJson) return { ok: true, value: text.trim() === '' ? null : JSON.parse(text) };
    // uniqueKeys: a duplicated key is an error, not a silent last-wins; maxAliasCount bounds alias bombs.
    // Loaded only when a YAML file is read: most processes have no config file at all.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: only when a YAML file is read
    const { parse: parseYaml } = require('yaml') as typeof Yaml;
    return { ok: true, value: parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: true }) };
  } catch (err) {
    return { ok: false, problem: `malformed ${isJson ? 'JSON' : 'YAML'}: ${firstLine(errorText(err))}` };
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
