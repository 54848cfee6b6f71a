import { rvfError, VEC_HEADER_SIZE, vecRecordSize } from '@rvfjs/types';
import { ByteReader } from './byte-reader.js';

/** One VEC_SEG's records: ids in record order, vectors flat (count × dimension). */
export interface VecBlock {
  dimension: number;
  ids: BigUint64Array;
  vectors: Float32Array;
}

/** A decoded VEC payload; `keys` gives ids as numbers (NaN beyond 2^53) without BigInt work. */
export interface DecodedVecBlock extends VecBlock {
  keys: Float64Array;
}

/**
 * VEC_SEG payload (spec §5): dimension u16 | count u32 | count × (id u64, dim × f32).
 * Records are unaligned, so floats are copied byte-wise, which also keeps every bit
 * pattern (-0.0, NaN payloads) exactly as stored.
 */
export function decodeVecPayload(payload: Uint8Array, fileOffset = 0): DecodedVecBlock {
  const r = new ByteReader(payload, 'VEC payload', fileOffset, 'InvalidChecksum');
  const dimension = r.u16('dimension');
  const count = r.u32('vector_count');
  const stride = vecRecordSize(dimension);
  if (count * stride !== r.remaining) {
    throw r.fail(
      `${count} records of dimension ${dimension} need ${count * stride} bytes, payload has ${r.remaining}`,
    );
  }
  const keys = new Float64Array(count);
  const vectors = new Float32Array(count * dimension);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let i = 0, at = VEC_HEADER_SIZE; i < count; i++, at += stride) {
    const hi = view.getUint32(at + 4, true);
    keys[i] = hi < 0x200000 ? hi * 0x100000000 + view.getUint32(at, true) : Number.NaN;
  }
  // Every record's floats start 14 bytes (mod 4: 2) into the payload plus a whole number of
  // 4-byte strides. With the payload placed at byteOffset ≡ 2 (mod 4) they are all aligned,
  // so one Float32Array view and a stride loop copy them without an object per record.
  // The words are copied as integers: a float round trip through a JS number may quiet a
  // NaN's payload, and the file's bit patterns must survive exactly.
  const aligned = payload.byteOffset % 4 === 2 ? payload : alignedCopy(payload);
  const src = new Uint32Array(aligned.buffer, aligned.byteOffset + 2, (aligned.length - 2) >>> 2);
  const dst = new Uint32Array(vectors.buffer);
  const strideWords = stride / 4;
  for (let i = 0, from = (VEC_HEADER_SIZE + 8 - 2) / 4, to = 0; i < count; i++, from += strideWords) {
    for (let d = 0; d < dimension; d++) dst[to++] = src[from + d]!;
  }
  // The bigint ids are built only if someone asks (most ids are safe integers).
  let ids: BigUint64Array | undefined;
  return {
    dimension,
    vectors,
    keys,
    get ids() {
      if (!ids) {
        ids = new BigUint64Array(count);
        for (let i = 0, at = VEC_HEADER_SIZE; i < count; i++, at += stride)
          ids[i] = view.getBigUint64(at, true);
      }
      return ids;
    },
  };
}

/** A copy of `payload` placed at byteOffset 2 of a fresh buffer (see decodeVecPayload). */
function alignedCopy(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(payload.length + 2), 2, payload.length);
  out.set(payload);
  return out;
}

export function encodeVecPayload(block: VecBlock): Uint8Array {
  const { dimension, ids, vectors } = block;
  const count = ids.length;
  if (vectors.length !== count * dimension) {
    throw rvfError(
      'DimensionMismatch',
      `${vectors.length} floats for ${count} vectors of dimension ${dimension}`,
    );
  }
  const stride = vecRecordSize(dimension);
  const out = new Uint8Array(VEC_HEADER_SIZE + count * stride);
  const view = new DataView(out.buffer);
  view.setUint16(0, dimension, true);
  view.setUint32(2, count, true);
  const vecBytes = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  const rowBytes = 4 * dimension;
  for (let i = 0, at = VEC_HEADER_SIZE; i < count; i++, at += stride) {
    view.setBigUint64(at, ids[i]!, true);
    out.set(vecBytes.subarray(i * rowBytes, (i + 1) * rowBytes), at + 8);
  }
  return out;
}
