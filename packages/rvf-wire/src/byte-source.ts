import { rvfError } from '@rvfjs/types';

/**
 * Where bytes come from. The decoders never care whether it is memory, a local file or
 * an HTTP server: they ask for (offset, length) and get exactly that many bytes or an
 * RvfError. `size` is the byte length at the time the source was made.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: fills `target` with the bytes at `offset`, so a reader can reuse one buffer
   * for many reads instead of getting a fresh one each time.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
}

function checkRange(size: number, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw rvfError('TruncatedSegment', `${what}: invalid read of ${length} bytes at ${offset}`, { offset });
  }
  if (offset + length > size) {
    throw rvfError(
      'TruncatedSegment',
      `${what}: read of ${length} bytes at ${offset} runs past the end (${size})`,
      {
        offset,
      },
    );
  }
}

/** A source over bytes already in memory. Reads are views, not copies. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(offset, length) {
      checkRange(bytes.length, offset, length, 'memory source');
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** The part of Node's `fs.promises.FileHandle` this package uses (duck-typed: no fs import). */
export interface ReadableFileHandle {
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number; buffer?: unknown }>;
}

/**
 * A source over an open file handle. The caller opens the handle (and knows its size),
 * so this package stays free of `fs` and works with anything shaped like a FileHandle.
 */
export function fileHandleSource(handle: ReadableFileHandle, size: number): ByteSource {
  const readInto = async (offset: number, out: Uint8Array): Promise<void> => {
    const length = out.length;
    checkRange(size, offset, length, 'file source');
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw rvfError(
          'TruncatedSegment',
          `file ended at ${offset + done} while reading ${length} bytes at ${offset}`,
          { offset: offset + done },
        );
      }
      done += bytesRead;
    }
  };
  return {
    size,
    readInto,
    async read(offset, length) {
      checkRange(size, offset, length, 'file source');
      const out = new Uint8Array(length);
      await readInto(offset, out);
      return out;
    },
  };
}

export interface HttpSourceOptions {
  /** Defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

/**
 * A source over an HTTP(S) URL using range requests. The size comes from a HEAD request
 * (Content-Length), or from the Content-Range of a one-byte GET when HEAD gives none.
 */
export async function httpSource(url: string, options: HttpSourceOptions = {}): Promise<ByteSource> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const headers = options.headers ?? {};
  const size = await discoverSize(fetchFn, url, headers);
  return {
    size,
    async read(offset, length) {
      checkRange(size, offset, length, url);
      if (length === 0) return new Uint8Array(0);
      const res = await fetchFn(url, {
        headers: { ...headers, Range: `bytes=${offset}-${offset + length - 1}` },
      });
      if (res.status !== 206 && res.status !== 200) {
        throw rvfError('TruncatedSegment', `${url}: range request at ${offset} answered HTTP ${res.status}`, {
          offset,
        });
      }
      const body = new Uint8Array(await res.arrayBuffer());
      // A server that ignores Range sends the whole file with 200; take our slice of it.
      const bytes = res.status === 200 ? body.subarray(offset, offset + length) : body;
      if (bytes.length !== length) {
        throw rvfError(
          'TruncatedSegment',
          `${url}: asked for ${length} bytes at ${offset}, got ${bytes.length}`,
          {
            offset,
          },
        );
      }
      return bytes;
    },
  };
}

async function discoverSize(fetchFn: typeof globalThis.fetch, url: string, headers: Record<string, string>) {
  const head = await fetchFn(url, { method: 'HEAD', headers });
  const len = head.headers.get('content-length');
  if (head.ok && len !== null && /^\d+$/.test(len)) return Number(len);
  const probe = await fetchFn(url, { headers: { ...headers, Range: 'bytes=0-0' } });
  const range = probe.headers.get('content-range');
  await probe.arrayBuffer().catch(() => undefined);
  const m = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (!m) throw rvfError('ManifestNotFound', `${url}: cannot learn the resource size (HTTP ${probe.status})`);
  return Number(m[1]);
}
