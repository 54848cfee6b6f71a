import { ErrorCode, type ErrorName, RvfError, type RvfErrorDetails } from '@rvfjs/types';

/**
 * An RvfError about the command line itself (exit code 1): an option that does not parse,
 * options that contradict each other. It carries the library's code for the condition (a
 * filter that is not JSON is FilterParseError) so every failure prints a code.
 */
export class UsageError extends RvfError {}

export function usageError(name: ErrorName, message: string, details?: RvfErrorDetails): UsageError {
  return new UsageError(ErrorCode[name], message, details);
}
