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
 * A branch offered no graph by its parent (the parent's was still being built when it
 * branched) that owns few of its vectors, closed before its own graph is complete: it saves
 * none, and its next open takes up the graph the parent saved meanwhile (see
 * graphSavedSincePin in lineage.ts), where closing would otherwise first build a graph of
 * every inherited vector (tens of seconds at 100k). A parent graph that was offered and not
 * used (it failed its check) does not count: then the branch's own graph is saved.
 */
export function graphLeftToParent(snap: Snapshot, graphs: GraphMaintainer): boolean {
  return ownsFewOfItsVectors(snap) && !graphs.parentGraphOffered && graphs.state() !== 'complete';
}

/**
 * A branch whose graph came from its parent's and that owns few of its vectors does not
 * save a copy: reopening seeds it from the parent again, which keeps the child file small.
 */
export function graphIsParents(snap: Snapshot, graphs: GraphMaintainer): boolean {
  return ownsFewOfItsVectors(snap) && graphs.seededFromParent;
}

/** A branch that owns less than a quarter of its vectors (the rest are its parent's). */
function ownsFewOfItsVectors(snap: Snapshot): boolean {
  return snap.link !== undefined && snap.table.ownCount * 4 < snap.table.idCount;
}
