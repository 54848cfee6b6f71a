import { RvfError, rvfError } from '@rvfjs/types';
import { type BlockCacheOptions, type ByteSource, blockCachedSource, httpSource } from '@rvfjs/wire';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';

/** True for the paths a store opens over HTTP(S) rather than from the local disk. */
export function isRemotePath(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

const readOnly = (what: string) => rvfError('ReadOnly', `${what}: a store opened from a URL is read-only`);

/**
 * A read-only StoreFileSystem over byte sources, for stores that live elsewhere (an HTTP
 * server or CDN; object storage next). Opening a path asks `openSource` for a source; the
 * store then reads it like a local file, without a copy on the local disk. Everything that
 * would change the file is refused with ReadOnly.
 */
export function sourceFileSystem(openSource: (path: string) => Promise<ByteSource>): StoreFileSystem {
  const open = async (path: string): Promise<StoreFileHandle> => {
    let source: ByteSource;
    try {
      source = await openSource(path);
    } catch (e) {
      // A refused or unreachable server is the OS's error for a remote file: coded, with cause.
      throw RvfError.is(e)
        ? e
        : rvfError('IoFailed', `cannot open ${path}: ${(e as Error).message}`, { path }, e);
    }
    return {
      fd: -1, // no descriptor: readers go through read()
      async read(buffer, offset, length, position) {
        const target = buffer.subarray(offset, offset + length);
        if (source.readInto) await source.readInto(position, target);
        else target.set(await source.read(position, length));
        return { bytesRead: length };
      },
      stat: async () => ({ size: source.size, ino: 0 }),
      close: async () => undefined,
      write: async () => {
        throw readOnly(path);
      },
      sync: async () => {
        throw readOnly(path);
      },
      truncate: async () => {
        throw readOnly(path);
      },
    };
  };
  return {
    async open(path, flags) {
      if (flags !== 'r') throw readOnly(path);
      return open(path);
    },
    async stat(path) {
      const handle = await open(path);
      return handle.stat();
    },
    link: async (_, path) => {
      throw readOnly(path);
    },
    rename: async (_, to) => {
      throw readOnly(to);
    },
    remove: async (path) => {
      throw readOnly(path);
    },
    syncDir: async (path) => {
      throw readOnly(path);
    },
  };
}

export interface HttpStoreOptions {
  /** Extra request headers (say, authorization). */
  headers?: Record<string, string>;
  /** Block size and byte budget of the read cache (defaults 256 KiB and 16 MiB). */
  cache?: BlockCacheOptions;
  /** Defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
}

/** Stores at http(s):// URLs, read with range requests through a block cache. */
export function httpFileSystem(options: HttpStoreOptions = {}): StoreFileSystem {
  return sourceFileSystem(async (url) =>
    blockCachedSource(
      await httpSource(url, {
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
      options.cache,
    ),
  );
}
