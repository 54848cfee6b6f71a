import { CONTENT_HASH_SIZE } from '@rvfjs/types';
import { crc32 } from './crc32.js';

/**
 * The 16-byte content hash the reference writes with checksum_algo 0 (spec §2.1): the
 * payload's CRC32 in four lanes, lane i rotated left by 8·i bits. An empty payload hashes
 * to all zeros, which readers treat as "not set".
 */
export function contentHash(payload: Uint8Array): Uint8Array {
  return contentHashFromCrc(crc32(payload));
}

/** The content hash of a payload whose CRC32 is `c` (for payloads hashed in pieces). */
export function contentHashFromCrc(c: number): Uint8Array {
  const out = new Uint8Array(CONTENT_HASH_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) {
    const r = 8 * i;
    view.setUint32(4 * i, r === 0 ? c : ((c << r) | (c >>> (32 - r))) >>> 0, true);
  }
  return out;
}

/** True when every byte of `hash` is zero (a hash field left unset). */
export function isZeroHash(hash: Uint8Array): boolean {
  for (let i = 0; i < hash.length; i++) if (hash[i] !== 0) return false;
  return true;
}

/** The result of checking a stored content hash: unset (all zero), ok, or mismatch. */
export type HashCheck = 'unset' | 'ok' | 'mismatch';

/** Compares a stored content hash with the payload; all-zero means unchecked. */
export function checkContentHash(stored: Uint8Array, payload: Uint8Array): HashCheck {
  if (isZeroHash(stored)) return 'unset';
  return checkContentHashCrc(stored, crc32(payload));
}

/** checkContentHash for a payload whose CRC32 was computed in pieces. */
export function checkContentHashCrc(stored: Uint8Array, crc: number): HashCheck {
  if (isZeroHash(stored)) return 'unset';
  const actual = contentHashFromCrc(crc);
  for (let i = 0; i < CONTENT_HASH_SIZE; i++) if (stored[i] !== actual[i]) return 'mismatch';
  return 'ok';
}
