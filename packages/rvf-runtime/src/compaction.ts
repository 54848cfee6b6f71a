import { type DirectoryEntry, type Manifest, rvfError, SegmentType, WitnessType } from '@rvfjs/types';
import {
  type ByteSource,
  contentHash,
  encodeFieldNamesPayload,
  encodeManifestPayload,
  encodeMetadataPayload,
  encodeSegment,
  encodeStatePayload,
  encodeVecPayload,
  type MetadataCompanion,
  type MetadataRecord,
  readSegmentAt,
  vectorFingerprint,
} from '@rvfjs/wire';
import { type IdKey, keyToBigint } from './ids.js';
import { type SignedTarget, type Signer, signaturePayloads } from './signing.js';
import { DEFAULT_STATE, type Snapshot, sameState } from './snapshot.js';
import { witnessPayload } from './witness.js';

/** Options of compact(). */
export interface CompactOptions {
  force?: boolean;
  /** Called as the new file is written: bytes written so far, of the file's total. */
  onProgress?: (done: number, total: number) => void;
}

/** What compact() did: vectors purged, bytes reclaimed, and the new file's epoch. */
export interface CompactResult {
  segmentsCompacted: number;
  bytesReclaimed: number;
  epoch: number;
}

/** Segment types compaction writes afresh (or drops) instead of copying. */
const REWRITTEN = new Set<number>([
  SegmentType.Vec,
  SegmentType.Manifest,
  SegmentType.Journal,
  SegmentType.RvfjsMetadata,
  SegmentType.RvfjsFieldNames,
  SegmentType.RvfjsState,
  SegmentType.RvfjsHnswGraph,
  // The reference's saved graph would be stale; it rebuilds without one.
  SegmentType.Index,
  // Signatures name their segments' offsets, which compaction changes; a signing
  // handle signs the new file.
  SegmentType.RvfjsSignature,
]);

/** A branch's link is read from the last COW_MAP, MEMBERSHIP and pin: only those are kept. */
const LINK_TYPES = new Set<number>([SegmentType.CowMap, SegmentType.Membership, SegmentType.RvfjsBranchPin]);

/** Refuses to compact a file that children are pinned to, unless forced. */
export function checkCompactable(path: string, snap: Snapshot, options: CompactOptions): void {
  if (snap.state.branchCount > 0 && !options.force) {
    throw rvfError(
      'LineageBroken',
      `${path} has ${snap.state.branchCount} branch child(ren) pinned to its current layout; compacting would break them (pass { force: true } to compact anyway)`,
    );
  }
}

/**
 * The bytes of the compacted file, with only live vectors. Segments rvfjs does not own are
 * copied byte-for-byte with their ids; witnesses are kept so the chain goes on; our own
 * extensions are written afresh for the live set; a signing handle signs the new file.
 */
export async function compactedFile(
  snap: Snapshot,
  source: ByteSource,
  signer: Signer | undefined,
  clock: () => bigint,
): Promise<{ parts: Uint8Array[]; result: CompactResult }> {
  const t = snap.table;
  const dim = snap.manifest.dimension;
  const live: number[] = [];
  for (let ord = 0; ord < t.count; ord++) if (t.isOwn(ord) && !t.deleted.has(t.idOf(ord))) live.push(ord);
  live.sort((a, b) => cmpKeys(t.idOf(a), t.idOf(b)));
  const purged = t.ownCount - live.length;
  const epoch = snap.manifest.epoch + 1;

  const parts: Uint8Array[] = [];
  const directory: DirectoryEntry[] = [];
  let offset = 0;
  let nextId = 1n;
  const placed: SignedTarget[] = [];
  const place = (segType: number, segId: bigint, bytes: Uint8Array) => {
    directory.push({ segId, offset, payloadLength: bytes.length - 64, segType });
    parts.push(bytes);
    placed.push({ offset, segId, bytes });
    offset += bytes.length;
    if (segId >= nextId) nextId = segId + 1n;
  };
  const fresh = (segType: number, payload: Uint8Array) =>
    place(segType, nextId, encodeSegment(segType, nextId, payload));

  let vecCompanion: MetadataCompanion | undefined;
  if (live.length > 0) {
    const vecs = new Float32Array(live.length * dim);
    for (let i = 0; i < live.length; i++) vecs.set(t.vectorOf(live[i]!), i * dim);
    const vecPayload = encodeVecPayload({
      dimension: dim,
      ids: BigUint64Array.from(live, (o) => keyToBigint(t.idOf(o))),
      vectors: vecs,
    });
    vecCompanion = { segId: nextId, contentHash: contentHash(vecPayload) };
    fresh(SegmentType.Vec, vecPayload);
  }
  // Listed segments and those adopted at open (foreign ones, the reference's compaction witness).
  const listed = [...snap.manifest.directory, ...snap.adopted];
  const lastOfType = new Map<number, DirectoryEntry>();
  for (const e of listed) lastOfType.set(e.segType, e);
  for (const entry of listed) {
    if (REWRITTEN.has(entry.segType)) continue;
    if (LINK_TYPES.has(entry.segType) && lastOfType.get(entry.segType) !== entry) continue;
    // Verified before it is copied: compaction must not launder a damaged segment.
    place(entry.segType, entry.segId, (await readSegmentAt(source, entry)).raw);
  }
  if (snap.fields.size > 0)
    fresh(SegmentType.RvfjsFieldNames, encodeFieldNamesPayload(snap.fields.entries()));
  const metaRecords: MetadataRecord[] = [];
  for (const ord of live) {
    const m = t.metadata.get(ord);
    if (m) {
      const id = keyToBigint(t.idOf(ord));
      metaRecords.push({ id, fingerprint: vectorFingerprint(id, t.vectorOf(ord)), fields: m });
    }
  }
  if (metaRecords.length > 0)
    fresh(SegmentType.RvfjsMetadata, encodeMetadataPayload(metaRecords, vecCompanion));
  const state = { ...snap.state, branchCount: 0 };
  if (!sameState(state, DEFAULT_STATE)) fresh(SegmentType.RvfjsState, encodeStatePayload(state));
  const bytesReclaimed = purged * dim * 4;
  const action = `compact:segments_compacted=${purged},bytes_reclaimed=${bytesReclaimed},epoch=${epoch}`;
  fresh(SegmentType.Witness, witnessPayload(snap.lastWitness, WitnessType.Computation, clock(), action));
  if (signer) {
    for (const payload of signaturePayloads(signer, [...placed])) fresh(SegmentType.RvfjsSignature, payload);
  }
  const manifest: Manifest = {
    ...snap.manifest,
    epoch,
    totalVectors: BigInt(live.length),
    directory,
    deletedIds: [],
  };
  parts.push(encodeSegment(SegmentType.Manifest, nextId, encodeManifestPayload(manifest)));
  return { parts, result: { segmentsCompacted: purged, bytesReclaimed, epoch } };
}

function cmpKeys(a: IdKey, b: IdKey): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
