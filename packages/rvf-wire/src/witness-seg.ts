import { HASH_SIZE, rvfError, type WitnessRecord } from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';

/** WITNESS_SEG payload (spec §8): type u8 | timestamp_ns u64 | action_len u32 | action | prev_hash[32]. */
export function decodeWitnessPayload(payload: Uint8Array, fileOffset = 0): WitnessRecord {
  const r = new ByteReader(payload, 'WITNESS payload', fileOffset);
  const witnessType = r.u8('witness_type');
  const timestampNs = r.u64('timestamp_ns');
  const len = r.u32('action_len');
  const action = new TextDecoder().decode(r.bytesView(len, 'action'));
  const prevHash = r.bytesCopy(HASH_SIZE, 'prev_hash');
  if (r.remaining !== 0) throw r.fail(`${r.remaining} unexpected trailing bytes`);
  return { witnessType, timestampNs, action, prevHash };
}

/** Encodes a WITNESS payload in the reference's layout. */
export function encodeWitnessPayload(w: WitnessRecord): Uint8Array {
  const action = new TextEncoder().encode(w.action);
  const out = new ByteWriter(1 + 8 + 4 + action.length + HASH_SIZE);
  out.u8(w.witnessType).u64(w.timestampNs).u32(action.length).bytes_(action);
  if (w.prevHash.length !== HASH_SIZE)
    throw rvfError('TruncatedSegment', `witness prev_hash must be 32 bytes, got ${w.prevHash.length}`);
  out.bytes_(w.prevHash);
  return out.finish();
}
