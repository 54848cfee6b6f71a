import { randomBytes } from 'node:crypto';
import { promises as fs, linkSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import {
  LOCK_STALE_OTHER_HOST_NS,
  LOCK_STALE_SAME_HOST_NS,
  LOCK_VERSION,
  type LockRecord,
  RvfError,
  rvfError,
} from '@rvfjs/types';
import { crc32, decodeLockRecord, encodeLockRecord } from '@rvfjs/wire';
import { ioError } from './file-io.js';
import { nodeFileSystem } from './local-file-system.js';

/** How the reference names the host: $HOSTNAME, else /etc/hostname. */
function hostName(): string {
  if (process.env.HOSTNAME) return process.env.HOSTNAME;
  // Read once per process: every open, create and branch takes a lock.
  fileHostName ??= readHostFile();
  return fileHostName;
}

let fileHostName: string | undefined;

function readHostFile(): string {
  try {
    return readFileSync('/etc/hostname', 'utf8').trim() || osHostname();
  } catch {
    return osHostname();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Options of the writer lock: when a lock left by a writer that is gone counts as stale. */
export interface LockOptions {
  /** Override the reference's 30 s grace for a dead same-host writer (tests, operators). */
  staleSameHostMs?: number;
}

export interface WriterLock {
  readonly path: string;
  readonly writerId: Uint8Array;
  release(): Promise<void>;
}

/**
 * Takes `<path>.lock` the way the reference does (spec §15), so rvfjs and reference
 * writers exclude each other: O_EXCL create of a 104-byte record; an existing lock is
 * broken only when stale by the reference's rules, otherwise LockHeld names the holder.
 */
export async function acquireWriterLock(path: string, options: LockOptions = {}): Promise<WriterLock> {
  try {
    return await takeLock(path, options);
  } catch (e) {
    // A missing folder, a read-only file system, no permission: the OS's error, coded.
    throw RvfError.is(e) ? e : ioError(e, `cannot take the writer lock ${path}.lock`);
  }
}

async function takeLock(path: string, options: LockOptions): Promise<WriterLock> {
  const lockPath = `${path}.lock`;
  const writerId = new Uint8Array(randomBytes(16));
  const host = hostName();
  const record: LockRecord = {
    pid: process.pid,
    hostname: host,
    timestampNs: BigInt(Date.now()) * 1_000_000n,
    writerId,
    version: LOCK_VERSION,
  };
  const bytes = encodeLockRecord(record);
  const tag = Buffer.from(writerId).toString('hex');
  const deadline = Date.now() + RACE_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
    // The lock appears whole or not at all: written under a private name, then hard-linked
    // into place (link fails if the lock exists). A half-written lock would look stale.
    // Creating, linking and removing change only the kernel's caches: inline (see nodeFileSystem).
    const tmp = `${lockPath}.${tag}.tmp`;
    writeLockRecord(tmp, bytes);
    try {
      linkSync(tmp, lockPath);
      return { path: lockPath, writerId, release: () => releaseLock(lockPath, writerId) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await nodeFileSystem.remove(tmp);
    }
    const existing = await fs.readFile(lockPath).catch(() => undefined);
    if (existing === undefined) continue; // released meanwhile: retry
    const decoded = decodeLockRecord(new Uint8Array(existing));
    const fileMissing = await fs.stat(path).then(
      () => false,
      () => true,
    );
    if (decoded.ok && !isStale(decoded.record, host, options, fileMissing)) {
      const r = decoded.record;
      throw rvfError('LockHeld', `${path} is locked by pid ${r.pid} on host '${r.hostname}' (${lockPath})`, {
        pid: r.pid,
        host: r.hostname,
        lockPath,
      });
    }
    await breakStaleLock(lockPath, new Uint8Array(existing));
  }
  throw rvfError('LockHeld', `could not take ${lockPath}: other writers keep racing for it`);
}

/**
 * Removes a lock judged stale only if it is still that same lock (compare-and-delete). The
 * breaker first hard-links the lock to a name derived from the stale record's content, which
 * only one process can do; it then checks the linked file still holds the stale record.
 * Another process that judged the same record stale fails the link and retries, and a
 * process that read the stale record long ago finds a fresh lock under the name and backs off.
 */
async function breakStaleLock(lockPath: string, stale: Uint8Array): Promise<void> {
  const breaker = `${lockPath}.stale-${crc32(stale).toString(16)}-${stale.length}`;
  try {
    await fs.link(lockPath, breaker);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // A breaker that died mid-way leaves its link; after a grace period it is abandoned.
      const st = await fs.stat(breaker).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > BREAKER_GRACE_MS) await fs.rm(breaker, { force: true });
    }
    return; // ENOENT: the lock is gone already
  }
  try {
    const linked = await fs.readFile(breaker);
    if (Buffer.compare(linked, Buffer.from(stale)) === 0) await fs.rm(lockPath, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

/** A breaker takes milliseconds; a link older than this was left by one that died. */
const BREAKER_GRACE_MS = 2_000;
/** How long acquiring keeps retrying while other writers race for the same lock. */
const RACE_BUDGET_MS = 5_000;

/**
 * Writes a lock record (under its private name, before the link that publishes it). No fsync:
 * a lock only has to outlive its writer's process, not the machine. After a power cut every
 * writer is gone, and a lock whose bytes did not reach the disk decodes as damaged, which
 * counts as stale; an fsync here would cost every writer's open, create and branch a disk
 * round trip for nothing.
 */
function writeLockRecord(path: string, bytes: Uint8Array): void {
  writeFileSync(path, bytes, { mode: 0o644 });
}

function isStale(r: LockRecord, host: string, options: LockOptions, fileMissing: boolean): boolean {
  const ageNs = BigInt(Date.now()) * 1_000_000n - r.timestampNs;
  if (r.hostname === host) {
    if (r.pid === process.pid) return false; // another handle in this very process
    const grace =
      options.staleSameHostMs !== undefined
        ? BigInt(options.staleSameHostMs) * 1_000_000n
        : LOCK_STALE_SAME_HOST_NS;
    // A dead creator's lock over a file that never appeared protects nothing: break it at once.
    return !pidAlive(r.pid) && (fileMissing || ageNs > grace);
  }
  return ageNs > LOCK_STALE_OTHER_HOST_NS;
}

async function releaseLock(lockPath: string, writerId: Uint8Array): Promise<void> {
  let existing: Buffer;
  try {
    existing = readFileSync(lockPath);
  } catch {
    return;
  }
  const decoded = decodeLockRecord(new Uint8Array(existing));
  // Remove it only if it is still ours (a stale-breaker may have replaced it).
  if (decoded.ok && Buffer.compare(Buffer.from(decoded.record.writerId), Buffer.from(writerId)) === 0) {
    await nodeFileSystem.remove(lockPath);
  }
}
