import {
  DIRECTORY_ENTRY_SIZE,
  type DirectoryEntry,
  IDENTITY_MARKER,
  IDENTITY_TRAILER_SIZE,
  MANIFEST_FIXED_SIZE,
  type Manifest,
  rvfError,
} from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';
import { readFileIdentity, writeFileIdentity } from './identity.js';

/**
 * MANIFEST_SEG payload (spec §7). Decoding is strict about lengths (a seg_count or
 * deleted_count that does not fit is malformed, which is what makes the tail scan skip a
 * torn candidate) and lenient about the identity trailer, which old files lack.
 */
export function decodeManifestPayload(payload: Uint8Array, fileOffset = 0): Manifest {
  const r = new ByteReader(payload, 'manifest', fileOffset, 'InvalidManifest');
  r.need(MANIFEST_FIXED_SIZE, 'fixed fields');
  const epoch = r.u32();
  const dimension = r.u16();
  const totalVectors = r.u64();
  const segCount = r.u32();
  const profileId = r.u8();
  const metricCode = r.u8();
  r.skip(2);
  if (segCount * DIRECTORY_ENTRY_SIZE > r.remaining) {
    throw r.fail(
      `seg_count ${segCount} needs ${segCount * DIRECTORY_ENTRY_SIZE} bytes, ${r.remaining} remain`,
    );
  }
  const directory: DirectoryEntry[] = new Array(segCount);
  for (let i = 0; i < segCount; i++) {
    const segId = r.u64();
    const offset = r.u64Number('directory offset');
    const payloadLength = r.u64Number('directory payload_length');
    const segType = r.u8();
    directory[i] = { segId, offset, payloadLength, segType };
  }
  const deletedCount = r.u32('deleted_count');
  if (deletedCount * 8 > r.remaining) {
    throw r.fail(`deleted_count ${deletedCount} needs ${deletedCount * 8} bytes, ${r.remaining} remain`);
  }
  const deletedIds: bigint[] = new Array(deletedCount);
  for (let i = 0; i < deletedCount; i++) deletedIds[i] = r.u64();
  const manifest: Manifest = { epoch, dimension, totalVectors, profileId, metricCode, directory, deletedIds };
  // The trailer is optional (pre-identity files); anything else after the tombstones is ignored.
  if (r.remaining >= IDENTITY_TRAILER_SIZE && r.u32() === IDENTITY_MARKER)
    manifest.identity = readFileIdentity(r);
  return manifest;
}

/** The exact size of the MANIFEST payload encodeManifestPayload writes for `m`. */
export function manifestPayloadSize(m: Manifest): number {
  return (
    MANIFEST_FIXED_SIZE +
    DIRECTORY_ENTRY_SIZE * m.directory.length +
    4 +
    8 * m.deletedIds.length +
    (m.identity ? IDENTITY_TRAILER_SIZE : 0)
  );
}

/** Encodes a MANIFEST payload: fixed fields, directory, deleted ids and, if set, the identity. */
export function encodeManifestPayload(m: Manifest): Uint8Array {
  if (m.dimension < 0 || m.dimension > 0xffff) {
    throw rvfError('InvalidManifest', `dimension ${m.dimension} does not fit in u16`);
  }
  const w = new ByteWriter(manifestPayloadSize(m));
  w.u32(m.epoch).u16(m.dimension).u64(m.totalVectors).u32(m.directory.length);
  w.u8(m.profileId).u8(m.metricCode).u16(0);
  for (const e of m.directory) w.u64(e.segId).u64(e.offset).u64(e.payloadLength).u8(e.segType);
  w.u32(m.deletedIds.length);
  for (const id of m.deletedIds) w.u64(id);
  if (m.identity) {
    w.u32(IDENTITY_MARKER);
    writeFileIdentity(w, m.identity);
  }
  return w.finish();
}
