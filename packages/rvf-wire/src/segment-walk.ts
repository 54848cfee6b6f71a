import { MAX_PAYLOAD_LENGTH, SEGMENT_HEADER_SIZE, type SegmentHeader } from '@rvfjs/types';
import type { ByteSource } from './byte-source.js';
import { checkContentHash, type HashCheck } from './content-hash.js';
import { decodeSegmentHeader } from './segment-header.js';

/** What a forward walk finds at an offset: a segment, or a gap of bytes that are none. */
export type WalkItem =
  | { kind: 'segment'; offset: number; header: SegmentHeader; hash: HashCheck }
  /** Bytes that are not a complete segment: garbage, a torn write, or a truncated tail. */
  | { kind: 'gap'; offset: number; length: number };

const MAGIC = [0x53, 0x46, 0x56, 0x52];

/**
 * Walks the file forward from offset 0, for inspection tools. Segments are back-to-back;
 * where a header does not parse or its payload runs past EOF, the walk reports a gap and
 * resynchronises at the next magic. It is a debugging aid: stores navigate by manifest.
 */
export async function* walkSegments(
  source: ByteSource,
  options: { verifyHashes?: boolean } = {},
): AsyncGenerator<WalkItem> {
  const all = await source.read(0, source.size);
  let at = 0;
  let gapStart = -1;
  while (at + SEGMENT_HEADER_SIZE <= all.length) {
    const seg = segmentAt(all, at);
    if (seg) {
      if (gapStart >= 0) yield { kind: 'gap', offset: gapStart, length: at - gapStart };
      gapStart = -1;
      const end = at + SEGMENT_HEADER_SIZE + seg.payloadLength;
      const hash = options.verifyHashes
        ? checkContentHash(seg.contentHash, all.subarray(at + SEGMENT_HEADER_SIZE, end))
        : 'unset';
      yield { kind: 'segment', offset: at, header: seg, hash };
      at = end;
      continue;
    }
    if (gapStart < 0) gapStart = at;
    at = nextMagic(all, at + 1);
  }
  if (gapStart < 0 && at < all.length) gapStart = at;
  if (gapStart >= 0 && gapStart < all.length)
    yield { kind: 'gap', offset: gapStart, length: all.length - gapStart };
}

function segmentAt(all: Uint8Array, at: number): SegmentHeader | undefined {
  for (let k = 0; k < 4; k++) if (all[at + k] !== MAGIC[k]) return undefined;
  try {
    const h = decodeSegmentHeader(all.subarray(at, at + SEGMENT_HEADER_SIZE), at);
    if (h.payloadLength > MAX_PAYLOAD_LENGTH || at + SEGMENT_HEADER_SIZE + h.payloadLength > all.length)
      return undefined;
    return h;
  } catch {
    return undefined;
  }
}

function nextMagic(all: Uint8Array, from: number): number {
  for (let i = from; i + SEGMENT_HEADER_SIZE <= all.length; i++) {
    if (all[i] === 0x53 && all[i + 1] === 0x46 && all[i + 2] === 0x56 && all[i + 3] === 0x52) return i;
  }
  return all.length;
}
