import { type DirectoryEntry, rvfError, SegmentType } from '@rvfjs/types';
import {
  type ByteSource,
  type DecodedVecBlock,
  decodeFieldNamesPayload,
  decodeMetadataSegment,
  decodeStatePayload,
  decodeVecPayload,
  type FoundManifest,
  type MetadataCompanion,
  type MetadataRecord,
  type MetadataSegmentReader,
  type MetaValue,
  metadataSegmentReader,
  readSegmentAt,
  type StoreState,
  streamVecSegment,
  vectorFingerprint,
} from '@rvfjs/wire';
import { bigintToKey, type IdKey } from './ids.js';
import { FieldTable } from './metadata.js';
import { VectorTable } from './vector-table.js';

/** A data segment a recovering read-only open skipped: where it is, its type, and why. */
export interface DamagedSegment {
  offset: number;
  segType: number;
  message: string;
}

/** Everything a store builds from one manifest: its snapshot tables. */
export interface LoadedState {
  table: VectorTable;
  fields: FieldTable;
  state: StoreState | undefined;
  /** Last committed WITNESS (its payload links the next one). */
  lastWitness: DirectoryEntry | undefined;
  /** Last entries of the types later features read lazily. */
  latest: Map<number, DirectoryEntry>;
  /** Segments skipped by a recovery open. */
  damaged: DamagedSegment[];
}

/**
 * Replays the manifest's directory in order (spec §14): VEC records into the vector table
 * (later wins), our metadata and field-name extensions, the last state record. Every data
 * segment is hash-checked; a damaged one fails the open with its offset, unless `recover`
 * is set, in which case it is skipped and reported.
 */
export async function loadState(
  source: ByteSource,
  found: FoundManifest,
  recover = false,
  /** A branch child's starting table (its parent's view); own records replay on top. */
  base?: VectorTable,
  baseFields?: FieldTable,
): Promise<LoadedState> {
  const { manifest } = found;
  // Room for a few writes after the open: without it the first ingest into a large store
  // doubles (and copies) its whole vector array. Untouched room costs address space only.
  const total = Number(manifest.totalVectors);
  const table =
    base ?? new VectorTable(manifest.dimension, Math.max(16, total + Math.max(1024, total >>> 3)));
  let fieldNames: DirectoryEntry | undefined;
  let stateEntry: DirectoryEntry | undefined;
  let lastWitness: DirectoryEntry | undefined;
  const latest = new Map<number, DirectoryEntry>();
  const damaged: DamagedSegment[] = [];
  // Metadata segments are read (and hash-checked) now but decoded on first use: an open
  // followed by unfiltered queries never pays for them.
  const metaSegments: { entry: DirectoryEntry; position: number; payload: Uint8Array }[] = [];
  // Which of this layer's VEC segments each ordinal's current vector came from (-1: none),
  // and each such segment's id, content hash and directory position.
  let vecSource = new Int32Array(Math.max(16, table.count + Number(manifest.totalVectors))).fill(-1);
  const vecSegments: VecSegmentInfo[] = [];
  const guarded = async (entry: DirectoryEntry, work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      if (!recover) throw e;
      damaged.push({ offset: entry.offset, segType: entry.segType, message: (e as Error).message });
    }
  };
  const directory = manifest.directory;
  for (let position = 0; position < directory.length; position++) {
    const entry = directory[position]!;
    switch (entry.segType) {
      case SegmentType.Vec:
        await guarded(entry, async () => {
          const segIndex = vecSegments.length;
          const put = (block: DecodedVecBlock) => {
            if (block.dimension !== manifest.dimension) {
              throw rvfError(
                'InvalidChecksum',
                `VEC segment at offset ${entry.offset} has dimension ${block.dimension}, the store ${manifest.dimension}`,
                { offset: entry.offset },
              );
            }
            // Ids below 2^53 arrive as numbers already; only larger ones need BigInt work.
            let keys: ArrayLike<IdKey> = block.keys;
            if (block.keys.some(Number.isNaN)) {
              keys = Array.from(block.keys, (k, i) => (Number.isNaN(k) ? bigintToKey(block.ids[i]!) : k));
            }
            const ords = table.putBlock(keys, block.copyVectors);
            if (table.count > vecSource.length) {
              const grown = new Int32Array(Math.max(table.count, vecSource.length * 2)).fill(-1);
              grown.set(vecSource);
              vecSource = grown;
            }
            for (let i = 0; i < ords.length; i++) vecSource[ords[i]!] = segIndex;
          };
          let header: { segmentId: bigint; contentHash: Uint8Array };
          if (recover) {
            // A damaged segment must leave the table untouched: check it whole, then apply.
            const seg = await readSegmentAt(source, entry);
            put(decodeVecPayload(seg.payload, entry.offset + 64));
            header = seg.header;
          } else {
            // A failure fails the open, so records may be applied as they stream in.
            header = (await streamVecSegment(source, entry, put)).header;
          }
          vecSegments.push({ segId: header.segmentId, contentHash: header.contentHash, position });
        });
        break;
      case SegmentType.RvfjsMetadata:
        await guarded(entry, async () => {
          metaSegments.push({ entry, position, payload: (await readSegmentAt(source, entry)).payload });
        });
        break;
      case SegmentType.RvfjsFieldNames:
        fieldNames = entry;
        break;
      case SegmentType.RvfjsState:
        stateEntry = entry;
        break;
      case SegmentType.Witness:
        lastWitness = entry;
        break;
      default:
        latest.set(entry.segType, entry);
    }
  }
  const loadedCount = table.count;
  table.metadata.defer((values) =>
    applyMetadata(values, table, loadedCount, vecSource, vecSegments, metaSegments, recover, damaged),
  );
  // A recovery open reports every damaged segment up front, undecodable metadata included.
  if (recover) table.metadata.materialize();
  let fields = baseFields ?? new FieldTable();
  if (fieldNames) {
    const e = fieldNames;
    await guarded(e, async () => {
      const own = decodeFieldNamesPayload((await readSegmentAt(source, e)).payload, e.offset + 64);
      fields = new FieldTable([...(baseFields?.entries() ?? []), ...own]);
    });
  }
  let state: StoreState | undefined;
  if (stateEntry) {
    const e = stateEntry;
    await guarded(e, async () => {
      state = decodeStatePayload((await readSegmentAt(source, e)).payload, e.offset + 64);
    });
  }
  for (const id of manifest.deletedIds) {
    const key = bigintToKey(id);
    const ord = table.ordinalOf.get(key);
    if (ord !== undefined && table.isOwn(ord)) table.markDeleted(key);
  }
  return { table, fields, state, lastWitness, latest, damaged };
}

