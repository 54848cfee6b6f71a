import {
  COW_MAP_EXTENSION_PREFIX_SIZE,
  COW_MAP_MAGIC,
  type CowMap,
  type CowMapEntry,
  CowMapEntryTag,
} from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';

/**
 * COW_MAP_SEG payload (spec §11.2): the 64-byte header, then the binary's extension
 * (bytes_per_vector, frozen, snapshot_epoch, parent path relative to the child's folder)
 * and a flat cluster map of (tag u8, value u64) entries.
 */
export function decodeCowMapPayload(payload: Uint8Array, fileOffset = 0): CowMap {
  const r = new ByteReader(payload, 'COW_MAP payload', fileOffset, 'CowMapCorrupt');
  const magic = r.u32('magic');
  if (magic !== COW_MAP_MAGIC) throw r.fail(`bad magic 0x${magic.toString(16)}`);
  const version = r.u16();
  const mapFormat = r.u8();
  const compressionPolicy = r.u8();
  const clusterSizeBytes = r.u32();
  const vectorsPerCluster = r.u32();
  const baseFileId = r.bytesCopy(16, 'base_file_id');
  const baseFileHash = r.bytesCopy(32, 'base_file_hash');
  const bytesPerVector = r.u32('bytes_per_vector');
  const frozen = r.u8('frozen') !== 0;
  const snapshotEpoch = r.u32('snapshot_epoch');
  const pathLen = r.u32('parent_path_len');
  const mapLen = r.u32('map_len');
  if (pathLen + mapLen !== r.remaining) {
    throw r.fail(`parent path (${pathLen}) + map (${mapLen}) do not match the ${r.remaining} bytes left`);
  }
  let parentPath: string;
  try {
    parentPath = new TextDecoder('utf-8', { fatal: true }).decode(r.bytesView(pathLen, 'parent path'));
  } catch (cause) {
    throw r.fail('parent path is not valid UTF-8', { cause });
  }
  const flatMapFormat = r.u8('map format');
  const clusterCount = r.u32('cluster_count');
  if (clusterCount * 9 !== r.remaining) {
    throw r.fail(`cluster_count ${clusterCount} needs ${clusterCount * 9} bytes, ${r.remaining} remain`);
  }
  const entries: CowMapEntry[] = new Array(clusterCount);
  for (let i = 0; i < clusterCount; i++) entries[i] = { tag: r.u8(), value: r.u64() };
  return {
    version,
    mapFormat,
    compressionPolicy,
    clusterSizeBytes,
    vectorsPerCluster,
    baseFileId,
    baseFileHash,
    bytesPerVector,
    frozen,
    snapshotEpoch,
    parentPath,
    flatMapFormat,
    entries,
  };
}

export function encodeCowMapPayload(m: CowMap): Uint8Array {
  const path = new TextEncoder().encode(m.parentPath);
  const mapLen = 5 + 9 * m.entries.length;
  const w = new ByteWriter(COW_MAP_EXTENSION_PREFIX_SIZE + path.length + mapLen);
  w.u32(COW_MAP_MAGIC).u16(m.version).u8(m.mapFormat).u8(m.compressionPolicy);
  w.u32(m.clusterSizeBytes).u32(m.vectorsPerCluster).bytes_(m.baseFileId).bytes_(m.baseFileHash);
  w.u32(m.bytesPerVector)
    .u8(m.frozen ? 1 : 0)
    .u32(m.snapshotEpoch)
    .u32(path.length)
    .u32(mapLen);
  w.bytes_(path).u8(m.flatMapFormat).u32(m.entries.length);
  for (const e of m.entries) w.u8(e.tag).u64(e.value);
  return w.finish();
}

/** vectors_per_cluster = max(1, floor(4096 / (4·dim))). */
export function vectorsPerCluster(dimension: number): number {
  return Math.max(1, Math.floor(4096 / (4 * dimension)));
}

/** The binary writes the next power of two ≥ vectors_per_cluster · bytes_per_vector. */
export function clusterSizeBytes(dimension: number): number {
  const raw = vectorsPerCluster(dimension) * 4 * dimension;
  let p = 1;
  while (p < raw) p *= 2;
  return p;
}

/** The COW_MAP a branch child writes: every cluster of the parent is a parent reference. */
export function branchCowMap(args: {
  dimension: number;
  parentVectorCount: number;
  baseFileId: Uint8Array;
  baseFileHash: Uint8Array;
  parentPath: string;
  frozen?: boolean;
  snapshotEpoch?: number;
}): CowMap {
  const vpc = vectorsPerCluster(args.dimension);
  const clusters = Math.ceil(args.parentVectorCount / vpc);
  return {
    version: 1,
    mapFormat: 0,
    compressionPolicy: 0,
    clusterSizeBytes: clusterSizeBytes(args.dimension),
    vectorsPerCluster: vpc,
    baseFileId: args.baseFileId,
    baseFileHash: args.baseFileHash,
    bytesPerVector: 4 * args.dimension,
    frozen: args.frozen ?? false,
    snapshotEpoch: args.snapshotEpoch ?? 0,
    parentPath: args.parentPath,
    flatMapFormat: 0,
    entries: Array.from({ length: clusters }, () => ({ tag: CowMapEntryTag.ParentRef, value: 0n })),
  };
}
