import { SegmentType, WitnessType } from '@rvfjs/types';
import { deleteJournal, encodeJournalPayload } from '@rvfjs/wire';
import type { Commit, PendingSegment } from './commit.js';
import type { Filter } from './filter.js';
import { type IdKey, keyToBigint } from './ids.js';
import { membershipWithout } from './membership.js';
import type { Snapshot } from './snapshot.js';
import type { VectorTable } from './vector-table.js';
import { witnessPayload } from './witness.js';

/** What a delete did: visible vectors it hid, and the epoch it committed. */
export interface DeleteResult {
  deleted: number;
  epoch: number;
}

/** A delete, worked out against a snapshot: what to commit, and what memory does after. */
export interface DeletePlan {
  /** Visible ids the delete hides. */
  removed: number;
  commit: Commit;
  /** Hides the ids in the table once the commit is durable; returns their ordinals. */
  apply: (table: VectorTable) => number[];
}

/**
 * A JOURNAL naming the ids and a witness; own ids become tombstones, and a branch hides
 * inherited ones by clearing their membership bits (as the reference does).
 */
export function planDelete(snap: Snapshot, clock: () => bigint, keys: readonly IdKey[]): DeletePlan {
  const t = snap.table;
  const removed = [...new Set(keys)].filter((k) => {
    const ord = t.ordinalOf.get(k);
    return ord !== undefined && t.isLive(ord);
  });
  const epoch = snap.manifest.epoch + 1;
  const journal = encodeJournalPayload(deleteJournal(epoch, keys.map(keyToBigint)));
  const witness = witnessPayload(
    snap.lastWitness,
    WitnessType.DataProvenance,
    clock(),
    `delete:count=${removed.length},epoch=${epoch}`,
  );
  const deleted = new Set(t.deleted);
  const ownRemoved = removed.filter((k) => t.isOwn(t.ordinalOf.get(k)!));
  for (const k of ownRemoved) deleted.add(k);
  const segments: PendingSegment[] = [
    { segType: SegmentType.Journal, payload: journal },
    { segType: SegmentType.Witness, payload: witness },
  ];
  const membership = membershipWithout(t, snap.link, keys);
  if (membership?.segment) segments.push(membership.segment);
  return {
    removed: removed.length,
    commit: {
      segments,
      epoch,
      deletedIds: deleted,
      totalVectors: t.ownCount,
      vectorsChanged: true,
      next: { lastWitness: witness },
    },
    apply: (table) => {
      table.hide(ownRemoved, membership?.bitmap, removed);
      return removed.map((k) => table.ordinalOf.get(k)!);
    },
  };
}

/** The visible ids whose metadata matches a filter. */
export function idsMatching(table: VectorTable, filter: Filter): IdKey[] {
  const keys: IdKey[] = [];
  for (let ord = 0; ord < table.count; ord++)
    if (table.isLive(ord) && table.metadata.matches(ord, filter)) keys.push(table.idOf(ord));
  return keys;
}
