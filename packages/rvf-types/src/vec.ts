/** VEC_SEG payload (spec §5). */
export const VEC_HEADER_SIZE = 6;
/** Size of a vector id in a VEC_SEG record (u64), in bytes. */
export const VEC_ID_SIZE = 8;
/** The largest dimension a u16 field can carry. */
export const MAX_DIMENSION = 0xffff;
/** The largest u64, as a bigint. */
export const MAX_U64 = 0xffffffffffffffffn;

/** Bytes of one VEC_SEG record (id and float32 components) at `dimension`. */
export function vecRecordSize(dimension: number): number {
  return VEC_ID_SIZE + 4 * dimension;
}
