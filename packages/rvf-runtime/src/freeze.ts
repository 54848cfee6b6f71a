import { SegmentType } from '@rvfjs/types';
import { encodeCowMapPayload, encodeStatePayload } from '@rvfjs/wire';
import type { Commit, PendingSegment } from './commit.js';
import type { Snapshot } from './snapshot.js';

/**
 * Freezing a file: the state record marks it frozen at the current epoch (the epoch does not
 * change, as in the reference), and a branch also records it where the reference looks
 * (COW_MAP frozen / snapshot_epoch). A graph the file owes is saved in the same commit: a
 * frozen file is never appended to again. The frozen state and the new link are part of the
 * next snapshot, so memory says frozen exactly when the file does.
 */
export function freezeCommit(snap: Snapshot, graph: Uint8Array | undefined): Commit {
  const epoch = snap.manifest.epoch;
  const state = { ...snap.state, frozen: true, frozenEpoch: epoch };
  const segments: PendingSegment[] = [
    { segType: SegmentType.RvfjsState, payload: encodeStatePayload(state) },
  ];
  const link = snap.link
    ? { ...snap.link, cow: { ...snap.link.cow, frozen: true, snapshotEpoch: epoch } }
    : undefined;
  if (link) segments.push({ segType: SegmentType.CowMap, payload: encodeCowMapPayload(link.cow) });
  if (graph) segments.push({ segType: SegmentType.RvfjsHnswGraph, payload: graph });
  return {
    segments,
    epoch,
    deletedIds: snap.table.deleted,
    totalVectors: snap.table.ownCount,
    next: { state, link },
  };
}
