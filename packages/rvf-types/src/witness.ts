/** Witness types (spec §8). */
export const WitnessType = {
  DataProvenance: 0x00,
  Computation: 0x01,
  /** rvf-crypto chain entry types. */
  Provenance: 0x01,
  ChainComputation: 0x02,
  Derivation: 0x09,
  Merge: 0x0a,
  Snapshot: 0x0b,
  Transform: 0x0c,
  Verify: 0x0d,
} as const;

/** Magic number at the start of a WITNESS payload. */
export const WITNESS_HEADER_MAGIC = 0x52575657;
/** prev_hash(32) | action_hash(32) | timestamp_ns u64 | witness_type u8. */
export const WITNESS_ENTRY_SIZE = 73;
/** Size of the hashes in witness chains (SHAKE-256-256), in bytes. */
export const HASH_SIZE = 32;

/** A WITNESS_SEG payload as the runtime writes it. */
export interface WitnessRecord {
  witnessType: number;
  timestampNs: bigint;
  action: string;
  /** 32 bytes; zero starts a new chain. */
  prevHash: Uint8Array;
}
