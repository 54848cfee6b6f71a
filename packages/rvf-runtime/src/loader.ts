import { type DirectoryEntry, rvfError, SegmentType } from '@rvfjs/types';
import {
  type ByteSource,
  decodeFieldNamesPayload,
  decodeMetadataPayload,
  decodeStatePayload,
  decodeVecPayload,
  type FoundManifest,
  type MetadataRecord,
  readSegmentAt,
  type StoreState,
  vectorFingerprint,
} from '@rvfjs/wire';
import { bigintToKey, type IdKey } from './ids.js';
import { FieldTable } from './metadata.js';
import { VectorTable } from './vector-table.js';

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
  const table = base ?? new VectorTable(manifest.dimension, Math.max(16, Number(manifest.totalVectors)));
  let fieldNames: DirectoryEntry | undefined;
  let stateEntry: DirectoryEntry | undefined;
  let lastWitness: DirectoryEntry | undefined;
  const latest = new Map<number, DirectoryEntry>();
  const damaged: DamagedSegment[] = [];
  // Fingerprinted metadata applies to the vector version it names, whatever the segment order.
  const pendingMeta: MetadataRecord[] = [];
  const guarded = async (entry: DirectoryEntry, work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      if (!recover) throw e;
      damaged.push({ offset: entry.offset, segType: entry.segType, message: (e as Error).message });
    }
  };
  for (const entry of manifest.directory) {
    switch (entry.segType) {
      case SegmentType.Vec:
        await guarded(entry, async () => {
          const { payload } = await readSegmentAt(source, entry);
          const block = decodeVecPayload(payload, entry.offset + 64);
          if (block.dimension !== manifest.dimension) {
            throw rvfError(
              'InvalidChecksum',
              `VEC segment at offset ${entry.offset} has dimension ${block.dimension}, the store ${manifest.dimension}`,
              { offset: entry.offset },
            );
          }
          const keys: IdKey[] = new Array(block.keys.length);
          for (let i = 0; i < keys.length; i++) {
            const k = block.keys[i]!;
            keys[i] = Number.isNaN(k) ? bigintToKey(block.ids[i]!) : k;
          }
          // A new version of a vector starts without metadata; its own record (if any) follows.
          for (const ord of table.putBlock(keys, block.vectors)) table.metadata[ord] = undefined;
        });
        break;
      case SegmentType.RvfjsMetadata:
        await guarded(entry, async () => {
          const { payload } = await readSegmentAt(source, entry);
          for (const rec of decodeMetadataPayload(payload, entry.offset + 64)) {
            if (rec.fingerprint !== undefined) {
              pendingMeta.push(rec);
              continue;
            }
            const ord = table.ordinalOf.get(bigintToKey(rec.id));
            if (ord !== undefined) table.metadata[ord] = rec.fields.length > 0 ? rec.fields : undefined;
          }
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
  for (const rec of pendingMeta) {
    const ord = table.ordinalOf.get(bigintToKey(rec.id));
    if (ord === undefined || !table.isOwn(ord)) continue;
    if (vectorFingerprint(rec.id, table.vectorOf(ord)) !== rec.fingerprint) continue;
    table.metadata[ord] = rec.fields.length > 0 ? rec.fields : undefined;
  }
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
    if (ord !== undefined && table.isOwn(ord)) table.deleted.add(key);
  }
  return { table, fields, state, lastWitness, latest, damaged };
}
