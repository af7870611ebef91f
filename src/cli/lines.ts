/**
 * Splits a byte stream into lines without ever holding more than one line (of at most `maxBytes`)
 * in memory, however large the input: a file of many GB, or one endless line with no newline.
 * A line longer than `maxBytes` is not buffered: its bytes are dropped as they arrive and it is
 * reported once (`tooLong`), so a corrupt or binary file cannot exhaust memory.
 */

export interface Line {
  /** The line's text without the trailing `\n` / `\r\n`; empty when `tooLong`. */
  text: string;
  /** 1-based line number in the stream. */
  number: number;
  /** The line exceeded `maxBytes` and was skipped. */
  tooLong: boolean;
  /** The stream ended without a newline after this line (a writer may still be writing it). */
  unterminated: boolean;
}

const NEWLINE = 0x0a;

export async function* readLines(stream: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let number = 0;
  const finish = (unterminated: boolean): Line => {
    number++;
    if (skipping) {
      skipping = false;
      return { text: '', number, tooLong: true, unterminated };
    }
    const buffer = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    let end = buffer.length;
    if (end > 0 && buffer[end - 1] === 0x0d) end--;
    return { text: buffer.toString('utf8', 0, end), number, tooLong: false, unterminated };
  };
  const append = (chunk: Buffer, start: number, end: number): void => {
    if (end <= start || skipping) return;
    if (size + (end - start) > maxBytes) {
      skipping = true;
      parts = [];
      size = 0;
      return;
    }
    // A copy, not a view: a view would keep the whole (up to 64 KiB) chunk alive per line.
    parts.push(Buffer.from(chunk.subarray(start, end)));
    size += end - start;
  };
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) {
        append(chunk, start, chunk.length);
        break;
      }
      append(chunk, start, nl);
      yield finish(false);
      start = nl + 1;
    }
  }
  if (size > 0 || skipping) yield finish(true);
}
