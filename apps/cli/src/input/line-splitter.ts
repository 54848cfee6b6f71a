import { rvfError } from '@rvfjs/types';
import { MAX_RECORD_BYTES } from './input-row.js';

/**
 * Splits a byte stream into lines (numbered from 1, "\r\n" or "\n", no trailing newline
 * needed) in linear time: each chunk is scanned once, and only the unfinished tail of a line
 * is carried to the next chunk. A line longer than MAX_RECORD_BYTES is refused rather than
 * buffered, so memory stays bounded whatever the input.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  label: string,
): AsyncGenerator<{ text: string; line: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let line = 0;
  const decode = (bytes: Uint8Array): string => {
    try {
      const text = decoder.decode(bytes);
      return text.endsWith('\r') ? text.slice(0, -1) : text;
    } catch {
      throw rvfError('InvalidRecord', `${label} line ${line}: not valid UTF-8`, { input: label, line });
    }
  };
  const take = (tail: Uint8Array): Uint8Array => {
    if (pending.length === 0) return tail;
    const all = Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    return all;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      line++;
      if (pendingBytes + nl - start > MAX_RECORD_BYTES) throw tooLong(label, line);
      yield { text: decode(take(chunk.subarray(start, nl))), line };
      start = nl + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_RECORD_BYTES) throw tooLong(label, line + 1);
      pending.push(chunk.subarray(start));
    }
  }
  if (pendingBytes > 0) {
    line++;
    yield { text: decode(take(new Uint8Array(0))), line };
  }
}

function tooLong(label: string, line: number) {
  return rvfError(
    'InvalidRecord',
    `${label} line ${line} is longer than ${MAX_RECORD_BYTES / (1024 * 1024)} MiB; is this the right format?`,
    { input: label, line },
  );
}
