import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rvfError } from '@rvfjs/types';

/**
 * hnswlib-node can only save to and load from a path, so (de)serialising goes through a uniquely
 * named scratch file in os.tmpdir() that is always removed, whether `fn` succeeds or throws.
 * File-system failures (no space, unwritable TMPDIR) surface as RvfError; anything else `fn`
 * throws passes through unchanged for the caller to classify.
 */
export function withTempFile<T>(fn: (path: string) => T): T {
  const dir = tmpdir();
  const path = join(dir, `rvfjs-hnsw-${process.pid}-${randomBytes(8).toString('hex')}.bin`);
  try {
    return fn(path);
  } catch (err) {
    throw stagingError(err, dir, path);
  } finally {
    rmSync(path, { force: true });
  }
}

/** withTempFile for async work (the file is removed once `fn` settles). */
export async function withTempFileAsync<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const dir = tmpdir();
  const path = join(dir, `rvfjs-hnsw-${process.pid}-${randomBytes(8).toString('hex')}.bin`);
  try {
    return await fn(path);
  } catch (err) {
    throw stagingError(err, dir, path);
  } finally {
    await rm(path, { force: true });
  }
}

function stagingError(err: unknown, dir: string, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string') {
    const why = `could not stage the HNSW index in ${dir}: ${(err as Error).message}`;
    const syscall = (err as NodeJS.ErrnoException).syscall;
    const name = code === 'ENOSPC' ? 'DiskFull' : syscall === 'fsync' ? 'FsyncFailed' : 'IoFailed';
    return rvfError(name, why, { path }, err);
  }
  return err;
}
