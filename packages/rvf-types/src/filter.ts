/** Filter operator codes (rvf-types, not on disk in reference files). */
export const FilterOp = {
  Eq: 0x00,
  Ne: 0x01,
  Lt: 0x02,
  Le: 0x03,
  Gt: 0x04,
  Ge: 0x05,
  In: 0x06,
  Range: 0x07,
  And: 0x10,
  Or: 0x11,
  Not: 0x12,
} as const;

export type FilterOpName = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'in' | 'range' | 'and' | 'or' | 'not';

/** Metadata value types of the reference's flat form. */
export const ValueType = { u64: 0, i64: 1, f64: 2, string: 3 } as const;
export type ValueTypeName = keyof typeof ValueType;
