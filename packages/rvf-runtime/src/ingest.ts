import { rvfError, SegmentType, WitnessType } from '@rvfjs/types';
import {
  contentHash,
  encodeFieldNamesPayload,
  encodeMetadataPayload,
  encodeVecPayload,
  type MetadataRecord,
  vecPayloadFingerprints,
} from '@rvfjs/wire';
import type { Commit, PendingSegment } from './commit.js';
import { type IdInput, type IdKey, keyToBigint, toIdKeys } from './ids.js';
import { groupMetadata, type MetadataInput } from './metadata.js';
import type { Snapshot } from './snapshot.js';
import type { VectorTable } from './vector-table.js';
import { flattenVectors, type VectorsInput } from './vectors-input.js';
import { witnessPayload } from './witness.js';

/** Options of ingestBatch(). */
export interface IngestOptions {
  /** Drop invalid rows (wrong length, NaN, ±Infinity) and count them as rejected instead of throwing. */
  skipInvalid?: boolean;
}

/** An ingest, worked out against a snapshot: what to commit, and what memory does after. */
export interface IngestPlan {
  accepted: number;
  rejected: number;
  /** Absent when no row was accepted (nothing to write). */
  commit?: Commit;
  /**
   * Puts the accepted rows into the table once the commit is durable; returns their ordinals,
   * and the inherited ordinals a branch superseded (ids it rewrote, now at `added` ones).
   */
  apply?: (table: VectorTable) => { added: number[]; superseded: number[] };
}

/**
 * Validates a batch and encodes it: a VEC segment, the field-name table if the batch adds
 * names, metadata (when the batch has some, or replaces vectors that had some), a witness.
 */
export function planIngest(
  snap: Snapshot,
  clock: () => bigint,
  vectors: VectorsInput,
  ids: readonly IdInput[] | BigUint64Array,
  metadata: MetadataInput | undefined,
  options: IngestOptions,
): IngestPlan {
  const dim = snap.manifest.dimension;
  const table = snap.table;
  const keys = toIdKeys(ids);
  const rowCount = Array.isArray(vectors) ? vectors.length : (vectors as Float32Array).length / dim;
  if (Number.isInteger(rowCount) && rowCount !== keys.length) {
    throw rvfError('DimensionMismatch', `${rowCount} vectors but ${keys.length} ids`);
  }
  const flat = flattenVectors(vectors, dim, options);
  // Names go into a copy, taken up only if the commit succeeds. The ids already in use
  // are collected (a scan of every record) only if a new name needs an id.
  const fields = snap.fields.clone();
  let used: Set<number> | undefined;
  const grouped = groupMetadata(metadata, keys.length, fields, {
    has: (id) => {
      used ??= table.metadata.fieldIds();
      return used.has(id);
    },
  });
  const acceptedKeys = flat.keptRows.map((r) => keys[r]!);
  const acceptedMeta = flat.keptRows.map((r) => grouped.perVector[r]);
  if (flat.count === 0) return { accepted: 0, rejected: flat.rejectedRows.length };

  const epoch = snap.manifest.epoch + 1;
  const vecPayload = encodeVecPayload({
    dimension: dim,
    ids: BigUint64Array.from(acceptedKeys, keyToBigint),
    vectors: flat.flat,
  });
  // Segments are numbered from the snapshot's next id in order, and the VEC segment goes first.
  const vecCompanion = { segId: snap.nextSegId, contentHash: contentHash(vecPayload) };
  const segments: PendingSegment[] = [
    { segType: SegmentType.Vec, payload: vecPayload, contentHash: vecCompanion.contentHash },
  ];
  if (grouped.namesAdded)
    segments.push({
      segType: SegmentType.RvfjsFieldNames,
      payload: encodeFieldNamesPayload(fields.entries()),
    });
  const needsMeta = acceptedKeys.some((key, i) => {
    const ord = table.ordinalOf.get(key);
    return acceptedMeta[i] !== undefined || (ord !== undefined && table.metadata.has(ord));
  });
  if (needsMeta) {
    const fingerprints = vecPayloadFingerprints(vecPayload);
    const records: MetadataRecord[] = acceptedKeys.map((key, i) => ({
      id: keyToBigint(key),
      fingerprint: fingerprints[i]!,
      fields: acceptedMeta[i] ?? [],
    }));
    segments.push({
      segType: SegmentType.RvfjsMetadata,
      payload: encodeMetadataPayload(records, vecCompanion),
    });
  }
  const witness = witnessPayload(
    snap.lastWitness,
    WitnessType.Computation,
    clock(),
    `ingest:count=${flat.count},epoch=${epoch}`,
  );
  segments.push({ segType: SegmentType.Witness, payload: witness });

  // Re-ingesting a deleted id makes it visible again (the reference keeps it hidden).
  const deleted = new Set(table.deleted);
  for (const key of acceptedKeys) deleted.delete(key);
  return {
    accepted: flat.count,
    rejected: flat.rejectedRows.length,
    commit: {
      segments,
      epoch,
      deletedIds: deleted,
      totalVectors: table.ownCount + countNotOwned(table, acceptedKeys),
      vectorsChanged: true,
      // The field table is replaced only when names were added, so caches keyed on it stay.
      next: { lastWitness: witness, ...(grouped.namesAdded ? { fields } : {}) },
    },
    apply: (t) => {
      const before = t.supersededCount;
      const ords = t.putBlock(acceptedKeys, flat.flat);
      ords.forEach((ord, i) => {
        t.metadata.set(ord, acceptedMeta[i]);
        t.undelete(acceptedKeys[i]!);
      });
      return { added: Array.from(ords), superseded: t.supersededSince(before) };
    },
  };
}

/** Ids of a batch the table does not own yet (each counts once toward the file's total). */
function countNotOwned(table: VectorTable, keys: readonly IdKey[]): number {
  const seen = new Set<IdKey>();
  for (const k of keys) {
    const ord = table.ordinalOf.get(k);
    if (ord === undefined || !table.isOwn(ord)) seen.add(k);
  }
  return seen.size;
}
