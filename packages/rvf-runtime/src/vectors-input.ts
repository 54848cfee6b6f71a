import { rvfError } from '@rvfjs/types';

/** What ingestBatch and query accept as vectors. */
export type VectorsInput =
  | Float32Array
  | Float64Array
  | readonly Float32Array[]
  | readonly (readonly number[])[];
/** What query accepts as one vector: a typed array or an array of numbers. */
export type VectorInput = Float32Array | Float64Array | readonly number[];

/**
 * Flattens any accepted vector form into one Float32Array, checking every row's length
 * and every component (NaN and ±Infinity poison distances, so they are refused).
 * Rows that fail are thrown for, or, with `skipInvalid`, dropped and reported.
 */
export function flattenVectors(
  input: VectorsInput,
  dimension: number,
  options: { skipInvalid?: boolean } = {},
): { flat: Float32Array; count: number; keptRows: number[]; rejectedRows: number[] } {
  const rows: ArrayLike<number>[] = [];
  if (input instanceof Float32Array || input instanceof Float64Array) {
    if (input.length % dimension !== 0) {
      throw rvfError(
        'DimensionMismatch',
        `flat vector buffer of ${input.length} floats is not a multiple of dimension ${dimension}`,
      );
    }
    // The common case, a flat Float32Array of finite values, in one pass and one copy (a
    // float32 cannot overflow float32); anything else goes row by row below, to name the row.
    if (input instanceof Float32Array && allFinite(input)) {
      const count = input.length / dimension;
      return {
        flat: input.slice(),
        count,
        keptRows: Array.from({ length: count }, (_, i) => i),
        rejectedRows: [],
      };
    }
    for (let i = 0; i < input.length; i += dimension) rows.push(input.subarray(i, i + dimension));
  } else if (Array.isArray(input)) {
    for (const r of input) rows.push(r as ArrayLike<number>);
  } else {
    throw rvfError(
      'DimensionMismatch',
      'vectors must be a Float32Array, an array of Float32Array, or number[][]',
    );
  }
  const keptRows: number[] = [];
  const rejectedRows: number[] = [];
  const flat = new Float32Array(rows.length * dimension);
  let out = 0;
  rows.forEach((row, i) => {
    const problem = rowProblem(row, dimension);
    if (problem) {
      if (!options.skipInvalid) throw rvfError('DimensionMismatch', `vector ${i}: ${problem}`, { row: i });
      rejectedRows.push(i);
      return;
    }
    for (let d = 0; d < dimension; d++) flat[out * dimension + d] = row[d]!;
    keptRows.push(i);
    out++;
  });
  return {
    flat: out === rows.length ? flat : flat.slice(0, out * dimension),
    count: out,
    keptRows,
    rejectedRows,
  };
}

function allFinite(values: Float32Array): boolean {
  // x − x is 0 for every finite x and NaN for ±Infinity and NaN.
  for (let i = 0; i < values.length; i++) if (values[i]! - values[i]! !== 0) return false;
  return true;
}

function rowProblem(row: ArrayLike<number>, dimension: number): string | undefined {
  if (row === null || typeof row !== 'object' || typeof row.length !== 'number')
    return 'is not an array of numbers';
  if (row.length !== dimension) return `has ${row.length} components, the store's dimension is ${dimension}`;
  for (let d = 0; d < dimension; d++) {
    const v = row[d];
    if (typeof v !== 'number') return `component ${d} is not a number`;
    if (!Number.isFinite(v)) return `component ${d} is ${v}`;
    if (Math.abs(v) > 3.4028234663852886e38) return `component ${d} (${v}) overflows float32`;
  }
  return undefined;
}

/** One query vector, validated the same way. */
export function toQueryVector(input: VectorInput, dimension: number): Float32Array {
  if (!(input instanceof Float32Array || input instanceof Float64Array || Array.isArray(input))) {
    throw rvfError('DimensionMismatch', 'query vector must be a Float32Array or number[]');
  }
  const problem = rowProblem(input, dimension);
  if (problem) throw rvfError('DimensionMismatch', `query vector ${problem}`);
  return input instanceof Float32Array ? input : Float32Array.from(input);
}
