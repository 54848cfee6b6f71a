import { FILE_IDENTITY_SIZE, type FileIdentity, rvfError } from '@rvfjs/types';
import type { ByteReader, ByteWriter } from './byte-reader.js';

/** FileIdentity (spec §7.2): file_id[16] | parent_id[16] | parent_hash[32] | lineage_depth u32. */
export function readFileIdentity(r: ByteReader): FileIdentity {
  const fileId = r.bytesCopy(16, 'file_id');
  const parentId = r.bytesCopy(16, 'parent_id');
  const parentHash = r.bytesCopy(32, 'parent_hash');
  const lineageDepth = r.u32('lineage_depth');
  return { fileId, parentId, parentHash, lineageDepth };
}

/** Writes a FileIdentity (68 bytes); throws when an id or hash has the wrong length. */
export function writeFileIdentity(w: ByteWriter, id: FileIdentity): void {
  w.bytes_(fixed(id.fileId, 16, 'file_id'));
  w.bytes_(fixed(id.parentId, 16, 'parent_id'));
  w.bytes_(fixed(id.parentHash, 32, 'parent_hash'));
  w.u32(id.lineageDepth);
}

/** The identity of a root file (no parent): the given file id, zero parent id and hash, depth 0. */
export const rootIdentityFields = (fileId: Uint8Array): FileIdentity => ({
  fileId,
  parentId: new Uint8Array(16),
  parentHash: new Uint8Array(32),
  lineageDepth: 0,
});

function fixed(bytes: Uint8Array, size: number, field: string): Uint8Array {
  if (bytes.length !== size)
    throw rvfError('InvalidManifest', `${field} must be ${size} bytes, got ${bytes.length}`);
  return bytes;
}

export { FILE_IDENTITY_SIZE };
