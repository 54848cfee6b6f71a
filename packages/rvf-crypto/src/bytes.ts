/**
 * Input checks and small byte helpers shared by every module in this package.
 *
 * The reference's error table has no generic "invalid argument" code, so each check takes
 * the code of the domain the argument belongs to: hashing and witness inputs report
 * InvalidChecksum, key and signature material InvalidSignature, and short buffers met
 * while decoding TruncatedSegment. The message always names the argument and what was
 * wrong with it, which is what a caller actually reads.
 */
import { type ErrorName, rvfError } from '@rvfjs/types';

/**
 * True for any Uint8Array, including subclasses such as Node's Buffer and arrays created
 * in another realm (a worker or vm context), where `instanceof` alone would say no.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && value.constructor !== undefined && value.constructor.name === 'Uint8Array')
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'Array';
  return typeof value;
}

/**
 * Returns `value` typed as bytes, or throws an RvfError with `code` naming `what`.
 * With `length`, the array must be exactly that long.
 */
export function checkBytes(value: unknown, what: string, code: ErrorName, length?: number): Uint8Array {
  if (!isBytes(value)) {
    throw rvfError(code, `${what} must be a Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw rvfError(code, `${what} must be ${length} bytes, got ${value.length}`, {
      expected: length,
      actual: value.length,
    });
  }
  return value;
}

/** Byte-wise equality. Not constant-time: everything compared here is public data. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

export function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) return false;
  }
  return true;
}

/** A DataView over exactly the bytes of `bytes`, honouring its offset into a shared buffer. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const U64_MAX = (1n << 64n) - 1n;
