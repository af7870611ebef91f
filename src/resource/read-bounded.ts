/**
 * Small synchronous file reads for resource detection at startup. Bounded (a huge or endless
 * file costs at most `maxBytes`), never blocking on a FIFO (O_NONBLOCK), never throwing: a file
 * that cannot be read is logged at debug level and reads as undefined.
 */
import * as fs from 'node:fs';
import { describeError, logger } from '../logger';

/**
 * Up to `maxBytes` of `file` as UTF-8. When the file is longer, the partial last line is
 * dropped, so callers only ever see whole lines.
 */
export function readBounded(file: string, maxBytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const buffer = Buffer.allocUnsafe(maxBytes);
    let length = 0;
    // /proc files report size 0: read until EOF or the bound.
    while (length < maxBytes) {
      const n = fs.readSync(fd, buffer, length, maxBytes - length, null);
      if (n === 0) break;
      length += n;
    }
    let text = buffer.toString('utf8', 0, length);
    if (length === maxBytes) {
      const lastNewline = text.lastIndexOf('\n');
      text = lastNewline >= 0 ? text.slice(0, lastNewline + 1) : '';
    }
    return text;
  } catch (err) {
    logger.debug(`resource detection: ${file} not readable (${describeError(err)})`);
    return undefined;
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // nothing left to do
      }
    }
  }
}
