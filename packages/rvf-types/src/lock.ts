/** The writer lock file `<path>.lock` (spec §15). */
export const LOCK_MAGIC = 0x52564c46; // bytes 46 4C 56 52
/** Size of the lock file, in bytes. */
export const LOCK_FILE_SIZE = 104;
/** The lock file format version written and accepted. */
export const LOCK_VERSION = 1;
/** Size of the lock file's hostname field, in bytes. */
export const LOCK_HOSTNAME_FIELD_SIZE = 64;
/** Longest hostname stored, in UTF-8 bytes (the field keeps room for a terminator). */
export const LOCK_HOSTNAME_MAX_BYTES = 62;
/** Same-host lock whose pid is dead is stale once older than this. */
export const LOCK_STALE_SAME_HOST_NS = 30_000_000_000n;
/** Other-host lock is stale once older than this. */
export const LOCK_STALE_OTHER_HOST_NS = 300_000_000_000n;

/** The contents of a writer lock file: who holds the lock, where, and since when. */
export interface LockRecord {
  pid: number;
  hostname: string;
  timestampNs: bigint;
  /** 16 random bytes. */
  writerId: Uint8Array;
  version: number;
}
