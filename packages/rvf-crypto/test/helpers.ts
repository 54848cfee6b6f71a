import { ErrorCode, RvfError } from '@rvfjs/types';
import { expect } from 'vitest';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs `fn`, asserts it throws an RvfError with the given code, and returns the error. */
export function expectRvfError(fn: () => unknown, code: keyof typeof ErrorCode, message?: RegExp): RvfError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an RvfError to be thrown').toBeInstanceOf(RvfError);
  const err = caught as RvfError;
  expect(err.name).toBe(code);
  expect(err.code).toBe(ErrorCode[code]);
  if (message) expect(err.message).toMatch(message);
  return err;
}
