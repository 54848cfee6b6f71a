import { MAX_U64 } from '@rvfjs/types';
import { InvalidArgumentError } from 'commander';

/**
 * Parsers commander runs on numeric options, so `-k abc` is a usage error that names the
 * option (exit code 1) before any store is opened, not a NaN handed to the library.
 */
export function positiveInteger(value: string): number {
  const n = strictInteger(value);
  if (n === undefined || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = strictInteger(value);
  if (n === undefined || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

/** A u64 (ids): a number when it is a safe integer, a bigint beyond 2^53. */
export function u64(value: string): number | bigint {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected an unsigned integer (a u64).');
  const b = BigInt(value.trim());
  if (b > MAX_U64) throw new InvalidArgumentError('out of the u64 range.');
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** Digits only: Number() would accept "", "0x10", "1e3" and " 7 ". */
function strictInteger(value: string): number | undefined {
  if (!/^-?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
