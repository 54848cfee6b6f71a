import { basename, dirname, relative, resolve } from 'node:path';
import { simpleHash } from '@rvfjs/crypto/hashes';

/** Wall-clock nanoseconds; the store takes a clock option so tests can pin it. */
export const wallClockNs = (): bigint =>
  BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);

/**
 * file_id as the reference makes it (spec §7.2): the first 16 bytes of
 * simple_hash(UTF-8 path as passed ‖ u64 LE nanoseconds). Opaque to readers.
 */
export function makeFileId(path: string, nowNs: bigint): Uint8Array {
  const p = new TextEncoder().encode(path);
  const input = new Uint8Array(p.length + 8);
  input.set(p);
  new DataView(input.buffer).setBigUint64(p.length, BigInt.asUintN(64, nowNs), true);
  return simpleHash(input).slice(0, 16);
}

/** parent_hash (spec §7.2): simple_hash of the parent's last min(65536, size) bytes. */
export function tailHash(bytes: Uint8Array): Uint8Array {
  return simpleHash(bytes.subarray(Math.max(0, bytes.length - 65536)));
}

/** The parent path as the reference stores it: relative to the child file's folder. */
export function relativeParentPath(childPath: string, parentPath: string): string {
  const rel = relative(dirname(resolve(childPath)), resolve(parentPath));
  return rel === '' ? basename(parentPath) : rel;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
