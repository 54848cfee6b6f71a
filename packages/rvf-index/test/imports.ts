// One place for tests to import the package source and the shared error type.

export { ErrorCode, RvfError } from '@rvfjs/types';
export * from '../src/index.js';
