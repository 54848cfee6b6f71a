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
  // A branch's map has an entry per parent cluster (12,500 for 100k×128), and opening a
  // branch needs only the header: the entries are decoded when first read.
  const map = r.bytesCopy(clusterCount * 9, 'cluster map');
  let entries: readonly CowMapEntry[] | undefined;
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
    get entries() {
      entries ??= decodeEntries(map);
      return entries;
    },
  };
}

/** (tag, value) pairs; "parent, 0" entries (nearly all of a branch's) share one object. */
function decodeEntries(map: Uint8Array): readonly CowMapEntry[] {
  const count = map.length / 9;
  const view = new DataView(map.buffer, map.byteOffset, map.byteLength);
  const entries: CowMapEntry[] = new Array(count);
  for (let i = 0, at = 0; i < count; i++, at += 9) {
    const tag = map[at]!;
    const value = view.getBigUint64(at + 1, true);
    entries[i] = tag === CowMapEntryTag.ParentRef && value === 0n ? PARENT_REF : { tag, value };
  }
  return entries;
}

/** Encodes a COW_MAP payload (the reference's layout, with the parent path extension). */
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
  const out = w.bytes;
  const start = w.position;
  if (UNIFORM_PARENT_MAPS.has(m.entries)) {
    // A fresh branch's map: one template entry, doubled in place (no per-entry work, which
    // matters because a branch usually runs this code once per process, unoptimised).
    writeParentMap(out.subarray(start, start + 9 * m.entries.length));
  } else {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let at = start;
    for (const e of m.entries) {
      out[at] = e.tag;
      if (e.value !== 0n) view.setBigUint64(at + 1, e.value, true);
      at += 9;
    }
  }
  w.zeros(9 * m.entries.length);
  return w.finish();
}

/** Fills `map` (whole entries, zeroed) with "parent, 0" entries by doubling a written prefix. */
function writeParentMap(map: Uint8Array): void {
  if (map.length === 0) return;
  map[0] = CowMapEntryTag.ParentRef;
  for (let done = 9; done < map.length; done *= 2) map.copyWithin(done, 0, Math.min(done, map.length - done));
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
    entries: parentRefs(clusters),
  };
}

/** The entry for a cluster still read from the parent (shared; entries are never mutated). */
const PARENT_REF: CowMapEntry = Object.freeze({ tag: CowMapEntryTag.ParentRef, value: 0n });

/**
 * Entry lists that are all PARENT_REF. They are frozen, so membership here stays true, and
 * the encoder can write them without looking at each entry.
 */
const UNIFORM_PARENT_MAPS = new WeakSet<readonly CowMapEntry[]>();

function parentRefs(count: number): readonly CowMapEntry[] {
  const entries = Object.freeze(new Array<CowMapEntry>(count).fill(PARENT_REF));
  UNIFORM_PARENT_MAPS.add(entries);
  return entries;
}
