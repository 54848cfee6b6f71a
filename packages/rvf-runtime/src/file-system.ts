import type { ReadableFileHandle } from '@rvfjs/wire';

/**
 * The part of an open file a store uses: Node's `fs.promises.FileHandle` has all of it. The
 * descriptor (`fd`) is read synchronously by loads (see localFileSource).
 */
export interface StoreFileHandle extends ReadableFileHandle {
  readonly fd: number;
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number; ino: number }>;
  close(): Promise<void>;
}

/**
 * Every call by which a store changes what is on disk, or makes it durable: the file system
 * a store writes through. The default is the machine's (`nodeFileSystem`). A test passes its
 * own to see every write and fsync, to cut the power at any of them (keeping only what was
 * fsynced), or to make one fail, as SQLite's test VFS and LazyFS do. Reads of other files
 * (a branch's parent) and the writer lock go to the machine's file system directly: a lock
 * does not outlive the process that holds it, so it is not part of what must survive a crash.
 */
export interface StoreFileSystem {
  /** 'r' and 'r+' open an existing file; 'wx' and 'wx+' create one that must not exist. */
  open(path: string, flags: 'r' | 'r+' | 'wx' | 'wx+'): Promise<StoreFileHandle>;
  /** A second name for a file; fails with EEXIST when `path` exists. */
  link(existing: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file if it is there. */
  remove(path: string): Promise<void>;
  /** fsync of the folder holding `path`, so names created or renamed in it are durable. */
  syncDir(path: string): Promise<void>;
  /** Size and identity of the file at `path` now (refresh() uses it to see a new version). */
  stat(path: string): Promise<{ size: number; ino: number }>;
}
