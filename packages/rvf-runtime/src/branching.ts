import { shake256_256 } from '@rvfjs/crypto/hashes';
import { type FileIdentity, metricFromCode, SEGMENT_HEADER_SIZE, SegmentType } from '@rvfjs/types';
import {
  type BranchPin,
  type ByteSource,
  branchCowMap,
  encodeBranchPinPayload,
  encodeCowMapPayload,
  encodeMembershipPayload,
  encodeStatePayload,
  fileHandleSource,
  type StoreState,
} from '@rvfjs/wire';
import {
  abandonFile,
  type Commit,
  discardPrivateFile,
  type LaidOutCommit,
  layOut,
  openPrivateFile,
  type PendingSegment,
  publishFile,
  type ReservedFile,
  type StoreFile,
  writeCommit,
  writePrivateFile,
} from './commit.js';
import { type CreateArgs, type CreatedFile, layOutNewFile, refuseExisting } from './create-file.js';
import { localFileSource } from './file-io.js';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';
import { makeFileId, relativeParentPath, tailHash } from './identity.js';
import type { BranchLink } from './lineage.js';
import { savedGraphReader } from './lineage.js';
import { acquireWriterLock, type LockOptions } from './lock.js';
import { type ChildMembers, childMembers, membershipOf } from './membership.js';
import type { Signer } from './signing.js';
import { DEFAULT_STATE, identityOf, type Snapshot, sameState } from './snapshot.js';

/** Copy-on-write statistics of a branch child (see cowStats()). */
export interface CowStats {
  clusterCount: number;
  /** Clusters in which the child has overridden or hidden at least one inherited vector. */
  localClusters: number;
  inheritedClusters: number;
  clusterSizeBytes: number;
  vectorsPerCluster: number;
  frozen: boolean;
}

/**
 * The parent's bookkeeping commit for a new child (a frozen file writes none): one more child
 * pins this file, which makes compact() refuse unless forced. A new child also gets the graph
 * save the parent owes, if any, in the same commit: the reference checks a child against a
 * hash of its parent's last 64 KiB as they were at the branch, so any later append to the
 * parent (closing would save the graph) makes the reference refuse the child.
 */
export function childCountCommit(snap: Snapshot, change: 1 | -1, graph: Uint8Array | undefined): Commit {
  const state = { ...snap.state, branchCount: snap.state.branchCount + change };
  return {
    segments: [
      { segType: SegmentType.RvfjsState, payload: encodeStatePayload(state) },
      ...(graph ? [{ segType: SegmentType.RvfjsHnswGraph, payload: graph }] : []),
    ],
    epoch: snap.manifest.epoch,
    deletedIds: snap.table.deleted,
    totalVectors: snap.table.ownCount,
    next: { state },
  };
}

/** parent_hash as the reference computes it: simple_hash of the file's last 64 KiB, now. */
export async function currentTailHash(
  fh: StoreFileHandle,
): Promise<{ source: ByteSource; parentHash: Uint8Array }> {
  const size = (await fh.stat()).size;
  const source = fileHandleSource(fh, size);
  return {
    source,
    parentHash: tailHash(await source.read(Math.max(0, size - 65536), Math.min(size, 65536))),
  };
}

/** The identity of a new child of a file (branch or derive). */
export function childIdentity(
  parent: Snapshot,
  childPath: string,
  clock: () => bigint,
  parentHash: Uint8Array,
): FileIdentity {
  const identity = identityOf(parent);
  return {
    fileId: makeFileId(childPath, clock()),
    parentId: identity.fileId,
    parentHash,
    lineageDepth: identity.lineageDepth + 1,
  };
}

/** A child's state record: the parent's index parameters, not frozen, no children. */
export function childState(parent: Snapshot): StoreState {
  return { ...parent.state, frozen: false, frozenEpoch: 0, branchCount: 0 };
}

/** What branch() needs of the parent handle it runs on. */
export interface BranchParent {
  path: string;
  file: StoreFile;
  snap: Snapshot;
  /** False for a frozen or read-only parent, which records no child (see branchChild). */
  records: boolean;
  /** The graph save the parent owes, committed with its record of the child. */
  graph: { blob: Uint8Array; committed: () => void } | undefined;
  /** True when the parent's saved graph is its current one (a child can seed from it). */
  savedGraphCurrent: boolean;
  /** The parent's record of the child is durable: the parent swaps in this snapshot. */
  recorded(next: Snapshot): void;
  /** The child could not be made after all: the parent takes its record back. */
  takeBack(): Promise<void>;
}

