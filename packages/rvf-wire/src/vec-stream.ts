import {
  type DirectoryEntry,
  SEGMENT_HEADER_SIZE,
  type SegmentHeader,
  VEC_HEADER_SIZE,
  vecRecordSize,
} from '@rvfjs/types';
import type { ByteSource } from './byte-source.js';
import { checkContentHashCrc, type HashCheck } from './content-hash.js';
import { crc32 } from './crc32.js';
import { checkEntryBounds, checkSegmentHeader, refuseMismatch, segmentFailure } from './read-segment.js';
import { type DecodedVecBlock, vecRecords } from './vec-seg.js';

/** What streaming a VEC segment reports: its header, hash check, dimension and record count. */
export interface StreamedVecSegment {
  header: SegmentHeader;
  hash: HashCheck;
  dimension: number;
  count: number;
}

/**
 * Reads a VEC segment in pieces through one reused buffer and hands each run of whole
 * records to `visit`, with the same checks as readSegmentAt and decodeVecPayload. The
 * payload is never held in memory whole, and the small buffer stays in cache while its
 * records are copied out, which makes loading vectors markedly faster than reading the
 * segment and then copying it.
 *
 * Two things to know: each block views the reused buffer, so `visit` must take what it
 * needs before returning; and the content hash is known only after the last piece, so
 * `visit` has seen the records when a mismatch is thrown. Use it where a failure throws
 * away everything visited (a normal open); a recovery open reads whole segments instead.
 */
export async function streamVecSegment(
  source: ByteSource,
  entry: DirectoryEntry,
  visit: (block: DecodedVecBlock) => void,
  chunkBytes = 1 << 20,
  /**
   * Where to read the records, from its byte 0 (at most as many as fit, and `chunkBytes`):
   * a caller that copies records out its own way reads them where that copy is fastest.
   * Used when it holds one record at least, and only by a source with readInto.
   */
  readBuffer?: Uint8Array,
): Promise<StreamedVecSegment> {
  checkEntryBounds(source, entry);
  if (entry.payloadLength < VEC_HEADER_SIZE)
    throw segmentFailure(entry, `VEC payload of ${entry.payloadLength} bytes has no header`);
  const head = await source.read(entry.offset, SEGMENT_HEADER_SIZE + VEC_HEADER_SIZE);
  const header = checkSegmentHeader(head, entry);
  const view = new DataView(head.buffer, head.byteOffset + SEGMENT_HEADER_SIZE, VEC_HEADER_SIZE);
  const dimension = view.getUint16(0, true);
  const count = view.getUint32(2, true);
  const stride = vecRecordSize(dimension);
  const recordBytes = entry.payloadLength - VEC_HEADER_SIZE;
  if (count * stride !== recordBytes) {
    throw segmentFailure(
      entry,
      `${count} records of dimension ${dimension} need ${count * stride} bytes, payload has ${recordBytes}`,
    );
  }
  let crc = crc32(head.subarray(SEGMENT_HEADER_SIZE));
  const own = readBuffer && readBuffer.length >= stride ? readBuffer : undefined;
  const perChunk = Math.max(1, Math.floor(Math.min(chunkBytes, own?.length ?? chunkBytes) / stride));
  const buffer = source.readInto ? (own ?? takeBuffer(Math.min(count, perChunk) * stride)) : undefined;
  let at = entry.offset + SEGMENT_HEADER_SIZE + VEC_HEADER_SIZE;
  try {
    for (let done = 0; done < count; ) {
      const n = Math.min(perChunk, count - done);
      let bytes: Uint8Array;
      if (buffer && source.readInto) {
        bytes = buffer.subarray(0, n * stride);
        await source.readInto(at, bytes);
      } else {
        bytes = await source.read(at, n * stride);
      }
      crc = crc32(bytes, crc);
      visit(vecRecords(bytes, 0, n, dimension));
      done += n;
      at += n * stride;
    }
  } finally {
    if (buffer && buffer !== own) giveBack(buffer);
  }
  const hash = refuseMismatch(entry, checkContentHashCrc(header.contentHash, crc));
  return { header, hash, dimension, count };
}

/**
 * One read buffer kept between streams. A store's vectors come in many VEC segments (one per
 * ingest), and a fresh buffer for each costs a page fault per 4 KiB on its first fill, which
 * measured two to three times the read itself. A stream takes the spare (so two streams at
 * once never share one) and gives it back when done; at most one, of about `chunkBytes`, is kept.
 */
let spare: Uint8Array | undefined;

function takeBuffer(bytes: number): Uint8Array {
  const taken = spare && spare.length >= bytes ? spare : new Uint8Array(bytes);
  if (taken === spare) spare = undefined;
  return taken;
}

function giveBack(buffer: Uint8Array): void {
  if (!spare || buffer.length > spare.length) spare = buffer;
}
