import {
  type DirectoryEntry,
  MAX_PAYLOAD_LENGTH,
  rvfError,
  SEGMENT_HEADER_SIZE,
  type SegmentHeader,
  segmentTypeName,
} from '@rvfjs/types';
import type { ByteSource } from './byte-source.js';
import { checkContentHash, type HashCheck } from './content-hash.js';
import { decodeSegmentHeader } from './segment-header.js';

export interface ReadSegment {
  offset: number;
  header: SegmentHeader;
  /** The whole segment, header and payload, as stored. */
  raw: Uint8Array;
  payload: Uint8Array;
  /** 'unset' when the stored hash is all zero (reference files may leave it so). */
  hash: HashCheck;
}

/**
 * Reads the segment a directory entry names and checks it the way the reference does
 * (spec §14): magic, length within bounds and matching the entry, type matching, and a
 * non-zero content hash that verifies. Every failure is InvalidChecksum (the reference's
 * code for all of them) with a message saying which check failed and where.
 */
export async function readSegmentAt(source: ByteSource, entry: DirectoryEntry): Promise<ReadSegment> {
  const what = `${segmentTypeName(entry.segType)} segment at offset ${entry.offset}`;
  const fail = (why: string) =>
    rvfError('InvalidChecksum', `${what}: ${why}`, { offset: entry.offset, segId: entry.segId });
  if (entry.offset + SEGMENT_HEADER_SIZE > source.size)
    throw fail(`header runs past the end of the file (${source.size})`);
  if (entry.payloadLength > MAX_PAYLOAD_LENGTH)
    throw fail(`payload length ${entry.payloadLength} exceeds 256 MiB`);
  const end = entry.offset + SEGMENT_HEADER_SIZE + entry.payloadLength;
  if (end > source.size) throw fail(`payload runs past the end of the file (${end} > ${source.size})`);
  const bytes = await source.read(entry.offset, SEGMENT_HEADER_SIZE + entry.payloadLength);
  let header: SegmentHeader;
  try {
    header = decodeSegmentHeader(bytes, entry.offset);
  } catch {
    throw fail('no segment magic');
  }
  if (header.payloadLength !== entry.payloadLength) {
    throw fail(`header says ${header.payloadLength} payload bytes, the manifest says ${entry.payloadLength}`);
  }
  if (header.segType !== entry.segType) {
    throw fail(`header type ${segmentTypeName(header.segType)} differs from the manifest's`);
  }
  const payload = bytes.subarray(SEGMENT_HEADER_SIZE);
  const hash = checkContentHash(header.contentHash, payload);
  if (hash === 'mismatch') throw fail('content hash mismatch (the payload is damaged)');
  return { offset: entry.offset, header, raw: bytes, payload, hash };
}
