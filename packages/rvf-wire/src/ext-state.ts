import { ByteReader, ByteWriter } from './byte-reader.js';

/** Store settings and flags the reference has no place for. */
export interface StoreState {
  frozen: boolean;
  /** Epoch at which the store was frozen (0 when not frozen). */
  frozenEpoch: number;
  hnswM: number;
  hnswEfConstruction: number;
  hnswEfSearch: number;
  /** Branch children made from this file (compaction refuses while there are any). */
  branchCount: number;
}

/** Size of the RVFJS_STATE payload this version writes, in bytes. */
export const STATE_PAYLOAD_SIZE = 24;

/**
 * RVFJS_STATE (0x43), last one in directory order wins:
 * `version u8 (1) | flags u8 (bit 0 frozen) | reserved u16 | frozen_epoch u32 |
 * hnsw_m u32 | hnsw_ef_construction u32 | hnsw_ef_search u32 | branch_count u32`. Later
 * versions may append fields; this decoder ignores bytes past the ones it knows and reads
 * a missing trailing field as 0.
 */
export function encodeStatePayload(s: StoreState): Uint8Array {
  const w = new ByteWriter(STATE_PAYLOAD_SIZE);
  w.u8(1)
    .u8(s.frozen ? 1 : 0)
    .u16(0)
    .u32(s.frozenEpoch);
  w.u32(s.hnswM).u32(s.hnswEfConstruction).u32(s.hnswEfSearch).u32(s.branchCount);
  return w.finish();
}

/** Decodes an RVFJS_STATE payload (fields it does not know are ignored, missing ones read as 0). */
export function decodeStatePayload(payload: Uint8Array, fileOffset = 0): StoreState {
  const r = new ByteReader(payload, 'RVFJS_STATE payload', fileOffset, 'InvalidChecksum');
  const version = r.u8('version');
  if (version < 1) throw r.fail(`unsupported version ${version}`);
  const flags = r.u8('flags');
  r.skip(2);
  return {
    frozen: (flags & 1) === 1,
    frozenEpoch: r.u32('frozen_epoch'),
    hnswM: r.u32('hnsw_m'),
    hnswEfConstruction: r.u32('hnsw_ef_construction'),
    hnswEfSearch: r.u32('hnsw_ef_search'),
    branchCount: r.remaining >= 4 ? r.u32('branch_count') : 0,
  };
}
