/**
 * Which bodies are captured: those whose content type contains one of the allowed substrings
 * (`data_capture.allowed_content_types`, case-insensitive). A missing content type is never
 * captured: without it there is no telling text from binary.
 */

/** Lower-cased copies of the allowed lists, computed once per (frozen) config list. */
const loweredLists = new WeakMap<readonly string[], string[]>();

function lowered(allowed: readonly string[]): string[] {
  let list = loweredLists.get(allowed);
  if (!list) {
    list = allowed.filter((a) => typeof a === 'string' && a.length > 0).map((a) => a.toLowerCase());
    loweredLists.set(allowed, list);
  }
  return list;
}

/** A header value as Node gives it (string, string[] or number) as one string, or undefined. */
export function headerString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function isCapturableContentType(contentType: unknown, allowed: readonly string[]): boolean {
  const ct = headerString(contentType);
  if (!ct) return false;
  // Content types are short; a huge value is junk and not worth scanning.
  const value = (ct.length > 256 ? ct.slice(0, 256) : ct).toLowerCase();
  const list = lowered(allowed);
  for (let i = 0; i < list.length; i++) if (value.includes(list[i])) return true;
  return false;
}
