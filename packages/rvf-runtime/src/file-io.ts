import { readSync } from 'node:fs';
import { rvfError } from '@rvfjs/types';
import { type ByteSource, fileHandleSource } from '@rvfjs/wire';
import type { StoreFileHandle } from './file-system.js';

/**
 * Maps a failed file-system call to the code naming it, keeping the cause: a full disk is
 * DiskFull, a failed fsync FsyncFailed, anything else (open, write, rename) IoFailed.
 */
export function ioError(e: unknown, what: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return rvfError('DiskFull', `${what}: disk full`, {}, e);
  const syscall = (e as NodeJS.ErrnoException).syscall;
  return rvfError(
    syscall === 'fsync' || syscall === 'fdatasync' ? 'FsyncFailed' : 'IoFailed',
    `${what}: ${(e as Error).message}`,
    {},
    e,
  );
}

/** Writes all of `bytes` at `position` (FileHandle.write may write less than asked). */
export async function writeAll(fh: StoreFileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * A byte source over a local file that reads synchronously. Loading a store is CPU-bound
 * work on the calling thread anyway; synchronous reads skip a thread-pool round trip per
 * read, which measured 2–3× faster for the many mid-sized reads a load makes. The checks
 * and the read loop are the wire package's fileHandleSource; only the read call differs.
 */
export function localFileSource(fh: StoreFileHandle, size: number): ByteSource {
  // A handle without a descriptor (a remote file) is read through its own read().
  if (fh.fd < 0) return fileHandleSource(fh, size);
  return fileHandleSource(
    {
      read: async (buffer, offset, length, position) => ({
        bytesRead: readSync(fh.fd, buffer, offset, length, position),
      }),
    },
    size,
  );
}
