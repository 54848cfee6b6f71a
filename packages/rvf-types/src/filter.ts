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

/** The name of a filter operator, as filters spell it in JSON (`{ op: 'eq', ... }`). */
export type FilterOpName = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'in' | 'range' | 'and' | 'or' | 'not';

/** Metadata value types of the reference's flat form. */
export const ValueType = { u64: 0, i64: 1, f64: 2, string: 3 } as const;
/** The name of a metadata value type of the flat form (`u64`, `i64`, `f64`, `string`). */
export type ValueTypeName = keyof typeof ValueType;
