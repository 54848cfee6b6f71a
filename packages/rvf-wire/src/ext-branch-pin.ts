import { ByteReader, ByteWriter } from './byte-reader.js';

/**
 * RVFJS_BRANCH_PIN (0x45): which parent state a branch child was made from. The parent is
 * append-only, so the manifest it had at branch time stays readable after later parent
 * writes; the child loads the parent at that manifest instead of the parent's latest, and
 * is neither changed nor broken by them.
 * `version u8 (1) | reserved u8 | reserved u16 | parent_epoch u32 |
 *  manifest_offset u64 | manifest_payload_length u64 | manifest_shake256[32] | parent_file_id[16]`
 * where the digest is SHAKE-256 of the whole parent MANIFEST segment (header + payload).
 */
export interface BranchPin {
  parentEpoch: number;
  manifestOffset: number;
  manifestPayloadLength: number;
  manifestDigest: Uint8Array;
  parentFileId: Uint8Array;
}

/** Size of an RVFJS_BRANCH_PIN payload, in bytes. */
export const BRANCH_PIN_SIZE = 8 + 8 + 8 + 32 + 16;

/** Encodes an RVFJS_BRANCH_PIN payload (version 1). */
export function encodeBranchPinPayload(p: BranchPin): Uint8Array {
  const w = new ByteWriter(BRANCH_PIN_SIZE);
  w.u8(1).u8(0).u16(0).u32(p.parentEpoch).u64(p.manifestOffset).u64(p.manifestPayloadLength);
  w.bytes_(p.manifestDigest).bytes_(p.parentFileId);
  return w.finish();
}

/** Decodes an RVFJS_BRANCH_PIN payload; throws CowMapCorrupt for a malformed one. */
export function decodeBranchPinPayload(payload: Uint8Array, fileOffset = 0): BranchPin {
  const r = new ByteReader(payload, 'RVFJS_BRANCH_PIN payload', fileOffset, 'CowMapCorrupt');
  const version = r.u8('version');
  if (version !== 1) throw r.fail(`unsupported version ${version}`);
  r.skip(3);
  return {
    parentEpoch: r.u32('parent_epoch'),
    manifestOffset: r.u64Number('manifest_offset'),
    manifestPayloadLength: r.u64Number('manifest_payload_length'),
    manifestDigest: r.bytesCopy(32, 'manifest digest'),
    parentFileId: r.bytesCopy(16, 'parent file id'),
  };
}
