/**
 * Reads LOGGING metric files (one JSON object per line; `ck.path` rows, `span` lines ignored) from
 * files and folders, streamed line by line (see lines.ts), gzip-compressed files (rotated logs)
 * included. Every bad line is reported with file and line number and skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readLines } from './lines';
import type { Problems } from './problems';
import { OVERFLOW, type IntervalRow, type SeriesTable } from './series';

/** Longest line read; a ck.path row is well under 1 KiB, a span line with captured bodies a few hundred KiB. */
export const MAX_LINE_BYTES = 1024 * 1024;
const KEY = /^[0-9a-f]{16}$/;
/** Log collectors may put a timestamp or stream name before the JSON. */
const ROW_START = '{"type":';

export interface SourceSummary {
  /** File path or URL as given or found. */
  source: string;
  kind: 'logging' | 'scrape' | 'prometheus';
  /** Series rows taken from it (LOGGING: ck.path rows; scrape: series). */
  rows: number;
  /** It could be read at all (opened, fetched). */
  readable: boolean;
}

/**
 * A file or every regular file directly inside a folder (sorted by name; dot files skipped).
 * `seen` holds real paths already read, so a file named twice (directly and through its folder)
 * is counted once.
 */
export async function readLoggingTarget(
  target: string,
  table: SeriesTable,
  problems: Problems,
  seen: Set<string>
): Promise<SourceSummary[]> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(target);
  } catch (err) {
    problems.add(target, undefined, `cannot read: ${errorText(err)}`);
    return [{ source: target, kind: 'logging', rows: 0, readable: false }];
  }
  if (!stat.isDirectory()) return [await readLoggingFile(target, table, problems, seen)];
  let names: string[];
  try {
    names = (await fs.promises.readdir(target)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    problems.add(target, undefined, `cannot list the folder: ${errorText(err)}`);
    return [{ source: target, kind: 'logging', rows: 0, readable: false }];
  }
  const summaries: SourceSummary[] = [];
  for (const name of names) {
    const file = path.join(target, name);
    let fileStat: fs.Stats;
    try {
      fileStat = await fs.promises.stat(file);
    } catch {
      continue; // removed while listing
    }
    if (fileStat.isFile()) summaries.push(await readLoggingFile(file, table, problems, seen));
  }
  if (summaries.length === 0) {
    problems.add(target, undefined, 'the folder has no files');
    return [{ source: target, kind: 'logging', rows: 0, readable: false }];
  }
  return summaries;
}

export async function readLoggingFile(file: string, table: SeriesTable, problems: Problems, seen: Set<string>): Promise<SourceSummary> {
  const summary: SourceSummary = { source: file, kind: 'logging', rows: 0, readable: false };
  let real: string;
  try {
    real = await fs.promises.realpath(file);
  } catch (err) {
    problems.add(file, undefined, `cannot read: ${errorText(err)}`);
    return summary;
  }
  if (seen.has(real)) return { ...summary, readable: true };
  seen.add(real);
  let lines = 0;
  let spans = 0;
  try {
    const gzip = await isGzip(file);
    const raw = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
    const stream = gzip ? raw.pipe(zlib.createGunzip()) : raw;
    // A file error or corrupt gzip data surfaces on the piped stream, where for-await sees it.
    if (gzip) raw.once('error', (err) => stream.destroy(err));
    summary.readable = true;
    for await (const line of readLines(stream, MAX_LINE_BYTES)) {
      lines++;
      if (line.tooLong) {
        problems.add(file, line.number, `line longer than ${MAX_LINE_BYTES} bytes, skipped`);
        continue;
      }
      const outcome = parseLine(line.text);
      if (outcome.kind === 'blank') continue;
      if (outcome.kind === 'span') {
        spans++;
        continue;
      }
      if (outcome.kind === 'bad') {
        const reason = outcome.reason;
        problems.add(file, line.number, line.unterminated ? `${reason} (incomplete last line: is the writer still writing it?)` : reason);
        continue;
      }
      if (table.addInterval(outcome.row)) summary.rows++;
      else problems.add(file, line.number, `more than the series limit were read; this series is left out`);
    }
  } catch (err) {
    problems.add(file, lines > 0 ? lines : undefined, `read failed: ${errorText(err)}`);
  }
  if (summary.readable && summary.rows === 0 && problems.countFor(file) === 0) {
    problems.add(
      file,
      undefined,
      lines === 0 ? 'empty file' : `no ck.path rows in ${lines} lines${spans > 0 ? ` (${spans} span lines)` : ''}`
    );
  }
  return summary;
}

/** What one line holds: an interval row, nothing (blank), a span line, or why it was skipped. */
export type ParsedLine = { kind: 'row'; row: IntervalRow } | { kind: 'blank' } | { kind: 'span' } | { kind: 'bad'; reason: string };

const BLANK: ParsedLine = { kind: 'blank' };
const SPAN: ParsedLine = { kind: 'span' };
const bad = (reason: string): ParsedLine => ({ kind: 'bad', reason });

export function parseLine(text: string): ParsedLine {
  let start = 0;
  while (start < text.length && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  if (start === text.length) return BLANK;
  if (text.charCodeAt(start) !== 0x7b /* { */) {
    const at = text.indexOf(ROW_START, start);
    if (at === -1) return bad('not a JSON line');
    start = at;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(start === 0 ? text : text.slice(start));
  } catch (err) {
    return bad(`malformed JSON: ${errorText(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('not a JSON object');
  const row = parsed as Record<string, unknown>;
  if (row.type === 'span') return SPAN;
  if (row.type !== 'ck.path') {
    return bad(row.type === undefined ? 'JSON object without a "type" field' : `unknown type ${JSON.stringify(row.type).slice(0, 60)}`);
  }
  const valid = validateRow(row);
  return typeof valid === 'string' ? bad(valid) : { kind: 'row', row: valid };
}

function validateRow(row: Record<string, unknown>): IntervalRow | string {
  const { service, pathKey, parentKey, element, calls, errors } = row;
  if (typeof service !== 'string' || service === '') return 'ck.path row without a service';
  if (!isKey(pathKey)) return `ck.path row with an invalid pathKey ${short(pathKey)}`;
  if (!isKey(parentKey)) return `ck.path row with an invalid parentKey ${short(parentKey)}`;
  if (typeof element !== 'object' || element === null) return 'ck.path row without an element';
  const { type, name, role } = element as Record<string, unknown>;
  if (typeof type !== 'string' || typeof name !== 'string' || typeof role !== 'string' || type === '') {
    return 'ck.path row whose element lacks type, name or role';
  }
  if (!isCount(calls)) return `ck.path row with invalid calls ${short(calls)}`;
  if (!isCount(errors) || errors > calls) return `ck.path row with invalid errors ${short(errors)}`;
  return {
    service,
    pathKey,
    parentKey,
    element: { type, name, role },
    calls,
    errors,
    p50: seconds(row.p50),
    p99: seconds(row.p99),
    max: seconds(row.max),
  };
}

function isKey(value: unknown): value is string {
  return typeof value === 'string' && (KEY.test(value) || value === OVERFLOW);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function seconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
