import { rvhnCount } from '@rvfjs/index';
import { RvfError, rvfError, SEGMENT_HEADER_SIZE, SegmentType } from '@rvfjs/types';
import { type FoundManifest, fileHandleSource, findLatestManifest, readSegmentAt } from '@rvfjs/wire';
import { ioError, localFileSource } from './file-io.js';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';
import { loadLayer } from './lineage.js';
import { DEFAULT_STATE, type Snapshot } from './snapshot.js';

/** A snapshot read from a file, with lazy readers of its saved HNSW graph (if it has one). */
export interface OpenedSnapshot {
  snapshot: Snapshot;
  /** Reads the saved graph (in the background, with the rest of the graph load). */
  savedGraph: (() => Promise<Uint8Array>) | undefined;
  /** The saved graph's member count, from its header alone. */
  peekSavedCount: (() => Promise<number | undefined>) | undefined;
}

/** Opens a store's file, mapping a missing file and other failures to typed errors. */
export async function openStoreFile(
  fsys: StoreFileSystem,
  path: string,
  readOnly: boolean,
): Promise<StoreFileHandle> {
  try {
    return await fsys.open(path, readOnly ? 'r' : 'r+');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw rvfError('ManifestNotFound', `${path} does not exist`, { path });
    // A file system that already said what is wrong (a remote 404, say) is taken at its word.
    throw RvfError.is(e) ? e : ioError(e, `cannot open ${path}`);
  }
}

/**
 * Reads the latest manifest of the file behind `fh` and everything it names (for a branch,
 * its parents' views too) into a snapshot. Reads only.
 */
export async function readSnapshot(
  path: string,
  fh: StoreFileHandle,
  options: { recover?: boolean; parentPath?: string | undefined } = {},
): Promise<OpenedSnapshot> {
  const size = (await fh.stat()).size;
  const source = localFileSource(fh, size);
  let found: FoundManifest;
  try {
    found = await findLatestManifest(source);
  } catch (e) {
    if (RvfError.is(e)) {
      const head = size >= 4 ? await source.read(0, 4) : new Uint8Array(0);
      const looksRvf =
        head.length === 4 && head[0] === 0x53 && head[1] === 0x46 && head[2] === 0x56 && head[3] === 0x52;
      throw rvfError(
        'ManifestNotFound',
        looksRvf
          ? `${path}: no intact MANIFEST segment found; the file is damaged (${e.message})`
          : `${path} is not an RVF file (${size} bytes, no RVF segment at offset 0 and no manifest)`,
        { path },
      );
    }
    throw e;
  }
  const committed = localFileSource(fh, found.end);
  const loaded = await loadLayer(path, committed, found, new Set(), {
    recover: options.recover ?? false,
    ...(options.parentPath ? { parentPath: options.parentPath } : {}),
  });
  let maxId = 0n;
  for (const e of found.manifest.directory) if (e.segId > maxId) maxId = e.segId;
  const snapshot: Snapshot = {
    manifest: found.manifest,
    manifestEntry: {
      segId: found.header.segmentId,
      offset: found.offset,
      payloadLength: found.header.payloadLength,
      segType: SegmentType.Manifest,
    },
    nextSegId: maxId + 1n,
    fileEnd: size,
    state: loaded.state ?? { ...DEFAULT_STATE },
    table: loaded.table,
    fields: loaded.fields,
    link: loaded.link,
    parent: loaded.parent,
    lastWitness: loaded.lastWitness
      ? (await readSegmentAt(committed, loaded.lastWitness)).payload.slice()
      : undefined,
    adopted: [],
    damaged: loaded.damaged,
  };
  const graphEntry = loaded.latest.get(SegmentType.RvfjsHnswGraph);
  return {
    snapshot,
    // Shared memory: the walker reads it here while the worker prepares hnswlib's file from it.
    savedGraph: graphEntry
      ? async () =>
          (await readSegmentAt(fileHandleSource(fh, found.end), graphEntry, { shared: true })).payload
      : undefined,
    // The graph's member count, from its header (RVHN; count at byte 12) without reading the
    // rest: a close that comes before the load finishes decides from it.
    peekSavedCount: graphEntry
      ? async () =>
          rvhnCount(await fileHandleSource(fh, found.end).read(graphEntry.offset + SEGMENT_HEADER_SIZE, 16))
      : undefined,
  };
}
