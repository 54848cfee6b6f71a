import { randomBytes } from 'node:crypto';
import { constants, promises as fs, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import {
  LOCK_STALE_OTHER_HOST_NS,
  LOCK_STALE_SAME_HOST_NS,
  LOCK_VERSION,
  type LockRecord,
  rvfError,
} from '@rvfjs/types';
import { decodeLockRecord, encodeLockRecord } from '@rvfjs/wire';

/** How the reference names the host: $HOSTNAME, else /etc/hostname. */
function hostName(): string {
  if (process.env.HOSTNAME) return process.env.HOSTNAME;
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
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fs.open(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return { path: lockPath, writerId, release: () => releaseLock(lockPath, writerId) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const existing = await fs.readFile(lockPath).catch(() => undefined);
    if (existing === undefined) continue; // released between our open and read: retry
    const decoded = decodeLockRecord(new Uint8Array(existing));
    if (decoded.ok && !isStale(decoded.record, host, options)) {
      const r = decoded.record;
      throw rvfError('LockHeld', `${path} is locked by pid ${r.pid} on host '${r.hostname}' (${lockPath})`, {
        pid: r.pid,
        host: r.hostname,
        lockPath,
      });
    }
    await fs.rm(lockPath, { force: true });
  }
  throw rvfError('LockHeld', `could not take ${lockPath}: another writer keeps racing for it`);
}

function isStale(r: LockRecord, host: string, options: LockOptions): boolean {
  const ageNs = BigInt(Date.now()) * 1_000_000n - r.timestampNs;
  if (r.hostname === host) {
    if (r.pid === process.pid) return false; // another handle in this very process
    const grace =
      options.staleSameHostMs !== undefined
        ? BigInt(options.staleSameHostMs) * 1_000_000n
        : LOCK_STALE_SAME_HOST_NS;
    return !pidAlive(r.pid) && ageNs > grace;
  }
  return ageNs > LOCK_STALE_OTHER_HOST_NS;
}

async function releaseLock(lockPath: string, writerId: Uint8Array): Promise<void> {
  const existing = await fs.readFile(lockPath).catch(() => undefined);
  if (!existing) return;
  const decoded = decodeLockRecord(new Uint8Array(existing));
  // Remove it only if it is still ours (a stale-breaker may have replaced it).
  if (decoded.ok && Buffer.compare(Buffer.from(decoded.record.writerId), Buffer.from(writerId)) === 0) {
    await fs.rm(lockPath, { force: true });
  }
}
