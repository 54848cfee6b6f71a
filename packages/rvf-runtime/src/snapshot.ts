import { type DirectoryEntry, type FileIdentity, type Manifest, SEGMENT_HEADER_SIZE } from '@rvfjs/types';
import { rootIdentityFields, type StoreState } from '@rvfjs/wire';
import type { BranchLink, ParentView } from './lineage.js';
import type { DamagedSegment } from './loader.js';
import type { FieldTable } from './metadata.js';
import type { VectorTable } from './vector-table.js';

/**
 * What a store knows about its file as of one commit. A snapshot is never changed: a commit
 * returns the next one (see commit.ts) and the store replaces its current one with a single
 * assignment once the commit is durable, so a failed write leaves memory as it was.
 *
 * One part is shared rather than copied: the vector table (vectors, ids, metadata, tombstones)
 * is large, and the query engine reads it in place. A write changes it only after its commit
 * succeeded, synchronously, in the same turn as the snapshot swap, so no reader ever sees the
 * table of one commit with the manifest of another.
 */
export interface Snapshot {
  /** The last committed manifest (epoch, directory, deleted ids, identity). */
  readonly manifest: Manifest;
  /** The manifest's own directory entry (a manifest does not list itself). */
  readonly manifestEntry: DirectoryEntry;
  /** The id the next segment written gets. */
  readonly nextSegId: bigint;
  /** Where the next commit starts: the end of the last committed byte. */
  readonly fileEnd: number;
  /** The RVFJS_STATE record: frozen flag, HNSW parameters, child count. */
  readonly state: StoreState;
  /** Visible vectors, ids and metadata (see above: updated in place, in step with swaps). */
  readonly table: VectorTable;
  /** Metadata field names by id. */
  readonly fields: FieldTable;
  /** A branch child's COW_MAP, MEMBERSHIP and pin; undefined for a root file. */
  readonly link: BranchLink | undefined;
  /** A branch child's view of its parent; undefined for a root file. */
  readonly parent: ParentView | undefined;
  /** The last committed witness payload: the next witness links to it. */
  readonly lastWitness: Uint8Array | undefined;
  /** Complete segments found after the manifest at open that the next commit will list. */
  readonly adopted: readonly DirectoryEntry[];
  /** Segments a recovering read-only open skipped. */
  readonly damaged: readonly DamagedSegment[];
}

/** The state record of a file that never wrote one. */
export const DEFAULT_STATE: StoreState = Object.freeze({
  frozen: false,
  frozenEpoch: 0,
  hnswM: 16,
  hnswEfConstruction: 200,
  hnswEfSearch: 100,
  branchCount: 0,
});

/** True when two state records agree on everything but the child count. */
export function sameState(a: StoreState, b: StoreState): boolean {
  return (
    a.frozen === b.frozen &&
    a.frozenEpoch === b.frozenEpoch &&
    a.hnswM === b.hnswM &&
    a.hnswEfConstruction === b.hnswEfConstruction &&
    a.hnswEfSearch === b.hnswEfSearch
  );
}

/** The file's identity (a file written without one reads as a root with a zero id). */
export function identityOf(snap: Snapshot): FileIdentity {
  return snap.manifest.identity ?? rootIdentityFields(new Uint8Array(16));
}

/** Where the current manifest segment ends. */
export function manifestEnd(snap: Snapshot): number {
  return snap.manifestEntry.offset + SEGMENT_HEADER_SIZE + snap.manifestEntry.payloadLength;
}
