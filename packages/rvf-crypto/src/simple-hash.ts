/**
 * The reference implementation's "simple_shake256_256".
 *
 * !!! THIS IS NOT A CRYPTOGRAPHIC HASH, AND IT IS NOT SHAKE-256. !!!
 *
 * Despite its name in the reference, it is a 32-byte additive checksum: every input byte
 * is added into one output slot and a rotated copy of that slot into another. It is
 * linear, trivially invertible and collisions can be written by hand (the reference's
 * file ids visibly contain the path bytes they were derived from). It offers no
 * tamper-evidence whatsoever.
 *
 * rvfjs carries it for one reason only: to read, verify and write fields whose values the
 * reference computes with it, so files stay interchangeable in both directions —
 *   - file ids: first 16 bytes of simpleHash(utf8(path) ‖ u64 LE creation time in ns),
 *   - parent hashes in lineage records,
 *   - membership-filter hashes,
 *   - legacy witness links in WITNESS segments written by the reference.
 * Never use it for anything new; use `shake256_256` instead.
 */
import { HASH_SIZE } from '@rvfjs/types';
import { checkBytes } from './bytes.js';

/**
 * Computes the reference's simple (non-cryptographic) 32-byte digest:
 *
 *   for i, b in data:
 *     out[i % 32] += b                                  (mod 256)
 *     out[(i + 13) % 32] += rotl8(out[i % 32], 3)       (mod 256)
 *
 * This runs over 64 KiB file tails, so it is one tight loop: `& 31` replaces `% 32`
 * (both indices are non-negative), and the mod-256 wrap of the second addition comes
 * for free from storing into a Uint8Array.
 */
export function simpleHash(data: Uint8Array): Uint8Array {
  checkBytes(data, 'simpleHash input', 'InvalidChecksum');
  const out = new Uint8Array(HASH_SIZE);
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const k = i & 31;
    const v = (out[k]! + data[i]!) & 0xff;
    out[k] = v;
    const j = (i + 13) & 31;
    out[j] = out[j]! + (((v << 3) | (v >>> 5)) & 0xff);
  }
  return out;
}
