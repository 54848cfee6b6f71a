/**
 * The error codes rvfjs throws (u16; high byte = category) and the one error type every rvfjs
 * package throws for bad input, malformed files and refused operations.
 *
 * ## Policy
 *
 * 1. **One condition, one code, named after the condition.** The reference's code is used
 *    wherever it names the condition (a bad checksum is `InvalidChecksum`, a held lock is
 *    `LockHeld`), so callers that handle the reference's codes handle ours.
 * 2. **Extension codes where the reference has none.** Conditions the reference has no code
 *    for, or files under a code that names something else (it reports an existing path as
 *    `FsyncFailed`, for one), get a code of their own in category 0x40, the same range our
 *    extension segment types use. The reference never produces these.
 * 3. **The message names the input.** It says which argument, id, line, path or byte offset
 *    was wrong and what was found there (`k must be a positive integer, got 0`), never only
 *    that something was.
 * 4. **Nothing else escapes.** A malformed file or request surfaces as an RvfError, never as
 *    a RangeError or TypeError from deep inside a decoder; the original error, if any, is the
 *    `cause`.
 */
export const ErrorCode = {
  Ok: 0x0000,
  OkPartial: 0x0001,
  InvalidMagic: 0x0100,
  InvalidVersion: 0x0101,
  InvalidChecksum: 0x0102,
  InvalidSignature: 0x0103,
  TruncatedSegment: 0x0104,
  InvalidManifest: 0x0105,
  ManifestNotFound: 0x0106,
  UnknownSegmentType: 0x0107,
  AlignmentError: 0x0108,
  DimensionMismatch: 0x0200,
  EmptyIndex: 0x0201,
  MetricUnsupported: 0x0202,
  FilterParseError: 0x0203,
  KTooLarge: 0x0204,
  Timeout: 0x0205,
  LockHeld: 0x0300,
  LockStale: 0x0301,
  DiskFull: 0x0302,
  FsyncFailed: 0x0303,
  SegmentTooLarge: 0x0304,
  ReadOnly: 0x0305,
  TileTrap: 0x0400,
  TileOom: 0x0401,
  TileTimeout: 0x0402,
  TileInvalidMsg: 0x0403,
  TileUnsupportedOp: 0x0404,
  KeyNotFound: 0x0500,
  KeyExpired: 0x0501,
  DecryptFailed: 0x0502,
  AlgoUnsupported: 0x0503,
  AttestationInvalid: 0x0504,
  PlatformUnsupported: 0x0505,
  AttestationExpired: 0x0506,
  KeyNotBound: 0x0507,
  ParentNotFound: 0x0600,
  ParentHashMismatch: 0x0601,
  LineageBroken: 0x0602,
  LineageCyclic: 0x0603,
  CowMapCorrupt: 0x0700,
  ClusterNotFound: 0x0701,
  ParentChainBroken: 0x0702,
  DeltaThresholdExceeded: 0x0703,
  SnapshotFrozen: 0x0704,
  MembershipInvalid: 0x0705,
  GenerationStale: 0x0706,
  KernelBindingMismatch: 0x0707,
  DoubleRootCorrupt: 0x0708,
  UnsignedManifest: 0x0800,
  ContentHashMismatch: 0x0801,
  UnknownSigner: 0x0802,
  EpochDriftExceeded: 0x0803,
  Level1InvalidSignature: 0x0804,
  QualityBelowThreshold: 0x0900,
  BudgetTokensExhausted: 0x0901,
  QueryBlacklisted: 0x0902,
  // ---- rvfjs extension codes (category 0x40): conditions the reference has no code for.
  /** An argument or option outside what the API accepts (k, efSearch, m, plan, profile...). */
  InvalidArgument: 0x4000,
  /** Create, branch or copy onto a path that already exists (the reference says FsyncFailed). */
  PathExists: 0x4001,
  /** The store handle was closed (the reference says ReadOnly). */
  StoreClosed: 0x4002,
  /** An id that is not a u64: negative, fractional, too large or not a number. */
  InvalidId: 0x4003,
  /** Metadata of the wrong shape: not an object, a count that does not match the vectors, a bad field id. */
  InvalidMetadata: 0x4004,
  /** A line of an NDJSON (or other) import that does not parse as a record. */
  InvalidRecord: 0x4005,
  /** A file-system operation other than fsync failed (open, read, write, rename). */
  IoFailed: 0x4006,
  /**
   * A conditional update (a namespace manifest in object storage) lost to another writer, or
   * the server could not say whether it won, and retrying did not get it through.
   */
  UpdateConflict: 0x4007,
} as const;

/** The category (high byte) of rvfjs's own codes; the reference's end at 0x09. */
export const RVFJS_ERROR_CATEGORY = 0x40;

/** True for the codes rvfjs adds (see the policy above); the reference never reports them. */
export function isRvfjsErrorCode(code: number): boolean {
  return code >> 8 === RVFJS_ERROR_CATEGORY;
}

/** The name of an error code, as the reference spells it (`InvalidChecksum`, ...). */
export type ErrorName = keyof typeof ErrorCode;
/** A numeric error code of the ErrorCode table. */
export type ErrorCodeValue = (typeof ErrorCode)[ErrorName];

const namesByCode = new Map<number, ErrorName>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorName]),
);

/** The reference's name for a numeric code, or undefined for a code it does not define. */
export function errorName(code: number): ErrorName | undefined {
  return namesByCode.get(code);
}

/** An error code as four hex digits, the way messages print it: `0x0102`. */
export function hex16(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}

/** Structured facts an RvfError carries besides its message. */
export interface RvfErrorDetails {
  /** Absolute byte offset in the file the problem was found at, when there is one. */
  offset?: number;
  /** Anything else worth carrying for a caller or a log line (path, pid, segment id...). */
  [key: string]: unknown;
}

/**
 * The only error rvfjs lets escape for a malformed file, bad input or a refused operation.
 * `code` is the reference's numeric u16, `name` its name (so stack traces read
 * `InvalidChecksum: ...`), and the message says what was wrong and where.
 */
export class RvfError extends Error {
  readonly code: ErrorCodeValue;
  readonly details: RvfErrorDetails;

  constructor(
    code: ErrorCodeValue,
    message: string,
    details: RvfErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    const name = errorName(code) ?? 'Unknown';
    super(`RVF error ${hex16(code)} ${name}: ${message}`, options);
    this.name = name;
    this.code = code;
    this.details = details;
  }

  /** The file offset the problem was found at, when there is one. */
  get offset(): number | undefined {
    return typeof this.details.offset === 'number' ? this.details.offset : undefined;
  }

  /** True when `err` is an RvfError, optionally with the given code. */
  static is(err: unknown, code?: ErrorCodeValue): err is RvfError {
    return err instanceof RvfError && (code === undefined || err.code === code);
  }
}

/** Shorthand used by decoders: `throw rvfError('InvalidManifest', 'too short', { offset })`. */
export function rvfError(
  name: ErrorName,
  message: string,
  details?: RvfErrorDetails,
  cause?: unknown,
): RvfError {
  return new RvfError(ErrorCode[name], message, details, cause === undefined ? undefined : { cause });
}
