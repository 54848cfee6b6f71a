import { rvfError } from '@rvfjs/types';
import { HttpError } from './errors.js';

export interface Line {
  /** 1-based, counting every line (blank ones too), for messages. */
  lineNo: number;
  text: string;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines, in time linear in its length: each chunk is searched for
 * newlines once, from where the last search stopped, and a line's bytes are copied once,
 * when it is complete. (Appending each chunk to one string and searching it from the start
 * again is quadratic in a line's length: one 30 MiB line took seconds.) A line longer than
 * `maxBytes` is refused as soon as that many bytes of it have arrived, before the rest is
 * read. Splitting on the newline byte is safe for UTF-8, where 0x0a is never part of another
 * character; each line is then decoded strictly. A trailing `\r` is dropped.
 */
export async function* ndjsonLines(
  chunks: AsyncIterable<Uint8Array | string>,
  maxBytes: number,
): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Uint8Array[] = [];
  let size = 0;
  let lineNo = 0;
  const finish = (): Line => {
    lineNo++;
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    parts = [];
    size = 0;
    try {
      return { lineNo, text: decoder.decode(bytes) };
    } catch {
      throw rvfError('InvalidRecord', `line ${lineNo}: not valid UTF-8`);
    }
  };
  const take = (piece: Uint8Array) => {
    if (size + piece.length > maxBytes) throw lineTooLong(lineNo + 1, maxBytes);
    if (piece.length > 0) parts.push(piece);
    size += piece.length;
  };
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      if (nl < 0) break;
      take(bytes.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    // The chunk's tail stays referenced (not copied) until its line is complete.
    take(bytes.subarray(start));
  }
  if (size > 0) yield finish();
}

export function lineTooLong(lineNo: number, maxBytes: number): HttpError {
  return new HttpError(
    413,
    'LINE_TOO_LONG',
    'LineTooLong',
    `line ${lineNo} is longer than ${maxBytes} bytes, the import's line limit`,
  );
}
