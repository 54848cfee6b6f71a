import { type SimdStaging, simdStaging } from '@rvfjs/index';
import { type DirectoryEntry, rvfError, SegmentType, vecRecordSize } from '@rvfjs/types';
import {
  type ByteSource,
  type DecodedVecBlock,
  decodeFieldNamesPayload,
  decodeStatePayload,
  decodeVecPayload,
  type FoundManifest,
  readSegmentAt,
  type StoreState,
  streamVecSegment,
} from '@rvfjs/wire';
import { bigintToKey, type IdKey } from './ids.js';
import { FieldTable } from './metadata.js';
import { type MetaSegmentInfo, replayMetadata, type VecSegmentInfo } from './metadata-replay.js';
import { type VectorCopier, VectorTable } from './vector-table.js';

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
  // Metadata segments are read (and hash-checked) now but replayed on first use: an open
  // followed by unfiltered queries never pays for them.
  const metaSegments: MetaSegmentInfo[] = [];
  // Which of this layer's VEC segments each ordinal's current vector came from (-1: none),
  // and each such segment's id, content hash and directory position.
  let vecSource = new Int32Array(Math.max(16, table.count + Number(manifest.totalVectors))).fill(-1);
  const vecSegments: VecSegmentInfo[] = [];
  // Vectors in WebAssembly memory are read beside it and copied there (see gathered); a
  // source that cannot read into a buffer of ours reads its own.
  const staging = !recover && source.readInto ? simdStaging(table.vectors, STREAM_CHUNK) : undefined;
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
            const ords = table.putBlock(keys, staging ? gathered(block, staging) : block.copyVectors);
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
            header = (await streamVecSegment(source, entry, put, STREAM_CHUNK, staging?.buffer)).header;
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
    replayMetadata(values, table, loadedCount, vecSource, vecSegments, metaSegments, recover, damaged),
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

/** How much of a VEC segment a load reads at a time. */
const STREAM_CHUNK = 1 << 20;

/**
 * The copier for a block streamed into `staging` (its records from the buffer's byte 0): a
 * bulk copy per record inside WebAssembly, or the block's own copy where that cannot be used
 * (the table's vectors moved to another memory).
 */
function gathered(block: DecodedVecBlock, staging: SimdStaging): VectorCopier {
  const stride = vecRecordSize(block.dimension);
  return (dst, at, first, n) => {
    if (!staging.gather(dst, at, first * stride, stride, VEC_RECORD_ID_BYTES, block.dimension, n))
      block.copyVectors(dst, at, first, n);
  };
}

/** A VEC record's id before its floats (spec §5). */
const VEC_RECORD_ID_BYTES = 8;
