import { type ErrorName, errorName, hex16, RvfError } from '@rvfjs/types';

/** An error of the server itself (bad store name, wrong content type...), not of the library. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    name: string,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** What an import had committed when a later line failed: its batches commit whole, in order. */
export interface Committed {
  accepted: number;
  epoch: number;
}

/**
 * A failure after part of the work was committed (an import's earlier batches). The client
 * must not take it as "nothing happened": the response carries what was committed.
 */
export class PartialCommit extends Error {
  constructor(
    readonly failure: unknown,
    readonly committed: Committed,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.name = 'PartialCommit';
  }
}

export interface ErrorBody {
  error: { code: string; name: string; message: string };
  /** Only for a failure after some of the work was committed (see PartialCommit). */
  committed?: Committed;
}

/**
 * HTTP status of a library error, by what it means for the client:
 * 404 the store is not there; 423 another writer holds its lock; 409 the store's state
 * refuses the operation (read-only, frozen snapshot, already exists, closed, branches pinned
 * to it); 424 a branch's parent is missing or no longer matches; 507 disk full; 400 the
 * request itself is wrong; 500 anything else (a damaged file, an I/O failure).
 */
const STATUS: Partial<Record<ErrorName, number>> = {
  ManifestNotFound: 404,
  LockHeld: 423,
  LockStale: 423,
  ReadOnly: 409,
  SnapshotFrozen: 409,
  PathExists: 409,
  StoreClosed: 409,
  LineageBroken: 409,
  GenerationStale: 409,
  ParentNotFound: 424,
  ParentHashMismatch: 424,
  ParentChainBroken: 424,
  LineageCyclic: 424,
  DiskFull: 507,
  SegmentTooLarge: 413,
  Timeout: 503,
  InvalidManifest: 400,
  MembershipInvalid: 400,
  InvalidArgument: 400,
  InvalidId: 400,
  InvalidMetadata: 400,
  InvalidRecord: 400,
};

/** Query-category codes (0x02xx: dimension, metric, filter, k) are all the caller's input. */
const INPUT_CATEGORY = 0x02;

export function isRvfError(err: unknown): err is RvfError {
  if (err instanceof RvfError) return true;
  // Tolerate a second copy of @rvfjs/types (CJS/ESM): same shape, same code table.
  const e = err as { code?: unknown; name?: unknown } | null;
  return !!e && typeof e.code === 'number' && typeof e.name === 'string' && errorName(e.code) === e.name;
}

export function rvfStatus(err: RvfError): number {
  const name = errorName(err.code);
  const mapped = name ? STATUS[name] : undefined;
  if (mapped !== undefined) return mapped;
  return err.code >> 8 === INPUT_CATEGORY ? 400 : 500;
}

/** A library error's message without the `RVF error 0x0203 FilterParseError: ` prefix. */
export function rvfMessage(err: RvfError): string {
  const prefix = `RVF error ${hex16(err.code)} ${err.name}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/** Turns any thrown value into a status and the JSON error body, redacting server paths. */
export function toErrorResponse(
  err: unknown,
  redact: (s: string) => string,
): { status: number; body: ErrorBody } {
  if (err instanceof PartialCommit) {
    const { status, body } = toErrorResponse(err.failure, redact);
    return { status, body: { ...body, committed: err.committed } };
  }
  if (isRvfError(err)) {
    return {
      status: rvfStatus(err),
      body: { error: { code: hex16(err.code), name: err.name, message: redact(rvfMessage(err)) } },
    };
  }
  if (err instanceof HttpError) {
    return {
      status: err.statusCode,
      body: { error: { code: err.code, name: err.name, message: redact(err.message) } },
    };
  }
  const e = (err ?? {}) as {
    statusCode?: unknown;
    code?: unknown;
    name?: unknown;
    message?: unknown;
    validation?: unknown;
  };
  const message = redact(typeof e.message === 'string' ? e.message : String(err));
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own client errors: schema validation, malformed JSON, body too large, media type.
    return {
      status: e.statusCode,
      body: {
        error: {
          code: typeof e.code === 'string' ? e.code : 'BAD_REQUEST',
          name: e.validation ? 'ValidationError' : typeof e.name === 'string' ? e.name : 'Error',
          message,
        },
      },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', name: 'InternalError', message } } };
}