/**
 * Makes a copy-on-write child of `parent` at `childPath`, crash-safe in three fsync rounds:
 *
 * 1. The parent's record of the child (one more child pins it, plus any graph save it owes;
 *    see childCountCommit) is laid out in memory first, so the child can pin the parent as it
 *    will be after it: the pin names the record's manifest, and the reference's parent hash
 *    covers the record's bytes (computed from memory and the parent's committed tail).
 * 2. The child's writer lock is taken; then, at once: the parent commits its record (data →
 *    fsync → manifest → fsync) while the child's contents are worked out (CPU, and a read of
 *    the parent's committed tail, which the record does not touch) and written whole under a
 *    private name, with one fsync (the private name needs no lock; linking it does).
 * 3. Once both are durable the child is linked into place and its folder fsynced. A crash
 *    before the link leaves no child (a record without a child only makes compact() ask for
 *    force); after it, a child whose parent already records it.
 *
 * A frozen parent is not written at all: it can neither change nor be compacted, so its
 * children need no record, and the reference, which checks each child against a hash of the
 * parent's tail, opens every one of them.
 */
export async function branchChild(
  parent: BranchParent,
  childPath: string,
  clock: () => bigint,
  lock: LockOptions | undefined,
): Promise<{ created: CreatedFile; args: CreateArgs }> {
  const fsys = parent.file.fsys;
  // Everything that can refuse the branch is checked before the parent records a child.
  await refuseExisting(childPath);
  const members = childMembers(parent.snap.table);
  const record = parent.records
    ? layOut(parent.snap, childCountCommit(parent.snap, 1, parent.graph?.blob), parent.file.signer)
    : undefined;
  // The child's lock first: its calls are inline and take microseconds now, while no commit
  // of ours is under way (on ext4, creating or removing a name waits behind a journal commit
  // in progress, so taking it while the fsyncs below run took longer, even on the thread pool).
  // The record's first fsync is then under way while the child is worked out.
  const locking = acquireWriterLock(childPath, lock);
  const recording = record ? writeCommit(parent.file, record) : Promise.resolve(undefined);
  const childWritten = (async () => {
    const pinned = record
      ? { snap: record.next, ...(await stateAfter(parent.file.fh, record)) }
      : { snap: parent.snap, ...(await stateNow(parent.file.fh, parent.snap)) };
    const args = childCreateArgs(
      {
        path: parent.path,
        fsys,
        signer: parent.file.signer,
        savedGraphCurrent: parent.savedGraphCurrent || parent.graph !== undefined,
        ...pinned,
      },
      childPath,
      members,
      clock,
      lock,
    );
    const laid = layOutNewFile(args);
    const file = await openPrivateFile(childPath, fsys);
    try {
      await writePrivateFile(file, childPath, laid.bytes);
    } catch (e) {
      await discardPrivateFile(file, fsys);
      throw e;
    }
    return { file, laid, args };
  })();
  const [child, recorded, locked] = await Promise.allSettled([childWritten, recording, locking]);
  if (recorded.status === 'fulfilled' && recorded.value) {
    parent.graph?.committed();
    parent.recorded(recorded.value);
  }
  if (child.status === 'rejected' || recorded.status === 'rejected' || locked.status === 'rejected') {
    // No child after all: undo what did happen. A durable record is taken back, so compact()
    // is not refused for a child that does not exist.
    if (child.status === 'fulfilled') await discardPrivateFile(child.value.file, fsys);
    if (locked.status === 'fulfilled') await locked.value.release();
    if (record && recorded.status === 'fulfilled') await parent.takeBack().catch(() => undefined);
    throw child.status === 'rejected'
      ? child.reason
      : recorded.status === 'rejected'
        ? recorded.reason
        : (locked as PromiseRejectedResult).reason;
  }
  const { file, laid, args } = child.value;
  const reserved: ReservedFile = { ...file, lock: locked.value };
  try {
    await publishFile(reserved, childPath, fsys);
  } catch (e) {
    await abandonFile(reserved, fsys);
    throw e;
  }
  return { created: { fh: reserved.fh, lock: reserved.lock, snapshot: laid.snapshot }, args };
}

/** The parent as a child pins it when it records nothing: its manifest and tail hash now. */
async function stateNow(
  fh: StoreFileHandle,
  snap: Snapshot,
): Promise<{ parentHash: Uint8Array; manifestRaw: Uint8Array }> {
  const { source, parentHash } = await currentTailHash(fh);
  const entry = snap.manifestEntry;
  return {
    parentHash,
    manifestRaw: await source.read(entry.offset, SEGMENT_HEADER_SIZE + entry.payloadLength),
  };
}

/**
 * The parent as a child pins it once `record` is durable: the record's manifest, and the hash
 * of the last 64 KiB the file will then end with (the record's bytes, after as much of the
 * committed tail as fits).
 */
async function stateAfter(
  fh: StoreFileHandle,
  record: LaidOutCommit,
): Promise<{ parentHash: Uint8Array; manifestRaw: Uint8Array }> {
  const { data, manifest } = record.bytes;
  const appended = data.length + manifest.length;
  const fromFile = Math.min(record.start, Math.max(0, TAIL_HASH_BYTES - appended));
  const tail = new Uint8Array(fromFile + appended);
  if (fromFile > 0)
    tail.set(await localFileSource(fh, record.start).read(record.start - fromFile, fromFile), 0);
  tail.set(data, fromFile);
  tail.set(manifest, fromFile + data.length);
  return { parentHash: tailHash(tail), manifestRaw: manifest };
}

