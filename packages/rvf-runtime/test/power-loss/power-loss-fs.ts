/**
 * A StoreFileSystem over real files that keeps, beside them, what a power cut would leave:
 * each file's bytes as of its last fsync, and each folder's names as of its last fsync (a
 * new or renamed name is durable only once its folder is synced). Every call that changes the
 * disk is counted; the test picks one to cut the power at (that call and every later one
 * fails; `materialize` then writes the surviving state to a folder), or one to fail with an
 * errno (the disk reports an error, the process lives on). The model is LazyFS's "lose
 * unsynced data": only fsynced bytes survive, nothing torn is invented.
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeFileSystem, type StoreFileHandle, type StoreFileSystem } from '../../src/index.js';

/** Thrown by every changing call from the cut on: the machine is off. */
export class PowerCut extends Error {
  constructor(call: number) {
    super(`power cut at call ${call}`);
    this.name = 'PowerCut';
  }
}

export type CallKind = 'create' | 'write' | 'sync' | 'truncate' | 'link' | 'rename' | 'remove' | 'syncDir';

export interface Failure {
  code: 'EIO' | 'ENOSPC';
}

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected failure, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

const SYSCALL: Record<CallKind, string> = {
  create: 'open',
  write: 'write',
  sync: 'fsync',
  truncate: 'ftruncate',
  link: 'link',
  rename: 'rename',
  remove: 'unlink',
  syncDir: 'fsync',
};

export class PowerLossFileSystem implements StoreFileSystem {
  /** Changing calls so far, and their kinds in order. */
  readonly calls: CallKind[] = [];
  /** The call (1-based) the power goes at; Infinity: never. */
  cutAt = Number.POSITIVE_INFINITY;
  /** The call (1-based) that fails with `failure` instead of happening. */
  failAt = Number.POSITIVE_INFINITY;
  failure: Failure = { code: 'EIO' };
  /** Whether the power is off (the cut call was reached). */
  dead = false;
  /** Bytes of each file (by inode) as of its last fsync. */
  private readonly syncedBytes = new Map<number, Uint8Array>();
  /** Names of each folder (name → inode) as of its last fsync. */
  private readonly syncedNames = new Map<string, Map<string, number>>();
  /** Writes and truncations of each file (by inode) since its last fsync, in order. */
  private readonly unsynced = new Map<number, ({ at: number; bytes: Uint8Array } | { length: number })[]>();

  /** Counts a changing call; throws if the power is off or this call is the one to fail. */
  private call(kind: CallKind, path: string): void {
    if (this.dead) throw new PowerCut(this.calls.length);
    this.calls.push(kind);
    const n = this.calls.length;
    if (n === this.cutAt) {
      this.dead = true;
      throw new PowerCut(n);
    }
    if (n === this.failAt) throw errnoError(this.failure.code, SYSCALL[kind], path);
  }

  async open(path: string, flags: 'r' | 'r+' | 'wx' | 'wx+'): Promise<StoreFileHandle> {
    if (flags === 'wx' || flags === 'wx+') this.call('create', path);
    // Readable too, so that an fsync can record the file's bytes.
    const handle = await nodeFileSystem.open(path, flags === 'wx' ? 'wx+' : flags);
    return this.wrap(handle, path);
  }

  async link(existing: string, path: string): Promise<void> {
    this.call('link', path);
    await nodeFileSystem.link(existing, path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.call('rename', to);
    await nodeFileSystem.rename(from, to);
  }

  async remove(path: string): Promise<void> {
    this.call('remove', path);
    await nodeFileSystem.remove(path);
  }

  stat(path: string): Promise<{ size: number; ino: number }> {
    return nodeFileSystem.stat(path);
  }

  async syncDir(path: string): Promise<void> {
    this.call('syncDir', path);
    const dir = dirname(path);
    const names = new Map<string, number>();
    for (const name of readdirSync(dir)) names.set(name, statSync(join(dir, name)).ino);
    this.syncedNames.set(dir, names);
  }

  /**
   * Marks everything under `dir` as it is now durable (files written before this file system
   * was in use, e.g. by a previous run).
   */
  syncAll(dir: string): void {
    const names = new Map<string, number>();
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (!st.isFile()) continue;
      names.set(name, st.ino);
      const fd = openSync(p, 'r');
      try {
        this.syncedBytes.set(st.ino, readWhole(fd));
      } finally {
        closeSync(fd);
      }
    }
    this.syncedNames.set(dir, names);
  }

  /**
   * Writes what survives in `dir` to `to`: the synced names, each with its file's synced bytes
   * (empty if the file was never synced). With `keep`, each write or truncation made since the
   * file's last fsync also survives if `keep()` says so, in any combination: the disk may have
   * flushed some of them, in any order, before the power went (which is why a commit must
   * fsync its data before it writes the manifest naming it). Writer locks are left out: they
   * die with the process.
   */
  materialize(dir: string, to: string, keep?: () => boolean): string[] {
    mkdirSync(to, { recursive: true });
    const out: string[] = [];
    for (const [name, ino] of this.syncedNames.get(dir) ?? []) {
      if (name.endsWith('.lock') || name.includes('.lock.')) continue;
      let bytes = this.syncedBytes.get(ino) ?? new Uint8Array(0);
      for (const op of keep ? (this.unsynced.get(ino) ?? []) : []) {
        if (!keep!()) continue;
        if ('length' in op) {
          bytes = grown(bytes, op.length).subarray(0, op.length);
        } else {
          bytes = grown(bytes, op.at + op.bytes.length);
          bytes.set(op.bytes, op.at);
        }
      }
      writeFileSync(join(to, name), bytes);
      out.push(name);
    }
    return out.sort();
  }

  private pending(fd: number): ({ at: number; bytes: Uint8Array } | { length: number })[] {
    const ino = fstatSync(fd).ino;
    let list = this.unsynced.get(ino);
    if (!list) {
      list = [];
      this.unsynced.set(ino, list);
    }
    return list;
  }

  private wrap(handle: StoreFileHandle, path: string): StoreFileHandle {
    const fs = this;
    return {
      fd: handle.fd,
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      stat: () => handle.stat(),
      close: () => handle.close(),
      async write(buffer, offset, length, position) {
        fs.call('write', path);
        fs.pending(handle.fd).push({ at: position, bytes: buffer.slice(offset, offset + length) });
        return handle.write(buffer, offset, length, position);
      },
      async truncate(length) {
        fs.call('truncate', path);
        fs.pending(handle.fd).push({ length });
        await handle.truncate(length);
      },
      async sync() {
        fs.call('sync', path);
        await handle.sync();
        const ino = fstatSync(handle.fd).ino;
        fs.syncedBytes.set(ino, readWhole(handle.fd));
        fs.unsynced.delete(ino);
      },
    };
  }
}

/** A copy of `bytes` at least `length` long (zero-filled beyond its end). */
function grown(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, bytes.length));
  out.set(bytes);
  return out;
}

function readWhole(fd: number): Uint8Array {
  const size = fstatSync(fd).size;
  const bytes = new Uint8Array(size);
  for (let done = 0; done < size; ) done += readSync(fd, bytes, done, size - done, done);
  return bytes;
}
