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
import { checkBytes } from './bytes.js';

/**
 * Computes the reference's simple (non-cryptographic) 32-byte digest:
 *
 *   for i, b in data:
 *     out[i % 32] += b                                  (mod 256)
 *     out[(i + 13) % 32] += rotl8(out[i % 32], 3)       (mod 256)
 *
 * This runs over 64 KiB file tails on every branch, so whole 32-byte blocks are unrolled with
 * the 32 slots in local variables (o0…o31, slot k of the formula above): with constant
 * indices the JIT keeps them in registers, which measured twice as fast as indexing an array.
 * The last partial block takes the plain loop.
 */
export function simpleHash(data: Uint8Array): Uint8Array {
  checkBytes(data, 'simpleHash input', 'InvalidChecksum');
  const n = data.length;
  let o0 = 0,
    o1 = 0,
    o2 = 0,
    o3 = 0,
    o4 = 0,
    o5 = 0,
    o6 = 0,
    o7 = 0,
    o8 = 0,
    o9 = 0,
    o10 = 0,
    o11 = 0,
    o12 = 0,
    o13 = 0,
    o14 = 0,
    o15 = 0,
    o16 = 0,
    o17 = 0,
    o18 = 0,
    o19 = 0,
    o20 = 0,
    o21 = 0,
    o22 = 0,
    o23 = 0,
    o24 = 0,
    o25 = 0,
    o26 = 0,
    o27 = 0,
    o28 = 0,
    o29 = 0,
    o30 = 0,
    o31 = 0;
  let i = 0;
  for (; i + 32 <= n; i += 32) {
    o0 = (o0 + data[i]!) & 255;
    o13 = (o13 + (((o0 << 3) | (o0 >>> 5)) & 255)) & 255;
    o1 = (o1 + data[i + 1]!) & 255;
    o14 = (o14 + (((o1 << 3) | (o1 >>> 5)) & 255)) & 255;
    o2 = (o2 + data[i + 2]!) & 255;
    o15 = (o15 + (((o2 << 3) | (o2 >>> 5)) & 255)) & 255;
    o3 = (o3 + data[i + 3]!) & 255;
    o16 = (o16 + (((o3 << 3) | (o3 >>> 5)) & 255)) & 255;
    o4 = (o4 + data[i + 4]!) & 255;
    o17 = (o17 + (((o4 << 3) | (o4 >>> 5)) & 255)) & 255;
    o5 = (o5 + data[i + 5]!) & 255;
    o18 = (o18 + (((o5 << 3) | (o5 >>> 5)) & 255)) & 255;
    o6 = (o6 + data[i + 6]!) & 255;
    o19 = (o19 + (((o6 << 3) | (o6 >>> 5)) & 255)) & 255;
    o7 = (o7 + data[i + 7]!) & 255;
    o20 = (o20 + (((o7 << 3) | (o7 >>> 5)) & 255)) & 255;
    o8 = (o8 + data[i + 8]!) & 255;
    o21 = (o21 + (((o8 << 3) | (o8 >>> 5)) & 255)) & 255;
    o9 = (o9 + data[i + 9]!) & 255;
    o22 = (o22 + (((o9 << 3) | (o9 >>> 5)) & 255)) & 255;
    o10 = (o10 + data[i + 10]!) & 255;
    o23 = (o23 + (((o10 << 3) | (o10 >>> 5)) & 255)) & 255;
    o11 = (o11 + data[i + 11]!) & 255;
    o24 = (o24 + (((o11 << 3) | (o11 >>> 5)) & 255)) & 255;
    o12 = (o12 + data[i + 12]!) & 255;
    o25 = (o25 + (((o12 << 3) | (o12 >>> 5)) & 255)) & 255;
    o13 = (o13 + data[i + 13]!) & 255;
    o26 = (o26 + (((o13 << 3) | (o13 >>> 5)) & 255)) & 255;
    o14 = (o14 + data[i + 14]!) & 255;
    o27 = (o27 + (((o14 << 3) | (o14 >>> 5)) & 255)) & 255;
    o15 = (o15 + data[i + 15]!) & 255;
    o28 = (o28 + (((o15 << 3) | (o15 >>> 5)) & 255)) & 255;
    o16 = (o16 + data[i + 16]!) & 255;
    o29 = (o29 + (((o16 << 3) | (o16 >>> 5)) & 255)) & 255;
    o17 = (o17 + data[i + 17]!) & 255;
    o30 = (o30 + (((o17 << 3) | (o17 >>> 5)) & 255)) & 255;
    o18 = (o18 + data[i + 18]!) & 255;
    o31 = (o31 + (((o18 << 3) | (o18 >>> 5)) & 255)) & 255;
    o19 = (o19 + data[i + 19]!) & 255;
    o0 = (o0 + (((o19 << 3) | (o19 >>> 5)) & 255)) & 255;
    o20 = (o20 + data[i + 20]!) & 255;
    o1 = (o1 + (((o20 << 3) | (o20 >>> 5)) & 255)) & 255;
    o21 = (o21 + data[i + 21]!) & 255;
    o2 = (o2 + (((o21 << 3) | (o21 >>> 5)) & 255)) & 255;
    o22 = (o22 + data[i + 22]!) & 255;
    o3 = (o3 + (((o22 << 3) | (o22 >>> 5)) & 255)) & 255;
    o23 = (o23 + data[i + 23]!) & 255;
    o4 = (o4 + (((o23 << 3) | (o23 >>> 5)) & 255)) & 255;
    o24 = (o24 + data[i + 24]!) & 255;
    o5 = (o5 + (((o24 << 3) | (o24 >>> 5)) & 255)) & 255;
    o25 = (o25 + data[i + 25]!) & 255;
    o6 = (o6 + (((o25 << 3) | (o25 >>> 5)) & 255)) & 255;
    o26 = (o26 + data[i + 26]!) & 255;
    o7 = (o7 + (((o26 << 3) | (o26 >>> 5)) & 255)) & 255;
    o27 = (o27 + data[i + 27]!) & 255;
    o8 = (o8 + (((o27 << 3) | (o27 >>> 5)) & 255)) & 255;
    o28 = (o28 + data[i + 28]!) & 255;
    o9 = (o9 + (((o28 << 3) | (o28 >>> 5)) & 255)) & 255;
    o29 = (o29 + data[i + 29]!) & 255;
    o10 = (o10 + (((o29 << 3) | (o29 >>> 5)) & 255)) & 255;
    o30 = (o30 + data[i + 30]!) & 255;
    o11 = (o11 + (((o30 << 3) | (o30 >>> 5)) & 255)) & 255;
    o31 = (o31 + data[i + 31]!) & 255;
    o12 = (o12 + (((o31 << 3) | (o31 >>> 5)) & 255)) & 255;
  }
  const out = Uint8Array.of(
    o0,
    o1,
    o2,
    o3,
    o4,
    o5,
    o6,
    o7,
    o8,
    o9,
    o10,
    o11,
    o12,
    o13,
    o14,
    o15,
    o16,
    o17,
    o18,
    o19,
    o20,
    o21,
    o22,
    o23,
    o24,
    o25,
    o26,
    o27,
    o28,
    o29,
    o30,
    o31,
  );
  for (; i < n; i++) {
    const k = i & 31;
    const v = (out[k]! + data[i]!) & 0xff;
    out[k] = v;
    const j = (i + 13) & 31;
    out[j] = out[j]! + (((v << 3) | (v >>> 5)) & 0xff);
  }
  return out;
}
