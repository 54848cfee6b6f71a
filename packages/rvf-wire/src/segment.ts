import { SEGMENT_HEADER_SIZE } from '@rvfjs/types';
import { contentHash } from './content-hash.js';
import { encodeSegmentHeader, runtimeSegmentHeader } from './segment-header.js';

/**
 * The 64-byte header the reference writes before `payload`. `hash` is the payload's content
 * hash when the caller has it already (it costs a pass over the payload).
 */
export function encodeSegmentHeaderFor(
  segType: number,
  segmentId: bigint,
  payload: Uint8Array,
  hash: Uint8Array = contentHash(payload),
): Uint8Array {
  return encodeSegmentHeader(runtimeSegmentHeader(segType, segmentId, payload.length, hash));
}

/** A whole segment (header + payload) as the reference writes it, content hash included. */
export function encodeSegment(segType: number, segmentId: bigint, payload: Uint8Array): Uint8Array {
  const header = encodeSegmentHeaderFor(segType, segmentId, payload);
  const out = new Uint8Array(SEGMENT_HEADER_SIZE + payload.length);
  out.set(header, 0);
  out.set(payload, SEGMENT_HEADER_SIZE);
  return out;
}
