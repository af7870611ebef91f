/**
 * The `db.query.text` of a MongoDB command (recording; docs/datastores.md): by default the
 * command's shape with every value masked (`{"find":"?","filter":{"status":"?"}}`, as upstream's
 * default does, plus a size bound and a walk budget so a huge `$in` list costs little);
 * `enhanced` (opt-in) records values, with the redaction rules applied to keys.
 */
import { REDACTED, type Redactor } from '../../capture/redaction';

/** Nodes visited per serialized command: past it the rest is elided. */
const MAX_NODES = 2000;
const MAX_DEPTH = 32;

interface SerializeState {
  out: string;
  nodes: number;
  readonly maxLength: number;
  readonly mask: boolean;
  readonly redactor: Redactor | undefined;
  readonly seen: Set<object>;
}

function isBsonValue(value: object): boolean {
  return typeof (value as { _bsontype?: unknown })._bsontype === 'string' || value instanceof Date || Buffer.isBuffer(value);
}

function writeValue(state: SerializeState, value: unknown, depth: number): void {
  if (state.out.length > state.maxLength) return;
  if (++state.nodes > MAX_NODES) {
    state.out += '"…"';
    return;
  }
  if (value === null || value === undefined || typeof value !== 'object' || isBsonValue(value)) {
    state.out += state.mask ? '"?"' : scalarJson(value);
    return;
  }
  if (state.seen.has(value) || depth > MAX_DEPTH) {
    state.out += '"[Circular]"';
    return;
  }
  state.seen.add(value);
  if (Array.isArray(value)) {
    state.out += '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) state.out += ',';
      writeValue(state, value[i], depth + 1);
      if (state.out.length > state.maxLength || state.nodes > MAX_NODES) break;
    }
    state.out += ']';
  } else {
    state.out += '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function') continue;
      if (!first) state.out += ',';
      first = false;
      state.out += JSON.stringify(key) + ':';
      if (!state.mask && state.redactor?.isRedactedKey(key)) state.out += JSON.stringify(REDACTED);
      else writeValue(state, item, depth + 1);
      if (state.out.length > state.maxLength || state.nodes > MAX_NODES) break;
    }
    state.out += '}';
  }
  state.seen.delete(value);
}

function scalarJson(value: unknown): string {
  if (value === undefined) return 'null';
  try {
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    if (Buffer.isBuffer(value)) return JSON.stringify(`[binary ${value.length} bytes]`);
    const bsonType = value && typeof value === 'object' ? (value as { _bsontype?: string })._bsontype : undefined;
    if (bsonType === 'Binary') return JSON.stringify(`[binary ${(value as { length(): number }).length()} bytes]`);
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"?"';
  }
}

/**
 * The `db.query.text` of a MongoDB command: its shape as JSON with values masked (default), or
 * with values and redacted keys (`enhanced`), at most `maxLength` chars.
 */
export function mongoStatement(command: unknown, maxLength: number, enhanced = false, redactor?: Redactor): string {
  const state: SerializeState = { out: '', nodes: 0, maxLength, mask: !enhanced, redactor, seen: new Set() };
  writeValue(state, command, 0);
  return state.out.length > maxLength ? state.out.slice(0, maxLength) : state.out;
}
