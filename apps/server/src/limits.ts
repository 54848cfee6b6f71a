import { rvfError } from '@rvfjs/types';

/**
 * How much one request may ask of the server. Every bound a client can reach is here, so a
 * request can never make the server hold or compute more than these allow.
 */
export interface Limits {
  /** Largest JSON request body in bytes. */
  bodyBytes: number;
  /** Longest line of an NDJSON import in bytes; a longer one is refused with 413 as soon as it is seen. */
  importLineBytes: number;
  /** An import commits a batch once it has this many records… */
  importBatchRecords: number;
  /** …or this many bytes of lines, whichever comes first (so a batch's memory is bounded). */
  importBatchBytes: number;
  /** Most vectors in one ingest, ids in one delete or fetch. */
  batchItems: number;
  /** Most queries in one batch query. */
  batchQueries: number;
  /** Largest `k` of a query. */
  k: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = {
  bodyBytes: 64 * MiB,
  importLineBytes: 1 * MiB,
  importBatchRecords: 10_000,
  importBatchBytes: 16 * MiB,
  batchItems: 100_000,
  batchQueries: 1_000,
  k: 10_000,
};

/** The defaults with `given` on top, each checked to be a positive integer. */
export function resolveLimits(given: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw rvfError('InvalidArgument', `limit ${name} must be a positive integer, got ${String(value)}`);
  }
  return limits;
}
