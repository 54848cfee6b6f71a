import { SegmentType } from '@rvfjs/types';
import type { Commit } from './commit.js';
import type { GraphMaintainer } from './graph-maintainer.js';
import type { Snapshot } from './snapshot.js';

/** Saving the HNSW graph: bookkeeping, the epoch does not change. */
export function graphSaveCommit(snap: Snapshot, blob: Uint8Array): Commit {
  return {
    segments: [{ segType: SegmentType.RvfjsHnswGraph, payload: blob }],
    epoch: snap.manifest.epoch,
    deletedIds: snap.table.deleted,
    totalVectors: snap.table.ownCount,
  };
}

/**
 * A branch whose graph came from its parent's and that owns few of its vectors does not
 * save a copy: reopening seeds it from the parent again, which keeps the child file small.
 */
export function graphIsParents(snap: Snapshot, graphs: GraphMaintainer): boolean {
  return snap.link !== undefined && graphs.seededFromParent && snap.table.ownCount * 4 < snap.table.idCount;
}
