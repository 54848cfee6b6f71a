import {
  closeSync,
  constants,
  fstatSync,
  fsync,
  ftruncate,
  linkSync,
  openSync,
  read,
  renameSync,
  statSync,
  unlinkSync,
  write,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';

/**
 * Writes of at most this many bytes run on the calling thread. A trip through libuv's thread
 * pool costs 80–100 µs on this project's machines (several times that while the second core
 * builds a graph), while copying a few KiB into the page cache takes microseconds, and the
 * writes a store makes most often (a branch, a small ingest, a close) are that small. Larger
 * writes go to the thread pool, so a big ingest never holds the event loop.
 */
export const INLINE_WRITE_BYTES = 256 * 1024;

/**
 * The machine's file system: what stores use unless given another.
 *
 * What runs where follows what a call waits for. Calls that only change the kernel's caches
 * (opening or creating a file, linking, renaming, removing, stat, writes up to
 * INLINE_WRITE_BYTES) run inline: they take microseconds, less than handing them to the
 * thread pool. Calls that wait for the disk (every fsync, of a file or a folder) run on the
 * thread pool: their time has no bound (an fsync waits for the journal, which may be flushing
 * other processes' writes), they must never hold the event loop, and two of them (a branch's
 * parent record and its child) can then be in flight at once.
 */
export const nodeFileSystem: StoreFileSystem = {
  async open(path, flags) {
    return localFileHandle(openSync(path, flags));
  },
  async link(existing, path) {
    linkSync(existing, path);
  },
  async rename(from, to) {
    renameSync(from, to);
  },
  async remove(path) {
    // unlink, a missing file being no error (rmSync's force, without its lstat and JavaScript walk).
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  },
  async stat(path) {
    return statSync(path);
  },
  async syncDir(path) {
    let fd: number | undefined;
    try {
      fd = openSync(dirname(path), constants.O_RDONLY);
      await fsyncOf(fd);
    } catch {
      // Some platforms cannot fsync a directory; the data itself is already synced.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },
};

const fsyncOf = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));

/** A handle over a descriptor, with nodeFileSystem's split between inline and thread pool. */
function localFileHandle(fd: number): StoreFileHandle {
  let closed = false;
  return {
    fd,
    read: (buffer, offset, length, position) =>
      new Promise((resolve, reject) =>
        read(fd, buffer, offset, length, position, (e, bytesRead) =>
          e ? reject(e) : resolve({ bytesRead }),
        ),
      ),
    async write(buffer, offset, length, position) {
      if (length <= INLINE_WRITE_BYTES)
        return { bytesWritten: writeSync(fd, buffer, offset, length, position) };
      return new Promise((resolve, reject) =>
        write(fd, buffer, offset, length, position, (e, bytesWritten) =>
          e ? reject(e) : resolve({ bytesWritten }),
        ),
      );
    },
    sync: () => fsyncOf(fd),
    truncate: (length) =>
      new Promise((resolve, reject) => ftruncate(fd, length, (e) => (e ? reject(e) : resolve()))),
    async stat() {
      return fstatSync(fd);
    },
    async close() {
      // Once only: a descriptor number closed twice may by then name another file.
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
