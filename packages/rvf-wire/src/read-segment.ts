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

/** A segment read from a source: where it is, its header, its bytes and its hash check. */
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
export async function readSegmentAt(
  source: ByteSource,
  entry: DirectoryEntry,
  opts: {
    /**
     * Read into a SharedArrayBuffer, so the segment can go to worker threads without a copy
     * (and stay readable here while they use it).
     */
    shared?: boolean;
  } = {},
): Promise<ReadSegment> {
  checkEntryBounds(source, entry);
  const length = SEGMENT_HEADER_SIZE + entry.payloadLength;
  let bytes: Uint8Array;
  if (opts.shared) {
    bytes = new Uint8Array(new SharedArrayBuffer(length));
    if (source.readInto) await source.readInto(entry.offset, bytes);
    else bytes.set(await source.read(entry.offset, length));
  } else {
    bytes = await source.read(entry.offset, length);
  }
  const header = checkSegmentHeader(bytes, entry);
  const payload = bytes.subarray(SEGMENT_HEADER_SIZE);
  const hash = refuseMismatch(entry, checkContentHash(header.contentHash, payload));
  return { offset: entry.offset, header, raw: bytes, payload, hash };
}

/**
 * The payload of the segment a directory entry names, checked as readSegmentAt checks it,
 * read into a buffer of its own (header and payload in two reads): a large payload (a saved
 * graph) can then be kept, or handed to a worker thread, without copying it out of the
 * segment's bytes.
 */
export async function readSegmentPayload(source: ByteSource, entry: DirectoryEntry): Promise<Uint8Array> {
  checkEntryBounds(source, entry);
  const header = checkSegmentHeader(await source.read(entry.offset, SEGMENT_HEADER_SIZE), entry);
  const payload = await source.read(entry.offset + SEGMENT_HEADER_SIZE, entry.payloadLength);
  refuseMismatch(entry, checkContentHash(header.contentHash, payload));
  return payload;
}

/** A content hash check that failed is the InvalidChecksum error saying the payload is damaged. */
export function refuseMismatch(entry: DirectoryEntry, hash: HashCheck): HashCheck {
  if (hash === 'mismatch') throw segmentFailure(entry, 'content hash mismatch (the payload is damaged)');
  return hash;
}

/** The InvalidChecksum error for a segment that fails a check, naming it and where it is. */
export function segmentFailure(entry: DirectoryEntry, why: string) {
  return rvfError(
    'InvalidChecksum',
    `${segmentTypeName(entry.segType)} segment at offset ${entry.offset}: ${why}`,
    { offset: entry.offset, segId: entry.segId },
  );
}

/** The entry's segment lies within the source and within the payload limit. */
export function checkEntryBounds(source: ByteSource, entry: DirectoryEntry): void {
  if (entry.offset + SEGMENT_HEADER_SIZE > source.size)
    throw segmentFailure(entry, `header runs past the end of the file (${source.size})`);
  if (entry.payloadLength > MAX_PAYLOAD_LENGTH)
    throw segmentFailure(entry, `payload length ${entry.payloadLength} exceeds 256 MiB`);
  const end = entry.offset + SEGMENT_HEADER_SIZE + entry.payloadLength;
  if (end > source.size)
    throw segmentFailure(entry, `payload runs past the end of the file (${end} > ${source.size})`);
}

/** Decodes the 64-byte header at the start of `bytes` and checks it against the entry. */
export function checkSegmentHeader(bytes: Uint8Array, entry: DirectoryEntry): SegmentHeader {
  let header: SegmentHeader;
  try {
    header = decodeSegmentHeader(bytes, entry.offset);
  } catch {
    throw segmentFailure(entry, 'no segment magic');
  }
  if (header.payloadLength !== entry.payloadLength) {
    throw segmentFailure(
      entry,
      `header says ${header.payloadLength} payload bytes, the manifest says ${entry.payloadLength}`,
    );
  }
  if (header.segType !== entry.segType) {
    throw segmentFailure(entry, `header type ${segmentTypeName(header.segType)} differs from the manifest's`);
  }
  return header;
}
