/**
 * gRPC message → JSON for capture (data-capture.md): a message object's own enumerable fields,
 * Buffers / Uint8Arrays as base64, int64 `Long`s as decimal strings, at any depth.
 *
 * Written by hand rather than with JSON.stringify because
 * - the work is bounded: writing stops once the byte budget is spent, so an oversized message
 *   costs the budget, not its size (JSON.stringify would build the whole string first);
 * - `toJSON` methods are not called (protobufjs messages define one that adds defaults and
 *   reformats fields; the spec asks for the object's own fields);
 * - keys matching the body redaction patterns get `"[REDACTED]"` while writing, so truncated
 *   output is redacted too (redacting after truncation could miss a cut value).
 * Never throws: getters that throw, cycles and exotic values are written as null / skipped.
 */

import type { KeyRedactor } from '../../capture/context';

export const REDACTED_JSON = '"[REDACTED]"';
/** Nesting deeper than this is written as null (protects against cycles and pathological data). */
const MAX_DEPTH = 32;

/**
 * Appends JSON to an internal list of parts until `budget` UTF-16 units are used. Character
 * counts are a cheap bound on bytes from below; the caller cuts the joined text at the exact byte
 * limit (truncateUtf8), so the budget only needs to cover at least that many bytes: it is set to
 * the byte limit + 1 so that "more than the limit" is always detected.
 */
export class BoundedJsonWriter {
  private parts: string[] = [];
  private used = 0;
  /** True once output was dropped because the budget ran out. */
  full = false;

  constructor(
    private readonly budget: number,
    private readonly redactKey: KeyRedactor
  ) {}

  get length(): number {
    return this.used;
  }

  /** Raw text (punctuation between messages). */
  raw(text: string): void {
    this.push(text);
  }

  /** Writes one value; returns false when the budget is spent. */
  value(value: unknown): boolean {
    this.write(value, 0);
    return !this.full;
  }

  text(): string {
    const s = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [s];
    return s;
  }

  private push(text: string): void {
    if (this.full) return;
    const room = this.budget - this.used;
    if (text.length > room) {
      // Keep what fits so the result fills the limit; the caller marks it truncated.
      if (room > 0) this.parts.push(text.slice(0, room));
      this.used = this.budget;
      this.full = true;
      return;
    }
    this.parts.push(text);
    this.used += text.length;
  }

  private write(value: unknown, depth: number): void {
    if (this.full) return;
    switch (typeof value) {
      case 'string':
        this.push(JSON.stringify(this.used + value.length > this.budget ? value.slice(0, this.budget - this.used + 1) : value));
        return;
      case 'number':
        this.push(Number.isFinite(value) ? String(value) : 'null');
        return;
      case 'boolean':
        this.push(value ? 'true' : 'false');
        return;
      case 'bigint':
        this.push('"' + value.toString() + '"');
        return;
      case 'object':
        break;
      default:
        // undefined, functions, symbols: null (only reached for array items and the top level)
        this.push('null');
        return;
    }
    if (value === null || depth >= MAX_DEPTH) {
      this.push('null');
      return;
    }
    if (value instanceof Uint8Array) {
      // Buffer is a Uint8Array. Only the bytes that can fit are encoded (4 chars per 3 bytes).
      const bytes = value.byteLength;
      const fit = Math.min(bytes, Math.ceil(((this.budget - this.used) * 3) / 4) + 3);
      const view = Buffer.from(value.buffer, value.byteOffset, fit);
      this.push('"' + view.toString('base64') + '"');
      return;
    }
    if (Array.isArray(value)) {
      this.push('[');
      for (let i = 0; i < value.length && !this.full; i++) {
        if (i > 0) this.push(',');
        this.write(value[i], depth + 1);
      }
      this.push(']');
      return;
    }
    if (isLong(value)) {
      this.push('"' + String(value) + '"');
      return;
    }
    if (value instanceof Date) {
      this.push(Number.isFinite(value.getTime()) ? '"' + value.toISOString() + '"' : 'null');
      return;
    }
    if (value instanceof Map || value instanceof Set || value instanceof ArrayBuffer) {
      // Not message fields; written as an empty object like JSON.stringify does.
      this.push('{}');
      return;
    }
    this.push('{');
    let first = true;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length && !this.full; i++) {
      const key = keys[i];
      let field: unknown;
      try {
        field = (value as Record<string, unknown>)[key];
      } catch {
        field = null;
      }
      if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
      this.push(first ? JSON.stringify(key) + ':' : ',' + JSON.stringify(key) + ':');
      first = false;
      if (this.redactKey !== undefined && this.redactKey(key)) this.push(REDACTED_JSON);
      else this.write(field, depth + 1);
    }
    this.push('}');
  }
}

/** protobufjs / long.js 64-bit integers. */
function isLong(value: object): boolean {
  const v = value as { low?: unknown; high?: unknown; unsigned?: unknown; toString?: unknown };
  return typeof v.low === 'number' && typeof v.high === 'number' && typeof v.unsigned === 'boolean';
}

/**
 * JSON of one message, at most `budgetChars` characters (the caller cuts at the byte limit).
 * Returns the text and whether the budget ran out.
 */
export function messageJson(message: unknown, budgetChars: number, redactKey: KeyRedactor): { text: string; full: boolean } {
  const writer = new BoundedJsonWriter(budgetChars, redactKey);
  writer.value(message);
  return { text: writer.text(), full: writer.full };
}
