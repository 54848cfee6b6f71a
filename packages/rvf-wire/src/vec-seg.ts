import { rvfError, VEC_HEADER_SIZE, vecRecordSize } from '@rvfjs/types';
import { ByteReader } from './byte-reader.js';

/** One VEC_SEG's records: ids in record order, vectors flat (count × dimension). */
export interface VecBlock {
  dimension: number;
  ids: BigUint64Array;
  vectors: Float32Array;
}

/**
 * A decoded VEC payload. `keys` gives ids as numbers (NaN beyond 2^53) without BigInt work.
 * `ids` and `vectors` are built on first read; a loader that has its own destination calls
 * `copyVectors` instead and never materialises a second copy of the floats.
 */
export interface DecodedVecBlock extends VecBlock {
  count: number;
  keys: Float64Array;
  /**
   * Copies records `first .. first + count - 1` into `dst`, starting at float index `at`.
   * Bytes are copied as stored, so every bit pattern (-0.0, NaN payloads) survives.
   */
  copyVectors(dst: Float32Array, at: number, first?: number, count?: number): void;
}

/**
 * VEC_SEG payload (spec §5): dimension u16 | count u32 | count × (id u64, dim × f32).
 * Records are unaligned (a record's floats start 14 bytes in, plus whole strides). Decoding
 * validates the layout and reads the ids as numbers; the floats are only touched when asked for.
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
  return vecRecords(payload, VEC_HEADER_SIZE, count, dimension);
}

/**
 * `count` VEC records of `dimension` starting at byte `at` of `bytes` (a whole payload, or
 * a run of records read in pieces), decoded as a DecodedVecBlock.
 */
export function vecRecords(bytes: Uint8Array, at: number, count: number, dimension: number): DecodedVecBlock {
  const stride = vecRecordSize(dimension);
  if (at + count * stride > bytes.length)
    throw rvfError('TruncatedSegment', `${count} VEC records need ${count * stride} bytes at ${at}`);
  const keys = new Float64Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0, o = at; i < count; i++, o += stride) {
    const hi = view.getUint32(o + 4, true);
    keys[i] = hi < 0x200000 ? hi * 0x100000000 + view.getUint32(o, true) : Number.NaN;
  }
  const copyVectors = (dst: Float32Array, to: number, first = 0, n = count - first): void => {
    if (first < 0 || n < 0 || first + n > count || to < 0 || to + n * dimension > dst.length) {
      throw rvfError('DimensionMismatch', `cannot copy records ${first}..${first + n} of ${count} there`);
    }
    copyRecordFloats(bytes, at, dimension, first, n, dst, to);
  };
  let ids: BigUint64Array | undefined;
  let vectors: Float32Array | undefined;
  return {
    dimension,
    count,
    keys,
    copyVectors,
    get ids() {
      if (!ids) {
        ids = new BigUint64Array(count);
        for (let i = 0, o = at; i < count; i++, o += stride) ids[i] = view.getBigUint64(o, true);
      }
      return ids;
    },
    get vectors() {
      if (!vectors) {
        vectors = new Float32Array(count * dimension);
        copyVectors(vectors, 0);
      }
      return vectors;
    },
  };
}

/**
 * The float bytes of records `first .. first + n - 1`, one native copy per record: byte
 * copies keep every bit pattern (a float round trip through a JS number may quiet a NaN's
 * payload) and need no alignment, and measured faster than a word loop over aligned views.
 */
function copyRecordFloats(
  bytes: Uint8Array,
  start: number,
  dimension: number,
  first: number,
  n: number,
  dst: Float32Array,
  to: number,
): void {
  const stride = vecRecordSize(dimension);
  const rowBytes = dimension * 4;
  const at = bytes.byteOffset + start + 8 + first * stride;
  // Records sit 8 + 4·dim bytes apart after a 6-byte header, so their floats are usually 2 bytes
  // off a word boundary: copy through the widest view the offset allows, in one loop, rather
  // than a subarray and a set() per record (which cost more than the copying at 128 dims).
  const width = at % 4 === 0 ? 4 : at % 2 === 0 ? 2 : 1;
  if (width > 1 && n > 0) {
    const units = rowBytes / width;
    const step = stride / width;
    const view = (buffer: ArrayBufferLike, offset: number, length: number) =>
      width === 4 ? new Uint32Array(buffer, offset, length) : new Uint16Array(buffer, offset, length);
    const src = view(bytes.buffer, at, (n - 1) * step + units);
    const out = view(dst.buffer, dst.byteOffset + to * 4, n * units);
    for (let i = 0, o = 0, f = 0; i < n; i++, f += step) {
      for (let j = 0; j < units; j++) out[o++] = src[f + j]!;
    }
    return;
  }
  const out = new Uint8Array(dst.buffer, dst.byteOffset + to * 4, n * rowBytes);
  for (let i = 0, from = start + 8 + first * stride; i < n; i++, from += stride) {
    out.set(bytes.subarray(from, from + rowBytes), i * rowBytes);
  }
}

/** Encodes a VEC_SEG payload: the header, then one record (id and float32 components) per vector. */
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
