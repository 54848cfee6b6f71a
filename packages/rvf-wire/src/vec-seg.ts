import { rvfError, VEC_HEADER_SIZE, vecRecordSize } from '@rvfjs/types';
import { ByteReader } from './byte-reader.js';

/** One VEC_SEG's records: ids in record order, vectors flat (count × dimension). */
export interface VecBlock {
  dimension: number;
  ids: BigUint64Array;
  vectors: Float32Array;
}

/**
 * VEC_SEG payload (spec §5): dimension u16 | count u32 | count × (id u64, dim × f32).
 * Records are unaligned, so floats are copied byte-wise, which also keeps every bit
 * pattern (-0.0, NaN payloads) exactly as stored.
 */
export function decodeVecPayload(payload: Uint8Array, fileOffset = 0): VecBlock {
  const r = new ByteReader(payload, 'VEC payload', fileOffset, 'InvalidChecksum');
  const dimension = r.u16('dimension');
  const count = r.u32('vector_count');
  const stride = vecRecordSize(dimension);
  if (count * stride !== r.remaining) {
    throw r.fail(
      `${count} records of dimension ${dimension} need ${count * stride} bytes, payload has ${r.remaining}`,
    );
  }
  const ids = new BigUint64Array(count);
  const vectors = new Float32Array(count * dimension);
  const vecBytes = new Uint8Array(vectors.buffer);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const rowBytes = 4 * dimension;
  for (let i = 0, at = VEC_HEADER_SIZE; i < count; i++, at += stride) {
    ids[i] = view.getBigUint64(at, true);
    vecBytes.set(payload.subarray(at + 8, at + 8 + rowBytes), i * rowBytes);
  }
  return { dimension, ids, vectors };
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
