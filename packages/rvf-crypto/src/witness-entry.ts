/**
 * One 73-byte witness-chain entry:
 *
 *   prev_hash[32] | action_hash[32] | timestamp_ns u64 LE | witness_type u8
 */
import { HASH_SIZE, rvfError, WITNESS_ENTRY_SIZE } from '@rvfjs/types';
import { checkBytes, U64_MAX, viewOf } from './bytes.js';
import { shake256_256 } from './shake256.js';

/** One decoded 73-byte witness-chain entry. */
export interface WitnessEntry {
  /** SHAKE-256-256 of the preceding serialized entry; 32 zero bytes for the first entry. */
  prevHash: Uint8Array;
  /** 32-byte hash of whatever is being witnessed (see `hashAction`). */
  actionHash: Uint8Array;
  /** Nanoseconds since the UNIX epoch, u64. */
  timestampNs: bigint;
  /** Application-defined event type, u8 (see `WitnessType` in @rvfjs/types). */
  witnessType: number;
}

const PREV_HASH_OFFSET = 0;
const ACTION_HASH_OFFSET = PREV_HASH_OFFSET + HASH_SIZE;
const TIMESTAMP_OFFSET = ACTION_HASH_OFFSET + HASH_SIZE;
const TYPE_OFFSET = TIMESTAMP_OFFSET + 8;

/** Convenience: the action hash for some action bytes, SHAKE-256-256(action). */
export function hashAction(action: Uint8Array): Uint8Array {
  return shake256_256(action);
}

/**
 * Validates `entry`'s fields and writes them at `offset` in `target`.
 * `what` names the entry in error messages (e.g. "witness entry 3").
 */
export function writeWitnessEntry(
  entry: WitnessEntry,
  target: Uint8Array,
  offset: number,
  what: string,
): void {
  if (typeof entry !== 'object' || entry === null) {
    throw rvfError(
      'InvalidChecksum',
      `${what} must be an object, got ${entry === null ? 'null' : typeof entry}`,
    );
  }
  const prevHash = checkBytes(entry.prevHash, `${what} prevHash`, 'InvalidChecksum', HASH_SIZE);
  const actionHash = checkBytes(entry.actionHash, `${what} actionHash`, 'InvalidChecksum', HASH_SIZE);
  const { timestampNs, witnessType } = entry;
  if (typeof timestampNs !== 'bigint' || timestampNs < 0n || timestampNs > U64_MAX) {
    throw rvfError(
      'InvalidChecksum',
      `${what} timestampNs must be a bigint in 0..2^64-1, got ${typeof timestampNs === 'bigint' ? `${timestampNs}n` : typeof timestampNs}`,
    );
  }
  if (!Number.isInteger(witnessType) || witnessType < 0 || witnessType > 0xff) {
    throw rvfError(
      'InvalidChecksum',
      `${what} witnessType must be an integer in 0..255, got ${String(witnessType)}`,
    );
  }
  target.set(prevHash, offset + PREV_HASH_OFFSET);
  target.set(actionHash, offset + ACTION_HASH_OFFSET);
  viewOf(target).setBigUint64(offset + TIMESTAMP_OFFSET, timestampNs, true);
  target[offset + TYPE_OFFSET] = witnessType;
}

/** Serializes one entry to its 73 bytes. The entry's prevHash is written as given. */
export function encodeWitnessEntry(entry: WitnessEntry): Uint8Array {
  const out = new Uint8Array(WITNESS_ENTRY_SIZE);
  writeWitnessEntry(entry, out, 0, 'witness entry');
  return out;
}

/** Reads the entry at `offset` of `bytes`; the caller guarantees 73 bytes are there. */
export function readWitnessEntry(bytes: Uint8Array, offset: number): WitnessEntry {
  // slice, not subarray: decoded hashes must not alias (or keep alive) the caller's buffer.
  return {
    prevHash: bytes.slice(offset + PREV_HASH_OFFSET, offset + PREV_HASH_OFFSET + HASH_SIZE),
    actionHash: bytes.slice(offset + ACTION_HASH_OFFSET, offset + ACTION_HASH_OFFSET + HASH_SIZE),
    timestampNs: viewOf(bytes).getBigUint64(offset + TIMESTAMP_OFFSET, true),
    witnessType: bytes[offset + TYPE_OFFSET]!,
  };
}

/** Decodes exactly one serialized entry (73 bytes; anything else is rejected). */
export function decodeWitnessEntry(bytes: Uint8Array): WitnessEntry {
  checkBytes(bytes, 'witness entry', 'TruncatedSegment');
  if (bytes.length !== WITNESS_ENTRY_SIZE) {
    throw rvfError(
      'TruncatedSegment',
      `witness entry must be exactly ${WITNESS_ENTRY_SIZE} bytes, got ${bytes.length}`,
      { length: bytes.length },
    );
  }
  return readWitnessEntry(bytes, 0);
}
