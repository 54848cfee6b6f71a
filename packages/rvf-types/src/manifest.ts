/** MANIFEST_SEG payload layout (spec §7). */
export const MANIFEST_FIXED_SIZE = 22;
export const DIRECTORY_ENTRY_SIZE = 25;
export const IDENTITY_MARKER = 0x46494449; // bytes 49 44 49 46 "IDIF"
export const FILE_IDENTITY_SIZE = 68;
/** Marker (4) + identity (68). */
export const IDENTITY_TRAILER_SIZE = 72;

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

export interface DirectoryEntry {
  segId: bigint;
  /** Absolute file offset of the segment header. */
  offset: number;
  payloadLength: number;
  segType: number;
}

export interface FileIdentity {
  /** 16 bytes, opaque. */
  fileId: Uint8Array;
  /** 16 bytes; zeros for a root file. */
  parentId: Uint8Array;
  /** 32 bytes; zeros for a root file. */
  parentHash: Uint8Array;
  lineageDepth: number;
}

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
