/** MANIFEST_SEG payload layout (spec §7). */
export const MANIFEST_FIXED_SIZE = 22;
/** Size of one segment-directory entry of a manifest, in bytes. */
export const DIRECTORY_ENTRY_SIZE = 25;
/** Marker in front of the file identity at the end of a manifest payload. */
export const IDENTITY_MARKER = 0x46494449; // bytes 49 44 49 46 "IDIF"
/** Size of the file identity (file id, parent id, parent hash, lineage depth), in bytes. */
export const FILE_IDENTITY_SIZE = 68;
/** Marker (4) + identity (68). */
export const IDENTITY_TRAILER_SIZE = 72;

/** Byte offsets of the fixed fields of a MANIFEST payload. */
export const ManifestOffset = {
  epoch: 0,
  dimension: 4,
  totalVectors: 6,
  segCount: 14,
  profileId: 18,
  metric: 19,
  reserved: 20,
  directory: 22,
} as const;

/** One entry of a manifest's segment directory: a segment the manifest makes part of the store. */
export interface DirectoryEntry {
  segId: bigint;
  /** Absolute file offset of the segment header. */
  offset: number;
  payloadLength: number;
  segType: number;
}

/** A file's identity and lineage: its id, and for a branch its parent's id and hash and its depth. */
export interface FileIdentity {
  /** 16 bytes, opaque. */
  fileId: Uint8Array;
  /** 16 bytes; zeros for a root file. */
  parentId: Uint8Array;
  /** 32 bytes; zeros for a root file. */
  parentHash: Uint8Array;
  lineageDepth: number;
}

/** A decoded MANIFEST payload: the state of the store at one epoch. */
export interface Manifest {
  epoch: number;
  dimension: number;
  /** Informational: the file's own vector-table size including soft-deleted ids. */
  totalVectors: bigint;
  profileId: number;
  /** The raw metric byte (see metricFromCode). */
  metricCode: number;
  directory: DirectoryEntry[];
  /** Tombstoned vector ids, ascending. */
  deletedIds: bigint[];
  /** Absent only in files older than the identity trailer. */
  identity?: FileIdentity;
}
