import type { DirectoryEntry } from '@rvfjs/types';
import { type MetadataCompanion, vectorFingerprint } from '@rvfjs/wire';
import type { EncodedColumn } from './encoded-column.js';
import type { DamagedSegment } from './loader.js';
import { type MetadataRecords, metadataRecords } from './metadata-records.js';
import type { VectorTable } from './vector-table.js';

/** Records looked at per slice of background work. */
const RECORDS_PER_SLICE = 4096;

/** A VEC segment of the layer being loaded. */
export interface VecSegmentInfo {
  segId: bigint;
  contentHash: Uint8Array;
  /** Index in the manifest directory. */
  position: number;
}

/** A metadata segment of the layer: its entry, directory position and (hash-checked) payload. */
export interface MetaSegmentInfo {
  entry: DirectoryEntry;
  position: number;
  payload: Uint8Array;
}

/**
 * Works out this layer's metadata on top of `values` (the parent's, for a branch), as the
 * directory order implies (docs/format-extensions.md, 0x40):
 * - a VEC record starts a new version of its vector, without metadata;
 * - version-1 records apply in directory order, to ids no later VEC record rewrote;
 * - fingerprinted records (versions 2 and 3) apply, last match winning, when the id's
 *   current own vector is the version they name: it comes from their companion VEC
 *   segment (version 3, no hashing needed), or its fingerprint matches.
 * Only ordinals that existed at load are considered: later ones are new vectors.
 *
 * Nothing is decoded: an ordinal is pointed at its record's field list inside the payload
 * (which the column then holds). A generator, pausing every few thousand records, so that a
 * store can do this in the background. A recovery open applies a segment whole or not at
 * all, so there each segment is walked once to check it before any record applies.
 */
export function* replayMetadata(
  values: EncodedColumn,
  table: VectorTable,
  loadedCount: number,
  vecSource: Int32Array,
  vecSegments: readonly VecSegmentInfo[],
  metaSegments: readonly MetaSegmentInfo[],
  recover: boolean,
  damaged: DamagedSegment[],
): Generator<void> {
  for (let ord = 0; ord < loadedCount && ord < values.size; ord++) {
    if (vecSource[ord]! >= 0) values.clear(ord);
  }
  const usable: MetaSegmentInfo[] = [];
  for (const seg of metaSegments) {
    try {
      const records = open(seg);
      if (recover) while (records.next());
      usable.push(seg);
    } catch (e) {
      if (!recover) throw e;
      damaged.push({ offset: seg.entry.offset, segType: seg.entry.segType, message: (e as Error).message });
    }
  }
  let seen = 0;
  // Version-1 records first, in directory order; fingerprinted ones after, whatever their
  // position (a segment holds one kind or the other). Pauses come between segments and
  // every few thousand records.
  for (const seg of usable) {
    const records = open(seg);
    if (records.version !== 1) continue;
    yield;
    let chunk = -1;
    while (records.next()) {
      if (++seen % RECORDS_PER_SLICE === 0) yield;
      const ord = table.ordinalOf.get(records.key);
      if (ord === undefined || ord >= loadedCount) continue;
      const src = vecSource[ord]!;
      if (src >= 0 && vecSegments[src]!.position > seg.position) continue;
      if (records.fieldCount === 0) values.clear(ord);
      else {
        if (chunk < 0) chunk = values.addChunk(seg.payload);
        values.point(ord, chunk, records.fieldsAt);
      }
    }
  }
  for (const seg of usable) {
    const records = open(seg);
    if (records.version === 1) continue;
    const companion = records.companion ? findCompanion(vecSegments, records.companion, seg.position) : -1;
    yield;
    let chunk = -1;
    while (records.next()) {
      // Fingerprints may hash each vector: pause every few thousand.
      if (++seen % RECORDS_PER_SLICE === 0) yield;
      const ord = table.ordinalOf.get(records.key);
      if (ord === undefined || ord >= loadedCount || vecSource[ord]! < 0) continue;
      // Written with the segment the vector still comes from: current by construction.
      const current =
        (companion >= 0 && vecSource[ord] === companion) ||
        vectorFingerprint(records.id(), table.vectorOf(ord)) === records.fingerprint;
      if (!current) continue;
      if (records.fieldCount === 0) values.clear(ord);
      else {
        if (chunk < 0) chunk = values.addChunk(seg.payload);
        values.point(ord, chunk, records.fieldsAt);
      }
    }
  }
}

function open(seg: MetaSegmentInfo): MetadataRecords {
  return metadataRecords(seg.payload, seg.entry.offset + 64);
}

/**
 * The index (in this layer's VEC segments, latest first) of the segment a metadata segment
 * names as its companion, or -1. Both the id and the content hash must match: a compaction
 * restarts segment ids, so an id alone could name a different segment.
 */
function findCompanion(
  vecSegments: readonly VecSegmentInfo[],
  companion: MetadataCompanion,
  /** The metadata segment's directory position: its companion comes before it. */
  before: number,
): number {
  for (let i = vecSegments.length - 1; i >= 0; i--) {
    const v = vecSegments[i]!;
    if (v.position > before) continue;
    if (v.segId === companion.segId && sameBytes(v.contentHash, companion.contentHash)) return i;
  }
  return -1;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
