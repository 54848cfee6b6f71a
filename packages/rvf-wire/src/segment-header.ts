import {
  SegmentHeaderOffset as O,
  rvfError,
  SEGMENT_HEADER_SIZE,
  SEGMENT_MAGIC,
  SEGMENT_VERSION,
  type SegmentHeader,
} from '@rvfjs/types';
import { ByteReader } from './byte-reader.js';

/** Decodes 64 header bytes. Checks length and magic only; callers decide the rest. */
export function decodeSegmentHeader(bytes: Uint8Array, fileOffset = 0): SegmentHeader {
  if (bytes.length < SEGMENT_HEADER_SIZE) {
    throw rvfError('TruncatedSegment', `segment header needs 64 bytes, got ${bytes.length}`, {
      offset: fileOffset,
    });
  }
  const r = new ByteReader(bytes.subarray(0, SEGMENT_HEADER_SIZE), 'segment header', fileOffset);
  const magic = r.u32();
  if (magic !== SEGMENT_MAGIC) {
    throw rvfError(
      'InvalidMagic',
      `no segment magic at offset ${fileOffset} (found 0x${magic.toString(16)})`,
      {
        offset: fileOffset,
      },
    );
  }
  const version = r.u8();
  const segType = r.u8();
  const flags = r.u16();
  const segmentId = r.u64();
  const payloadLength = r.u64Number('payload_length');
  const timestampNs = r.u64();
  const checksumAlgo = r.u8();
  const compression = r.u8();
  const reserved0 = r.u16();
  const reserved1 = r.u32();
  const contentHash = r.bytesCopy(16);
  const uncompressedLen = r.u32();
  const alignmentPad = r.u32();
  return {
    magic,
    version,
    segType,
    flags,
    segmentId,
    payloadLength,
    timestampNs,
    checksumAlgo,
    compression,
    reserved0,
    reserved1,
    contentHash,
    uncompressedLen,
    alignmentPad,
  };
}

/** Encodes a header exactly as given (no defaults are filled in here). */
export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(O.magic, h.magic, true);
  v.setUint8(O.version, h.version);
  v.setUint8(O.segType, h.segType);
  v.setUint16(O.flags, h.flags, true);
  v.setBigUint64(O.segmentId, h.segmentId, true);
  v.setBigUint64(O.payloadLength, BigInt(h.payloadLength), true);
  v.setBigUint64(O.timestampNs, h.timestampNs, true);
  v.setUint8(O.checksumAlgo, h.checksumAlgo);
  v.setUint8(O.compression, h.compression);
  v.setUint16(O.reserved0, h.reserved0, true);
  v.setUint32(O.reserved1, h.reserved1, true);
  out.set(h.contentHash.subarray(0, 16), O.contentHash);
  v.setUint32(O.uncompressedLen, h.uncompressedLen, true);
  v.setUint32(O.alignmentPad, h.alignmentPad, true);
  return out;
}

/** The header the reference runtime writes: every field constant but type, id, length, hash. */
export function runtimeSegmentHeader(
  segType: number,
  segmentId: bigint,
  payloadLength: number,
  contentHash: Uint8Array,
): SegmentHeader {
  return {
    magic: SEGMENT_MAGIC,
    version: SEGMENT_VERSION,
    segType,
    flags: 0,
    segmentId,
    payloadLength,
    timestampNs: 0n,
    checksumAlgo: 0,
    compression: 0,
    reserved0: 0,
    reserved1: 0,
    contentHash,
    uncompressedLen: 0,
    alignmentPad: 0,
  };
}
