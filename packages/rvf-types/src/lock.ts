/** The writer lock file `<path>.lock` (spec §15). */
export const LOCK_MAGIC = 0x52564c46; // bytes 46 4C 56 52
export const LOCK_FILE_SIZE = 104;
export const LOCK_VERSION = 1;
export const LOCK_HOSTNAME_FIELD_SIZE = 64;
export const LOCK_HOSTNAME_MAX_BYTES = 62;
/** Same-host lock whose pid is dead is stale once older than this. */
export const LOCK_STALE_SAME_HOST_NS = 30_000_000_000n;
/** Other-host lock is stale once older than this. */
export const LOCK_STALE_OTHER_HOST_NS = 300_000_000_000n;

export interface LockRecord {
  pid: number;
  hostname: string;
  timestampNs: bigint;
  /** 16 random bytes. */
  writerId: Uint8Array;
  version: number;
}
