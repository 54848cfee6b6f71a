/** VEC_SEG payload (spec §5). */
export const VEC_HEADER_SIZE = 6;
export const VEC_ID_SIZE = 8;
/** The largest dimension a u16 field can carry. */
export const MAX_DIMENSION = 0xffff;
export const MAX_U64 = 0xffffffffffffffffn;

export function vecRecordSize(dimension: number): number {
  return VEC_ID_SIZE + 4 * dimension;
}