/** The reference hashes this much of a parent's end (spec §7.2). */
const TAIL_HASH_BYTES = 65536;

/** The parent as a new child pins it. */
interface PinnedParent {
  path: string;
  fsys: StoreFileSystem;
  signer: Signer | undefined;
  savedGraphCurrent: boolean;
  /** The parent's snapshot the child pins (after its record of the child, if it makes one). */
  snap: Snapshot;
  /** The bytes of that snapshot's manifest segment (the pin's digest covers them). */
  manifestRaw: Uint8Array;
  /** The reference's parent hash of the file as it is with that manifest last. */
  parentHash: Uint8Array;
}

/**
 * A branch child's first contents: the reference's COW_MAP and MEMBERSHIP (so the reference
 * can open it), a pin to the parent's manifest (so later parent writes change nothing for the
 * child), and its starting table over the parent's.
 */
function childCreateArgs(
  parent: PinnedParent,
  childPath: string,
  members: ChildMembers,
  clock: () => bigint,
  lock: LockOptions | undefined,
): CreateArgs {
  const { snap, parentHash } = parent;
  const t = snap.table;
  const identity = identityOf(snap);
  const dimension = snap.manifest.dimension;
  const entry = snap.manifestEntry;
  const cow = branchCowMap({
    dimension,
    // One per vector of the parent's, as the reference counts them: an id the parent (itself a
    // branch) rewrote is one vector, though it holds two ordinals (see VectorTable).
    parentVectorCount: t.idCount,
    baseFileId: identity.fileId,
    baseFileHash: parentHash,
    parentPath: relativeParentPath(childPath, parent.path),
  });
  const pin: BranchPin = {
    parentEpoch: snap.manifest.epoch,
    manifestOffset: entry.offset,
    manifestPayloadLength: entry.payloadLength,
    manifestDigest: shake256_256(parent.manifestRaw),
    parentFileId: identity.fileId,
  };
  // The child seeds its index from the parent's saved graph, read lazily in the background.
  const parentGraph = parent.savedGraphCurrent
    ? savedGraphReader(parent.path, snap.manifest.directory)
    : undefined;
  const state = childState(snap);
  const link: BranchLink = {
    cow,
    membership: membershipOf(members.bitmap, BigInt(members.capacity), members.count),
    pin,
  };
  const segments: PendingSegment[] = [
    { segType: SegmentType.CowMap, payload: encodeCowMapPayload(cow) },
    { segType: SegmentType.Membership, payload: encodeMembershipPayload(link.membership) },
    { segType: SegmentType.RvfjsBranchPin, payload: encodeBranchPinPayload(pin) },
  ];
  if (!sameState(state, DEFAULT_STATE))
    segments.push({ segType: SegmentType.RvfjsState, payload: encodeStatePayload(state) });
  return {
    dimension,
    metric: metricFromCode(snap.manifest.metricCode),
    profile: snap.manifest.profileId,
    identity: childIdentity(snap, childPath, clock, parentHash),
    state,
    lock,
    fileSystem: parent.fsys,
    signer: parent.signer,
    branch: {
      segments,
      table: t.forkForChild(members.bitmap, true),
      link,
      parent: {
        path: parent.path,
        table: t,
        fields: snap.fields,
        fileId: identity.fileId,
        depth: identity.lineageDepth,
        ...(parentGraph ? { graph: parentGraph } : {}),
      },
      fields: snap.fields.clone(),
    },
  };
}

/** The COW_MAP that records a moved parent's new location. */
export function relinkCommit(
  snap: Snapshot,
  link: BranchLink,
  childPath: string,
  parentPath: string,
): Commit {
  const cow = { ...link.cow, parentPath: relativeParentPath(childPath, parentPath) };
  return {
    segments: [{ segType: SegmentType.CowMap, payload: encodeCowMapPayload(cow) }],
    epoch: snap.manifest.epoch,
    deletedIds: snap.table.deleted,
    totalVectors: snap.table.ownCount,
    next: {
      link: { ...link, cow },
      ...(snap.parent ? { parent: { ...snap.parent, path: parentPath } } : {}),
    },
  };
}

/** Copy-on-write statistics of a branch, or undefined for a file that is not one. */
export function cowStats(snap: Snapshot): CowStats | undefined {
  if (!snap.link || !snap.parent) return undefined;
  const { cow } = snap.link;
  const vpc = cow.vectorsPerCluster;
  const t = snap.table;
  const local = new Set<number>();
  const clusters = cow.entries.length;
  for (let ord = 0; ord < snap.parent.table.count; ord++) {
    const cluster = Math.floor(ord / vpc);
    if (cluster < clusters && (t.isOwn(ord) || !t.isLive(ord))) local.add(cluster);
  }
  return {
    clusterCount: clusters,
    localClusters: local.size,
    inheritedClusters: clusters - local.size,
    clusterSizeBytes: cow.clusterSizeBytes,
    vectorsPerCluster: vpc,
    frozen: cow.frozen || snap.state.frozen,
  };
}
