import { MEMBERSHIP_HEADER_SIZE, MEMBERSHIP_MAGIC, type Membership } from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';

/**
 * MEMBERSHIP_SEG payload (spec §11.3): a 96-byte header and a dense bitmap of u64 words.
 * The filter hash is carried as stored; computing simple_hash is the caller's business
 * (rvf-crypto), which keeps this package free of hashing policy.
 */
export function decodeMembershipPayload(payload: Uint8Array, fileOffset = 0): Membership {
  const r = new ByteReader(payload, 'MEMBERSHIP payload', fileOffset, 'MembershipInvalid');
  const magic = r.u32('magic');
  if (magic !== MEMBERSHIP_MAGIC) throw r.fail(`bad magic 0x${magic.toString(16)}`);
  const version = r.u16();
  const filterType = r.u8();
  const filterMode = r.u8();
  const vectorCount = r.u64();
  const memberCount = r.u64();
  const filterOffset = r.u64();
  const filterSize = r.u32();
  const generationId = r.u32();
  const filterHash = r.bytesCopy(32, 'filter_hash');
  const bloomOffset = r.u64();
  const bloomSize = r.u32();
  r.skip(12, 'reserved');
  if (filterOffset !== BigInt(MEMBERSHIP_HEADER_SIZE))
    throw r.fail(`filter_offset ${filterOffset} is not 96`);
  if (BigInt(filterSize) !== 8n * ((vectorCount + 63n) / 64n)) {
    throw r.fail(`filter_size ${filterSize} does not fit vector_count ${vectorCount}`);
  }
  const bitmap = r.bytesCopy(filterSize, 'bitmap');
  if (r.remaining !== 0) throw r.fail(`${r.remaining} unexpected trailing bytes`);
  return {
    version,
    filterType,
    filterMode,
    vectorCount,
    memberCount,
    filterOffset,
    generationId,
    filterHash,
    bloomOffset,
    bloomSize,
    bitmap,
  };
}

/** Encodes a MEMBERSHIP payload (header and bitmap). */
export function encodeMembershipPayload(m: Membership): Uint8Array {
  const w = new ByteWriter(MEMBERSHIP_HEADER_SIZE + m.bitmap.length);
  w.u32(MEMBERSHIP_MAGIC).u16(m.version).u8(m.filterType).u8(m.filterMode);
  w.u64(m.vectorCount).u64(m.memberCount).u64(MEMBERSHIP_HEADER_SIZE).u32(m.bitmap.length);
  w.u32(m.generationId).bytes_(m.filterHash).u64(m.bloomOffset).u32(m.bloomSize).zeros(12);
  w.bytes_(m.bitmap);
  return w.finish();
}

/** Bitmap bytes for a capacity of `vectorCount` ids (whole u64 words). */
export function emptyBitmap(vectorCount: bigint | number): Uint8Array {
  return new Uint8Array(Number(8n * ((BigInt(vectorCount) + 63n) / 64n)));
}

/** True when the bit of `id` is set; ids past the bitmap's capacity are not members. */
export function bitmapHas(bitmap: Uint8Array, id: bigint | number): boolean {
  if (typeof id === 'number') {
    // The common case, without BigInt work: this runs per candidate in a branch's queries.
    if (!Number.isInteger(id) || id < 0 || id >= bitmap.length * 8) return false;
    return ((bitmap[Math.floor(id / 8)]! >> (id % 8)) & 1) === 1;
  }
  const n = id;
  const byte = n >> 3n;
  if (n < 0n || byte >= BigInt(bitmap.length)) return false;
  return ((bitmap[Number(byte)]! >> Number(n & 7n)) & 1) === 1;
}

/** Sets or clears the bit of `id`; ids outside the bitmap are ignored. */
export function bitmapSet(bitmap: Uint8Array, id: number, on: boolean): void {
  // Ids outside the bitmap are never members; `id >>> 3` would wrap them modulo 2^32.
  if (!Number.isInteger(id) || id < 0 || id >= bitmap.length * 8) return;
  const byte = Math.floor(id / 8);
  if (on) bitmap[byte]! |= 1 << (id % 8);
  else bitmap[byte]! &= ~(1 << (id % 8));
}

/** Set bits per byte value: counting a bitmap is then one lookup per byte, not per member. */
const BYTE_BITS = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let b = v; b; b &= b - 1) n++;
  return n;
});

/**
 * The number of set bits in `bitmap`. Whole 32-bit words are counted at once (a branch counts
 * its parent's members on a cold path, where V8 may still interpret this loop: a quarter of
 * the iterations is a quarter of the time); the bytes before the first aligned word and after
 * the last go through the table.
 */
export function bitmapCount(bitmap: Uint8Array): number {
  const { length, byteOffset } = bitmap;
  let n = 0;
  let i = 0;
  const head = Math.min(length, (4 - (byteOffset & 3)) & 3);
  for (; i < head; i++) n += BYTE_BITS[bitmap[i]!]!;
  const words = (length - i) >>> 2;
  if (words > 0) {
    const w32 = new Uint32Array(bitmap.buffer, byteOffset + i, words);
    for (let w = 0; w < words; w++) {
      // Bits per pair, per nibble, per byte; then the four byte counts summed into the top byte.
      let v = w32[w]!;
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    i += words * 4;
  }
  for (; i < length; i++) n += BYTE_BITS[bitmap[i]!]!;
  return n;
}
