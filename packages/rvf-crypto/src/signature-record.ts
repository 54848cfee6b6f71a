/**
 * The byte record a store keeps for one segment signature, carried in rvfjs's own
 * extension segment (SegmentType.RvfjsSignature, 0x44), which the reference lists,
 * ignores and preserves verbatim. All integers little-endian; 116 bytes in version 1:
 *
 *   off  size  field
 *     0     1  version            = 1
 *     1     1  algo               = 1 (Ed25519)
 *     2     2  reserved           = 0
 *     4     8  target_offset      u64: file offset of the signed segment's header
 *    12     8  target_segment_id  u64: that segment's id
 *    20    32  public_key
 *    52    64  signature
 */
import { rvfError } from '@rvfjs/types';
import { checkBytes, U64_MAX, viewOf } from './bytes.js';
import { ED25519_PUBLIC_KEY_SIZE, ED25519_SIGNATURE_SIZE } from './ed25519-sizes.js';

/** The signature record format version written and accepted. */
export const SIGNATURE_RECORD_VERSION = 1;
/** Size of one encoded signature record, in bytes. */
export const SIGNATURE_RECORD_SIZE = 116;

/** Signature algorithms a record can name. Only Ed25519 exists so far. */
export const SignatureAlgorithm = {
  Ed25519: 1,
} as const;

/** One Ed25519 signature over one segment, as an RVFJS_SIGNATURE segment stores it. */
export interface SignatureRecord {
  /** File offset of the signed segment's header (a safe non-negative integer). */
  targetOffset: number;
  /** Segment id of the signed segment, u64. */
  targetSegmentId: bigint;
  /** 32-byte Ed25519 public key of the signer. */
  publicKey: Uint8Array;
  /** 64-byte Ed25519 signature (see `signSegment`). */
  signature: Uint8Array;
}

const VERSION_OFFSET = 0;
const ALGO_OFFSET = 1;
const RESERVED_OFFSET = 2;
const TARGET_OFFSET_OFFSET = 4;
const TARGET_ID_OFFSET = 12;
const PUBLIC_KEY_OFFSET = 20;
const SIGNATURE_OFFSET = PUBLIC_KEY_OFFSET + ED25519_PUBLIC_KEY_SIZE;

/** Encodes a signature record; throws InvalidSignature when a field is malformed. */
export function encodeSignatureRecord(record: SignatureRecord): Uint8Array {
  if (typeof record !== 'object' || record === null) {
    throw rvfError(
      'InvalidSignature',
      `signature record must be an object, got ${record === null ? 'null' : typeof record}`,
    );
  }
  const { targetOffset, targetSegmentId } = record;
  if (!Number.isSafeInteger(targetOffset) || targetOffset < 0) {
    throw rvfError(
      'InvalidSignature',
      `signature record targetOffset must be a non-negative safe integer, got ${String(targetOffset)}`,
    );
  }
  if (typeof targetSegmentId !== 'bigint' || targetSegmentId < 0n || targetSegmentId > U64_MAX) {
    throw rvfError(
      'InvalidSignature',
      `signature record targetSegmentId must be a bigint in 0..2^64-1, got ${typeof targetSegmentId === 'bigint' ? `${targetSegmentId}n` : typeof targetSegmentId}`,
    );
  }
  const publicKey = checkBytes(
    record.publicKey,
    'signature record publicKey',
    'InvalidSignature',
    ED25519_PUBLIC_KEY_SIZE,
  );
  const signature = checkBytes(
    record.signature,
    'signature record signature',
    'InvalidSignature',
    ED25519_SIGNATURE_SIZE,
  );

  const out = new Uint8Array(SIGNATURE_RECORD_SIZE);
  const view = viewOf(out);
  out[VERSION_OFFSET] = SIGNATURE_RECORD_VERSION;
  out[ALGO_OFFSET] = SignatureAlgorithm.Ed25519;
  view.setUint16(RESERVED_OFFSET, 0, true);
  view.setBigUint64(TARGET_OFFSET_OFFSET, BigInt(targetOffset), true);
  view.setBigUint64(TARGET_ID_OFFSET, targetSegmentId, true);
  out.set(publicKey, PUBLIC_KEY_OFFSET);
  out.set(signature, SIGNATURE_OFFSET);
  return out;
}

/**
 * Decodes and validates a record. A buffer shorter than 116 bytes is TruncatedSegment;
 * an unknown version or algorithm, non-zero reserved bits, trailing bytes or an offset
 * beyond 2^53-1 are InvalidSignature. This checks the record's shape only: whether the
 * signature verifies is `verifySegmentSignature`'s job.
 */
export function decodeSignatureRecord(bytes: Uint8Array): SignatureRecord {
  checkBytes(bytes, 'signature record', 'TruncatedSegment');
  if (bytes.length < SIGNATURE_RECORD_SIZE) {
    throw rvfError(
      'TruncatedSegment',
      `signature record is ${bytes.length} bytes, expected ${SIGNATURE_RECORD_SIZE}`,
      { length: bytes.length },
    );
  }
  const view = viewOf(bytes);
  const version = bytes[VERSION_OFFSET]!;
  if (version !== SIGNATURE_RECORD_VERSION) {
    throw rvfError(
      'InvalidSignature',
      `unsupported signature record version ${version} (this reader knows version ${SIGNATURE_RECORD_VERSION})`,
      { version },
    );
  }
  const algo = bytes[ALGO_OFFSET]!;
  if (algo !== SignatureAlgorithm.Ed25519) {
    throw rvfError(
      'InvalidSignature',
      `unsupported signature algorithm ${algo} (only 1 = Ed25519 is defined)`,
      {
        algo,
      },
    );
  }
  const reserved = view.getUint16(RESERVED_OFFSET, true);
  if (reserved !== 0) {
    throw rvfError('InvalidSignature', `signature record reserved field must be 0, got ${reserved}`, {
      reserved,
    });
  }
  if (bytes.length !== SIGNATURE_RECORD_SIZE) {
    throw rvfError(
      'InvalidSignature',
      `signature record is ${bytes.length} bytes, version ${SIGNATURE_RECORD_VERSION} records are exactly ${SIGNATURE_RECORD_SIZE}`,
      { length: bytes.length },
    );
  }
  const rawOffset = view.getBigUint64(TARGET_OFFSET_OFFSET, true);
  if (rawOffset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw rvfError('InvalidSignature', `signature record target offset ${rawOffset} exceeds 2^53-1`);
  }
  return {
    targetOffset: Number(rawOffset),
    targetSegmentId: view.getBigUint64(TARGET_ID_OFFSET, true),
    publicKey: bytes.slice(PUBLIC_KEY_OFFSET, PUBLIC_KEY_OFFSET + ED25519_PUBLIC_KEY_SIZE),
    signature: bytes.slice(SIGNATURE_OFFSET, SIGNATURE_OFFSET + ED25519_SIGNATURE_SIZE),
  };
}
