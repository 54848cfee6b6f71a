import type { IdInput, MetadataInput } from '@rvfjs/runtime';
import { MAX_U64, rvfError } from '@rvfjs/types';
import { HttpError } from './errors.js';

/**
 * The checks an ingest passes before the library is asked to write anything, so that a write
 * the server reports as failed has committed nothing and a client can simply retry it. They
 * use the library's error codes (InvalidId, DimensionMismatch, InvalidMetadata) and name the
 * offending item; the library checks again, and the checks here only ever refuse earlier.
 */

const DECIMAL = /^\d+$/;
const MAX_F32 = 3.4028234663852886e38;
const VALUE_TYPES = new Set(['u64', 'i64', 'f64', 'string']);
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** An id as JSON carries it: a non-negative safe integer, or a decimal string up to 2^64 − 1. */
export function parseId(value: unknown, where: string): IdInput {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw rvfError(
      'InvalidId',
      `${where} ${value} is not a u64: ids are non-negative integers, as decimal strings beyond 2^53`,
    );
  }
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const id = BigInt(value);
    if (id <= MAX_U64) return id;
    throw rvfError('InvalidId', `${where} ${value} is beyond the u64 range`);
  }
  throw rvfError('InvalidId', `${where} must be a number or a decimal string, got ${JSON.stringify(value)}`);
}

/** Why a row is not a vector of this dimension (finite float32 components), or undefined. */
export function vectorProblem(row: unknown, dimension: number): string | undefined {
  if (!Array.isArray(row)) return 'is not an array of numbers';
  if (row.length !== dimension) return `has ${row.length} components, the store's dimension is ${dimension}`;
  for (let d = 0; d < dimension; d++) {
    const v = row[d];
    if (typeof v !== 'number' || !Number.isFinite(v)) return `component ${d} is not a finite number`;
    if (Math.abs(v) > MAX_F32) return `component ${d} (${v}) overflows float32`;
  }
  return undefined;
}

export function checkVector(row: unknown, dimension: number, where: string): number[] {
  const problem = vectorProblem(row, dimension);
  if (problem) throw rvfError('DimensionMismatch', `${where} ${problem}`);
  return row as number[];
}

/** One vector's metadata in the object form: named scalar fields (strings and finite numbers). */
export function checkMetadataObject(value: unknown, where: string): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value))
    throw rvfError('InvalidMetadata', `${where} must be an object of named fields`);
  for (const [name, v] of Object.entries(value)) {
    const ok = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) {
      throw rvfError(
        'InvalidMetadata',
        `${where}.${name} must be a string or a finite number, got ${JSON.stringify(v)}`,
      );
    }
  }
}

function isFlatEntry(e: unknown): boolean {
  return e !== null && typeof e === 'object' && 'fieldId' in e && 'valueType' in e;
}

/** One entry of the reference's flat form: `{ fieldId, valueType, value }`, the value parseable as its type. */
function checkFlatEntry(e: Record<string, unknown>, where: string): void {
  const { fieldId, valueType, value } = e;
  if (typeof fieldId !== 'number' || !Number.isInteger(fieldId) || fieldId < 0 || fieldId > 0xffff)
    throw rvfError('InvalidMetadata', `${where}.fieldId must be a u16, got ${JSON.stringify(fieldId)}`);
  if (typeof valueType !== 'string' || !VALUE_TYPES.has(valueType)) {
    throw rvfError(
      'InvalidMetadata',
      `${where}.valueType must be u64, i64, f64 or string, got ${JSON.stringify(valueType)}`,
    );
  }
  const bad = () =>
    rvfError('InvalidMetadata', `${where}.value ${JSON.stringify(value)} is not a valid ${valueType}`);
  if (valueType === 'string') {
    if (typeof value !== 'string') throw bad();
  } else if (valueType === 'f64') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || Number.isNaN(n)) throw bad();
  } else {
    let b: bigint;
    if (typeof value === 'number' && Number.isInteger(value)) b = BigInt(value);
    else if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) b = BigInt(value.trim());
    else throw bad();
    if (valueType === 'u64' ? b < 0n || b > MAX_U64 : b < I64_MIN || b > I64_MAX) throw bad();
  }
}

/** Metadata of an ingest of `count` vectors: absent, one object (or null) per vector, or the flat form. */
export function checkMetadata(metadata: unknown, count: number): MetadataInput | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (!Array.isArray(metadata)) throw rvfError('InvalidMetadata', 'metadata must be an array');
  if (metadata.length === 0) return undefined;
  if (metadata.every(isFlatEntry)) {
    if (count === 0 || metadata.length % count !== 0) {
      throw rvfError(
        'InvalidMetadata',
        `${metadata.length} flat metadata entries cannot be split evenly over ${count} vectors`,
      );
    }
    for (const [i, e] of metadata.entries()) checkFlatEntry(e as Record<string, unknown>, `metadata[${i}]`);
    return metadata as MetadataInput;
  }
  if (metadata.length !== count)
    throw rvfError('InvalidMetadata', `${metadata.length} metadata objects for ${count} vectors`);
  for (const [i, m] of metadata.entries()) checkMetadataObject(m, `metadata[${i}]`);
  return metadata as MetadataInput;
}

export interface IngestRequest {
  vectors: unknown[];
  ids: unknown[];
  metadata?: unknown;
  skipInvalid?: boolean;
}

/**
 * An ingest body checked whole against the store's dimension and the batch limit. With
 * skipInvalid, rows that are not vectors are left for the library to drop and count.
 */
export function checkIngest(
  body: IngestRequest,
  dimension: number,
  maxItems: number,
): { vectors: number[][]; ids: IdInput[]; metadata: MetadataInput | undefined } {
  const { vectors, ids } = body;
  if (ids.length > maxItems) throw batchTooLarge(ids.length, maxItems);
  if (vectors.length !== ids.length)
    throw rvfError('DimensionMismatch', `${vectors.length} vectors but ${ids.length} ids`);
  const parsedIds = ids.map((id, i) => parseId(id, `ids[${i}]`));
  if (!body.skipInvalid) {
    for (const [i, row] of vectors.entries()) checkVector(row, dimension, `vectors[${i}]`);
  }
  return {
    vectors: vectors as number[][],
    ids: parsedIds,
    metadata: checkMetadata(body.metadata, ids.length),
  };
}

export function batchTooLarge(count: number, max: number): HttpError {
  return new HttpError(
    413,
    'BATCH_TOO_LARGE',
    'BatchTooLarge',
    `${count} items in one request; at most ${max} are accepted (split the batch)`,
  );
}
