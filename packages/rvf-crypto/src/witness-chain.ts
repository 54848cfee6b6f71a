/**
 * Witness chains: a tamper-evident append log of 73-byte entries where every entry's
 * prevHash is SHAKE-256-256 of the full serialized bytes of the entry before it, and the
 * first entry's prevHash is 32 zero bytes.
 *
 * What a chain proves: changing any byte of entry k (k < last) breaks the link stored in
 * entry k+1, and changing a prevHash breaks its own link. The LAST entry's actionHash,
 * timestamp and type are covered by no later link, so they are only tamper-evident once
 * another entry is appended, or if the caller keeps the chain head
 * (`shake256_256(last entry)`) somewhere trusted.
 */
import { HASH_SIZE, rvfError, WITNESS_ENTRY_SIZE } from '@rvfjs/types';
import { bytesEqual, checkBytes } from './bytes.js';
import { shake256_256 } from './shake256.js';
import { readWitnessEntry, type WitnessEntry, writeWitnessEntry } from './witness-entry.js';

/** An entry to be chained: its prevHash, if any, is ignored and overwritten. */
export type WitnessEntryInput = Omit<WitnessEntry, 'prevHash'> & { prevHash?: Uint8Array };

/** Serializes `entries` in order and links them; returns entries.length * 73 bytes. */
export function createWitnessChain(entries: readonly WitnessEntryInput[]): Uint8Array {
  if (!Array.isArray(entries)) {
    throw rvfError('InvalidChecksum', `witness chain entries must be an array, got ${typeof entries}`);
  }
  const out = new Uint8Array(entries.length * WITNESS_ENTRY_SIZE);
  let prevHash: Uint8Array = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as WitnessEntryInput;
    const offset = i * WITNESS_ENTRY_SIZE;
    const what = `witness entry ${i}`;
    if (typeof entry !== 'object' || entry === null) {
      throw rvfError(
        'InvalidChecksum',
        `${what} must be an object, got ${entry === null ? 'null' : typeof entry}`,
      );
    }
    writeWitnessEntry({ ...entry, prevHash }, out, offset, what);
    prevHash = shake256_256(out.subarray(offset, offset + WITNESS_ENTRY_SIZE));
  }
  return out;
}

/**
 * Decodes a serialized chain and checks every link, returning the entries.
 *
 * Throws RvfError TruncatedSegment if the length is not a multiple of 73, and
 * InvalidChecksum naming the first entry whose prevHash does not match (in the message
 * and as `details.index`). An empty input is an empty, valid chain.
 */
export function verifyWitnessChain(bytes: Uint8Array): WitnessEntry[] {
  checkBytes(bytes, 'witness chain', 'TruncatedSegment');
  if (bytes.length % WITNESS_ENTRY_SIZE !== 0) {
    const whole = Math.floor(bytes.length / WITNESS_ENTRY_SIZE);
    throw rvfError(
      'TruncatedSegment',
      `witness chain length ${bytes.length} is not a multiple of ${WITNESS_ENTRY_SIZE} ` +
        `(${whole} whole entries and ${bytes.length % WITNESS_ENTRY_SIZE} stray bytes)`,
      { length: bytes.length },
    );
  }
  const count = bytes.length / WITNESS_ENTRY_SIZE;
  const entries: WitnessEntry[] = [];
  let expected: Uint8Array = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < count; i++) {
    const offset = i * WITNESS_ENTRY_SIZE;
    const entryBytes = bytes.subarray(offset, offset + WITNESS_ENTRY_SIZE);
    if (!bytesEqual(entryBytes.subarray(0, HASH_SIZE), expected)) {
      const why =
        i === 0
          ? 'the first entry must have an all-zero prevHash'
          : `prevHash does not match SHAKE-256 of entry ${i - 1}`;
      throw rvfError('InvalidChecksum', `witness chain broken at entry ${i} of ${count}: ${why}`, {
        index: i,
        entryOffset: offset,
      });
    }
    entries.push(readWitnessEntry(bytes, offset));
    expected = shake256_256(entryBytes);
  }
  return entries;
}