/** Records decoded (or fingerprints checked) per slice of background metadata decoding. */
const RECORDS_PER_SLICE = 4096;

/**
 * A metadata segment's companion and its records in batches. A recovery open must apply a
 * segment whole or not at all, so with `whole` it is decoded completely here (one batch);
 * otherwise a failure fails the whole build anyway, and the records are decoded a batch at a
 * time as they are taken, each batch a slice of background work.
 */
function metadataBatches(
  payload: Uint8Array,
  fileOffset: number,
  whole: boolean,
): { companion: MetadataCompanion | undefined; batches: Iterable<MetadataRecord[]> } {
  if (whole) {
    const seg = decodeMetadataSegment(payload, fileOffset);
    return { companion: seg.companion, batches: [seg.records] };
  }
  const reader = metadataSegmentReader(payload, fileOffset);
  return { companion: reader.companion, batches: readerBatches(reader) };
}

function* readerBatches(reader: MetadataSegmentReader): Generator<MetadataRecord[]> {
  for (let batch = reader.next(RECORDS_PER_SLICE); batch.length > 0; batch = reader.next(RECORDS_PER_SLICE))
    yield batch;
}

interface VecSegmentInfo {
  segId: bigint;
  contentHash: Uint8Array;
  /** Index in the manifest directory. */
  position: number;
}

/**
 * Builds this layer's metadata on top of `values` (the parent's, for a branch), as the
 * directory order implies (docs/format-extensions.md, 0x40):
 * - a VEC record starts a new version of its vector, without metadata;
 * - version-1 records apply in directory order, to ids no later VEC record rewrote;
 * - fingerprinted records (versions 2 and 3) apply, last match winning, when the id's
 *   current own vector is the version they name: it comes from their companion VEC
 *   segment (version 3, no hashing needed), or its fingerprint matches.
 * Only ordinals that existed at load are considered: later ones are new vectors.
 */
function* applyMetadata(
  values: (MetaValue[] | undefined)[],
  table: VectorTable,
  loadedCount: number,
  vecSource: Int32Array,
  vecSegments: readonly VecSegmentInfo[],
  metaSegments: readonly { entry: DirectoryEntry; position: number; payload: Uint8Array }[],
  recover: boolean,
  damaged: DamagedSegment[],
): Generator<void> {
  for (let ord = 0; ord < loadedCount && ord < values.length; ord++) {
    if (vecSource[ord]! >= 0) values[ord] = undefined;
  }
  const fingerprinted: { rec: MetadataRecord; companion: number }[] = [];
  for (const { entry, position, payload } of metaSegments) {
    let seg: ReturnType<typeof metadataBatches>;
    try {
      seg = metadataBatches(payload, entry.offset + 64, recover);
    } catch (e) {
      if (!recover) throw e;
      damaged.push({ offset: entry.offset, segType: entry.segType, message: (e as Error).message });
      continue;
    }
    const companion = seg.companion ? findCompanion(vecSegments, seg.companion, position) : -1;
    for (const records of seg.batches) {
      for (const rec of records) {
        if (rec.fingerprint !== undefined) {
          fingerprinted.push({ rec, companion });
          continue;
        }
        const ord = table.ordinalOf.get(bigintToKey(rec.id));
        if (ord === undefined || ord >= loadedCount) continue;
        const src = vecSource[ord]!;
        if (src >= 0 && vecSegments[src]!.position > position) continue;
        values[ord] = rec.fields.length > 0 ? rec.fields : undefined;
      }
      // A pause point: background decoding goes a few thousand records at a time.
      yield;
    }
  }
  for (let i = 0; i < fingerprinted.length; i++) {
    // Fingerprints hash each vector: pause every few thousand.
    if (i % RECORDS_PER_SLICE === 0) yield;
    const { rec, companion } = fingerprinted[i]!;
    const ord = table.ordinalOf.get(bigintToKey(rec.id));
    if (ord === undefined || ord >= loadedCount || vecSource[ord]! < 0) continue;
    // Written with the segment the vector still comes from: current by construction.
    const current =
      (companion >= 0 && vecSource[ord] === companion) ||
      vectorFingerprint(rec.id, table.vectorOf(ord)) === rec.fingerprint;
    if (current) values[ord] = rec.fields.length > 0 ? rec.fields : undefined;
  }
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
