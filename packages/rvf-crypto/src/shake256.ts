/**
 * SHAKE-256 (FIPS 202), the hash the RVF format uses for content hashes and witness links.
 * A thin wrapper over @noble/hashes that turns bad input into RvfErrors.
 */
import { shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import { HASH_SIZE, rvfError } from '@rvfjs/types';
import { checkBytes } from './bytes.js';

/**
 * The largest output `shake256` will produce. SHAKE is an XOF and could go on forever,
 * but any request beyond 1 GiB is a bug in the caller, and failing here gives an RvfError
 * instead of an allocation RangeError.
 */
export const MAX_SHAKE256_OUTPUT = 1 << 30;

/** SHAKE-256 of `data`, squeezed to `outLen` bytes (1..MAX_SHAKE256_OUTPUT). */
export function shake256(data: Uint8Array, outLen: number): Uint8Array {
  checkBytes(data, 'shake256 input', 'InvalidChecksum');
  if (typeof outLen !== 'number' || !Number.isInteger(outLen) || outLen < 1 || outLen > MAX_SHAKE256_OUTPUT) {
    throw rvfError(
      'InvalidChecksum',
      `shake256 output length must be an integer in 1..${MAX_SHAKE256_OUTPUT}, got ${String(outLen)}`,
    );
  }
  return nobleShake256(data, { dkLen: outLen });
}

/** SHAKE-256 with a 32-byte (256-bit) output: the digest RVF stores in its hash fields. */
export function shake256_256(data: Uint8Array): Uint8Array {
  return shake256(data, HASH_SIZE);
}
