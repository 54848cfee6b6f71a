/** Layout of the 64-byte segment header (spec §2). All fields little-endian. */
export const SEGMENT_MAGIC = 0x52564653; // bytes 53 46 56 52 on disk
/** The segment format version written and accepted. */
export const SEGMENT_VERSION = 1;
/** Size of every segment header, in bytes. */
export const SEGMENT_HEADER_SIZE = 64;
/** Largest payload the reference accepts; larger lengths are treated as corrupt. */
export const MAX_PAYLOAD_LENGTH = 256 * 1024 * 1024;

/** Byte offsets of the fields of a segment header. */
export const SegmentHeaderOffset = {
  magic: 0x00,
  version: 0x04,
  segType: 0x05,
  flags: 0x06,
  segmentId: 0x08,
  payloadLength: 0x10,
  timestampNs: 0x18,
  checksumAlgo: 0x20,
  compression: 0x21,
  reserved0: 0x22,
  reserved1: 0x24,
  contentHash: 0x28,
  uncompressedLen: 0x38,
  alignmentPad: 0x3c,
} as const;

/** Size of a header's content-hash field, in bytes. */
export const CONTENT_HASH_SIZE = 16;

/** Flag bits defined by the reference (it never sets or reads them). */
export const SegmentFlag = {
  Compressed: 0x0001,
  Encrypted: 0x0002,
  Signed: 0x0004,
  Sealed: 0x0008,
  Partial: 0x0010,
  Tombstone: 0x0020,
  Hot: 0x0040,
  Overlay: 0x0080,
  Snapshot: 0x0100,
  Checkpoint: 0x0200,
  Attested: 0x0400,
  HasLineage: 0x0800,
} as const;
/** Flag bits no version defines; a header with any of them set is rejected. */
export const SEGMENT_FLAGS_RESERVED_MASK = 0xf000;

/** A decoded 64-byte segment header. */
export interface SegmentHeader {
  magic: number;
  version: number;
  segType: number;
  flags: number;
  segmentId: bigint;
  payloadLength: number;
  timestampNs: bigint;
  checksumAlgo: number;
  compression: number;
  reserved0: number;
  reserved1: number;
  /** 16 bytes: CRC32 rotated into four lanes; all zero = not set. */
  contentHash: Uint8Array;
  uncompressedLen: number;
  alignmentPad: number;
}
