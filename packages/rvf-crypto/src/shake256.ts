/**
 * SHAKE-256 (FIPS 202), the hash the RVF format uses for content hashes and witness links.
 * A thin wrapper that turns bad input into RvfErrors, over Node's native SHAKE-256 (OpenSSL)
 * where it exists and @noble/hashes elsewhere. Both are FIPS 202 and give the same bytes; the
 * native one is used because these hashes run on cold paths (a branch pins its parent's
 * manifest by digest), where V8 may have dropped noble's compiled Keccak and would interpret it.
 */
import { shake256 as nobleShake256 } from '@noble/hashes/sha3.js';
import { HASH_SIZE, nodeBuiltin, rvfError } from '@rvfjs/types';
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
  const native = nativeShake256();
  return native ? native(data, outLen) : nobleShake256(data, { dkLen: outLen });
}

type Shake256 = (data: Uint8Array, outLen: number) => Uint8Array;

interface NodeCrypto {
  createHash(
    algorithm: string,
    options: { outputLength: number },
  ): { update(data: Uint8Array): { digest(): Uint8Array } };
}

/** undefined: not looked for yet; null: none here (or it failed the test vector). */
let native: Shake256 | null | undefined;

function nativeShake256(): Shake256 | undefined {
  if (native === undefined) {
    native = null;
    const host = nodeBuiltin<NodeCrypto>('node:crypto');
    if (host && typeof host.createHash === 'function') {
      // A copy: the digest is a Buffer, and this package hands out plain Uint8Arrays.
      const candidate: Shake256 = (data, outLen) =>
        new Uint8Array(host.createHash('shake256', { outputLength: outLen }).update(data).digest());
      try {
        if (toHex(candidate(new Uint8Array(0), HASH_SIZE)) === SHAKE256_EMPTY_256) native = candidate;
      } catch {
        // An OpenSSL without SHAKE-256 (or one that refuses it): noble serves.
      }
    }
  }
  return native ?? undefined;
}

/** FIPS 202's SHAKE-256 of the empty message, 256 bits out. */
const SHAKE256_EMPTY_256 = '46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f';

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** SHAKE-256 with a 32-byte (256-bit) output: the digest RVF stores in its hash fields. */
export function shake256_256(data: Uint8Array): Uint8Array {
  return shake256(data, HASH_SIZE);
}
