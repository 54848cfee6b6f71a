import { ErrorCode, RvfError } from '@rvfjs/types';
import { UsageError } from './usage-error.js';

/** The exit codes `rvf` documents (apps/docs/content/cli.md); scripts branch on them. */
export const ExitCode = {
  Ok: 0,
  /** The command line is wrong: an unknown option, a value that does not parse, a missing argument. */
  Usage: 1,
  /** The store or the input data refused the work: a missing file, a bad record, a held lock. */
  StoreOrData: 2,
  /** The file is damaged: a segment's hash does not match, a witness link is broken. */
  Integrity: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes that mean the bytes on disk are not what was written. */
const INTEGRITY_CODES: ReadonlySet<number> = new Set([
  ErrorCode.InvalidChecksum,
  ErrorCode.InvalidSignature,
  ErrorCode.ContentHashMismatch,
  ErrorCode.ParentHashMismatch,
  ErrorCode.CowMapCorrupt,
  ErrorCode.DoubleRootCorrupt,
  ErrorCode.Level1InvalidSignature,
]);

export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof RvfError && INTEGRITY_CODES.has(error.code)) return ExitCode.Integrity;
  return ExitCode.StoreOrData;
}
