import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { rvfError } from '@rvfjs/types';

/** What hyparquet reads from: byte ranges on demand. */
export interface RandomAccessInput {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

/**
 * The input of `ingest`: a file, or stdin for "-". Streamed in chunks for every format but
 * Parquet, which needs its footer first and so reads ranges (stdin is then held in memory).
 * `bytesRead` counts what the readers have pulled, for the progress bar.
 */
export interface InputSource {
  /** The path, or "stdin": messages name it. */
  label: string;
  /** Bytes in the input when known (a file). */
  size: number | undefined;
  bytesRead: number;
  /** The first bytes, for telling the format. */
  head: Uint8Array;
  chunks(): AsyncIterable<Uint8Array>;
  randomAccess(): Promise<RandomAccessInput>;
}

const HEAD_BYTES = 16;

export async function openInput(arg: string): Promise<InputSource> {
  return arg === '-' ? stdinSource() : fileSource(arg);
}

async function fileSource(path: string): Promise<InputSource> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw rvfError('IoFailed', `input file ${path} does not exist`, { path });
    throw rvfError('IoFailed', `cannot read input ${path}: ${e.message}`, { path }, e);
  });
  if (st.isDirectory()) throw rvfError('IoFailed', `input ${path} is a directory, not a file`, { path });
  const size = st.size;
  const head = new Uint8Array(Math.min(HEAD_BYTES, size));
  const fh = await open(path, 'r').catch((e) => {
    throw rvfError('IoFailed', `cannot read input ${path}: ${(e as Error).message}`, { path }, e);
  });
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const source: InputSource = {
    label: path,
    size,
    bytesRead: 0,
    head,
    async *chunks() {
      for await (const chunk of createReadStream(path)) {
        source.bytesRead += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    },
    async randomAccess() {
      return {
        byteLength: size,
        async slice(start, end = size) {
          const fh = await open(path, 'r');
          try {
            const out = new Uint8Array(end - start);
            let done = 0;
            while (done < out.length) {
              const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
              if (bytesRead === 0) break;
              done += bytesRead;
            }
            source.bytesRead += done;
            return out.buffer;
          } finally {
            await fh.close();
          }
        },
      };
    },
  };
  return source;
}

async function stdinSource(): Promise<InputSource> {
  const iterator = (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  // The first chunk is read now to tell the format, and handed back first by chunks().
  const first = await iterator.next();
  const head: Uint8Array = first.done ? new Uint8Array(0) : first.value;
  let consumed = false;
  const source: InputSource = {
    label: 'stdin',
    size: undefined,
    bytesRead: 0,
    head: head.subarray(0, HEAD_BYTES),
    async *chunks() {
      if (consumed) throw new Error('stdin can be read only once');
      consumed = true;
      if (first.done) return;
      source.bytesRead += head.length;
      yield head;
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        source.bytesRead += r.value.length;
        yield r.value;
      }
    },
    async randomAccess() {
      const parts: Uint8Array[] = [];
      for await (const c of source.chunks()) parts.push(c);
      const all = Buffer.concat(parts);
      const buffer = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      return { byteLength: buffer.byteLength, slice: async (start, end) => buffer.slice(start, end) };
    },
  };
  return source;
}
