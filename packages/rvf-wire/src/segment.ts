import { SEGMENT_HEADER_SIZE } from '@rvfjs/types';
import { contentHash } from './content-hash.js';
import { encodeSegmentHeader, runtimeSegmentHeader } from './segment-header.js';

/** A whole segment (header + payload) as the reference writes it, content hash included. */
export function encodeSegment(segType: number, segmentId: bigint, payload: Uint8Array): Uint8Array {
  const header = encodeSegmentHeader(
    runtimeSegmentHeader(segType, segmentId, payload.length, contentHash(payload)),
  );
  const out = new Uint8Array(SEGMENT_HEADER_SIZE + payload.length);
  out.set(header, 0);
  out.set(payload, SEGMENT_HEADER_SIZE);
  return out;
}
