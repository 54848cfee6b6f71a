/** COW_MAP (0x20), MEMBERSHIP (0x22) and REFCOUNT (0x21) layouts (spec §11). */
export const COW_MAP_MAGIC = 0x5256434d; // bytes 4D 43 56 52
/** Size of the fixed COW_MAP header, in bytes. */
export const COW_MAP_HEADER_SIZE = 64;
/** Header (64) + the binary's extension prefix up to the parent path (spec §11.2). */
export const COW_MAP_EXTENSION_PREFIX_SIZE = 81;

/** How a COW_MAP stores its cluster entries (`map_format`); the reference writes Flat. */
export const CowMapFormat = { Flat: 0, Art: 1, ExtentList: 2 } as const;
/** What a cluster entry of a COW_MAP points at: nothing yet, the parent's cluster, or a local one. */
export const CowMapEntryTag = { Unallocated: 0, ParentRef: 1, LocalOffset: 2 } as const;

/** One cluster of a copy-on-write map: its tag (CowMapEntryTag) and the offset or parent cluster it names. */
export interface CowMapEntry {
  tag: number;
  value: bigint;
}

/** A decoded COW_MAP segment: the branch's link to its parent file and one entry per cluster. */
export interface CowMap {
  version: number;
  mapFormat: number;
  compressionPolicy: number;
  clusterSizeBytes: number;
  vectorsPerCluster: number;
  /** 16 bytes: the parent's file_id. */
  baseFileId: Uint8Array;
  /** 32 bytes: equals FileIdentity.parentHash. */
  baseFileHash: Uint8Array;
  bytesPerVector: number;
  frozen: boolean;
  snapshotEpoch: number;
  /** UTF-8, relative to the child file's directory. */
  parentPath: string;
  /** Format byte of the flat map (0). */
  flatMapFormat: number;
  /** One per cluster; never mutated (decoded lazily, and fresh branch maps are shared). */
  entries: readonly CowMapEntry[];
}

/** Magic number at the start of a MEMBERSHIP segment. */
export const MEMBERSHIP_MAGIC = 0x52564d42; // bytes 42 4D 56 52
/** Size of the fixed MEMBERSHIP header, before the bitmap, in bytes. */
export const MEMBERSHIP_HEADER_SIZE = 96;
/** How the membership set is stored (`filter_type`); the reference writes a dense bitmap. */
export const MembershipFilterType = { DenseBitmap: 0, Roaring: 1 } as const;
/** Whether set bits mark the visible ids (Include) or the hidden ones (Exclude). */
export const MembershipMode = { Include: 0, Exclude: 1 } as const;

/** A decoded MEMBERSHIP segment: which of the parent's vector ids a branch can see. */
export interface Membership {
  version: number;
  filterType: number;
  /** 0 include (visible iff bit set), 1 exclude. */
  filterMode: number;
  /** Bitmap capacity in ids. */
  vectorCount: bigint;
  memberCount: bigint;
  filterOffset: bigint;
  generationId: number;
  /** simple_hash of the bitmap bytes, as stored. */
  filterHash: Uint8Array;
  bloomOffset: bigint;
  bloomSize: number;
  /** u64 LE words; id -> word id/64, bit id%64. */
  bitmap: Uint8Array;
}

/** Magic number at the start of a REFCOUNT segment. */
export const REFCOUNT_MAGIC = 0x52565243;
/** Size of the fixed REFCOUNT header, in bytes. */
export const REFCOUNT_HEADER_SIZE = 32;
