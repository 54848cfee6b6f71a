import {
  MAX_PAYLOAD_LENGTH,
  type Manifest,
  rvfError,
  SEGMENT_HEADER_SIZE,
  type SegmentHeader,
  SegmentType,
} from '@rvfjs/types';
import type { ByteSource } from './byte-source.js';
import { checkContentHash } from './content-hash.js';
import { decodeManifestPayload } from './manifest.js';
import { decodeSegmentHeader } from './segment-header.js';

/** The latest intact MANIFEST a tail scan found, decoded, with where it is. */
export interface FoundManifest {
  /** Absolute offset of the MANIFEST segment header. */
  offset: number;
  header: SegmentHeader;
  manifest: Manifest;
  /** Raw payload bytes (for hashing and re-encoding checks). */
  payload: Uint8Array;
  /** End of the manifest segment; anything after it is a torn or foreign tail. */
  end: number;
}

/** Options of the tail scan. */
export interface TailScanOptions {
  /**
   * Also reject candidates whose non-zero content hash does not verify (default true).
   * The reference does not check it (spec §6.6), so a bit-flipped last manifest is
   * accepted there; rvfjs falls back to the previous, intact manifest instead.
   */
  verifyHash?: boolean;
  /** Skip candidates that start at or after this offset (used to walk older manifests). */
  before?: number;
}

/** Windows the scan widens through: 64 KiB, 1 MiB, 16 MiB, then the whole file. */
const WINDOWS = [64 * 1024, 1024 * 1024, 16 * 1024 * 1024];

/**
 * Finds the last valid MANIFEST by scanning backwards from EOF (spec §6): every byte
 * position is a candidate if it holds the segment magic with type 0x05; candidates whose
 * payload is oversized, runs past EOF, or does not parse are skipped. Only the tail
 * window is read, so opening over HTTP costs one range request in the common case.
 */
export async function findLatestManifest(
  source: ByteSource,
  options: TailScanOptions = {},
): Promise<FoundManifest> {
  const found = await scanTail(source, options);
  if (found) return found;
  throw rvfError(
    'ManifestNotFound',
    source.size < SEGMENT_HEADER_SIZE
      ? `file is ${source.size} bytes, too small to hold an RVF segment`
      : `no valid MANIFEST segment in ${source.size} bytes: not an RVF file, or damaged beyond recovery`,
  );
}

/** Like findLatestManifest, but resolves to undefined instead of throwing when none is found. */
export async function scanTail(
  source: ByteSource,
  options: TailScanOptions = {},
): Promise<FoundManifest | undefined> {
  const verifyHash = options.verifyHash ?? true;
  const limit = Math.min(options.before ?? source.size, source.size);
  if (source.size < SEGMENT_HEADER_SIZE) return undefined;
  let scannedFrom = limit; // candidates at positions >= scannedFrom were already tried
  for (let w = 0; ; w++) {
    const windowSize = w < WINDOWS.length ? Math.min(WINDOWS[w]!, source.size) : source.size;
    const start = source.size - windowSize;
    const bytes = await source.read(start, windowSize);
    const top = Math.min(scannedFrom - 1, source.size - SEGMENT_HEADER_SIZE);
    for (let pos = top; pos >= start; pos--) {
      const i = pos - start;
      if (bytes[i] !== 0x53 || bytes[i + 1] !== 0x46 || bytes[i + 2] !== 0x56 || bytes[i + 3] !== 0x52)
        continue;
      if (bytes[i + 5] !== SegmentType.Manifest) continue;
      const hit = tryCandidate(bytes, i, start, source.size, verifyHash);
      if (hit) return hit;
    }
    scannedFrom = start;
    if (start === 0) return undefined;
  }
}

function tryCandidate(
  bytes: Uint8Array,
  i: number,
  windowStart: number,
  fileSize: number,
  verifyHash: boolean,
): FoundManifest | undefined {
  if (i + SEGMENT_HEADER_SIZE > bytes.length) return undefined;
  const offset = windowStart + i;
  let header: SegmentHeader;
  try {
    header = decodeSegmentHeader(bytes.subarray(i, i + SEGMENT_HEADER_SIZE), offset);
  } catch {
    return undefined; // payload_length beyond 2^53: certainly not a manifest we wrote
  }
  if (header.payloadLength > MAX_PAYLOAD_LENGTH) return undefined;
  const end = offset + SEGMENT_HEADER_SIZE + header.payloadLength;
  if (end > fileSize) return undefined; // torn write
  const payload = bytes.subarray(i + SEGMENT_HEADER_SIZE, i + SEGMENT_HEADER_SIZE + header.payloadLength);
  if (verifyHash && checkContentHash(header.contentHash, payload) === 'mismatch') return undefined;
  try {
    const manifest = decodeManifestPayload(payload, offset + SEGMENT_HEADER_SIZE);
    return { offset, header, manifest, payload, end };
  } catch {
    return undefined;
  }
}
