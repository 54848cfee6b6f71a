import { MAX_U64, rvfError } from '@rvfjs/types';

/**
 * A vector id as a Map key. u64 ids that are safe integers are plain numbers (fast keys,
 * what most users pass); larger ones are bigints. One id never has two key forms.
 */
export type IdKey = number | bigint;
/** A vector id as callers pass it: a non-negative integer up to 2^64 - 1, as a number or a bigint. */
export type IdInput = number | bigint;

export function toIdKey(id: unknown, where = 'id'): IdKey {
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw rvfError(
        'InvalidId',
        `${where} ${id} is not a u64: ids must be non-negative safe integers (pass a bigint beyond 2^53)`,
      );
    }
    return id;
  }
  if (typeof id === 'bigint') {
    if (id < 0n || id > MAX_U64) throw rvfError('InvalidId', `${where} ${id} is outside the u64 range`);
    return id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id;
  }
  throw rvfError('InvalidId', `${where} must be a number or bigint, got ${typeof id}`);
}

export const keyToBigint = (key: IdKey): bigint => (typeof key === 'bigint' ? key : BigInt(key));
export const bigintToKey = (id: bigint): IdKey => (id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id);

export function toIdKeys(ids: unknown, where = 'ids'): IdKey[] {
  if (!Array.isArray(ids) && !(ids instanceof BigUint64Array)) {
    throw rvfError('InvalidId', `${where} must be an array of numbers or bigints`);
  }
  return Array.from(ids as ArrayLike<unknown>, (id, i) => toIdKey(id, `${where}[${i}]`));
}
