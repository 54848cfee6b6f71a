import { RvfStore } from '@rvfjs/runtime';
import { RvfError, segmentTypeName } from '@rvfjs/types';
import { decodePayload, fileHandleSource, scanTail, walkSegments } from '@rvfjs/wire';
import { bareMessage } from './error-report.js';
import { openStoreFile } from './store-file.js';

export interface InspectRow {
  offset: number;
  kind: 'segment' | 'gap';
  type?: string;
  id?: string;
  length: number;
  hash?: string;
  /** In the latest manifest's directory (committed), or not (torn, orphaned, foreign, the manifest itself). */
  committed?: boolean;
  summary?: string;
}

export interface InspectReport {
  size: number;
  /** null when no intact manifest was found. */
  latestManifestOffset: number | null;
  rows: InspectRow[];
  /** The committed witness chain, as `verify` reports it; null when there is no manifest. */
  witness: {
    valid: boolean;
    entries: number;
    firstBroken: { index: number; offset: number; action: string } | null;
    /** Why the chain could not be walked (the store does not open), else null. */
    error: string | null;
  } | null;
  /** No segment fails its hash, every segment the latest manifest lists is there intact, and the witness chain holds. */
  intact: boolean;
  /** One sentence per problem found, naming its offset. */
  problems: string[];
}

/**
 * A forward walk over the whole file, every segment decoded into one summary line, and a
 * verdict: a hash mismatch anywhere, or a committed segment that is missing or damaged, makes
 * the file not intact. Gaps alone (a torn tail after a crash, foreign bytes) are reported
 * but do not: the store never reads them.
 */
export async function inspectFile(
  path: string,
  onProgress: (offset: number, size: number) => void = () => undefined,
): Promise<InspectReport> {
  const fh = await openStoreFile(path);
  try {
    const size = (await fh.stat()).size;
    const source = fileHandleSource(fh, size);
    const latest = await scanTail(source);
    const directory = latest?.manifest.directory ?? [];
    const committed = new Set(directory.map((e) => e.offset));
    if (latest) committed.add(latest.offset);
    const rows: InspectRow[] = [];
    const problems: string[] = [];
    const intactOffsets = new Set<number>();
    for await (const item of walkSegments(source, { verifyHashes: true })) {
      onProgress(item.offset, size);
      if (item.kind === 'gap') {
        rows.push({
          offset: item.offset,
          kind: 'gap',
          length: item.length,
          summary: 'not a complete segment (torn write or foreign bytes)',
        });
        continue;
      }
      const h = item.header;
      const row: InspectRow = {
        offset: item.offset,
        kind: 'segment',
        type: segmentTypeName(h.segType),
        id: h.segmentId.toString(),
        length: h.payloadLength,
        hash: item.hash,
        committed: committed.has(item.offset),
      };
      if (item.hash === 'mismatch') {
        problems.push(`segment ${row.id} (${row.type}) at offset ${item.offset} fails its content hash`);
      } else {
        intactOffsets.add(item.offset);
      }
      try {
        row.summary = summarize(h.segType, await source.read(item.offset + 64, h.payloadLength));
      } catch (e) {
        row.summary = `undecodable: ${(e as Error).message}`;
      }
      rows.push(row);
    }
    onProgress(size, size);
    if (!latest) problems.push('no intact manifest: nothing committed can be read from this file');
    for (const e of directory) {
      if (!intactOffsets.has(e.offset)) {
        problems.push(
          `the latest manifest lists segment ${e.segId} (${segmentTypeName(e.segType)}) at offset ${e.offset}, which is not there intact`,
        );
      }
    }
    const witness = latest ? await witnessChain(path) : null;
    if (witness?.error) problems.push(`the witness chain cannot be walked: ${witness.error}`);
    else if (witness?.firstBroken) {
      problems.push(
        `the witness chain breaks at witness ${witness.firstBroken.index} (offset ${witness.firstBroken.offset}, ${witness.firstBroken.action})`,
      );
    }
    return {
      size,
      latestManifestOffset: latest?.offset ?? null,
      rows,
      witness,
      intact: problems.length === 0,
      problems,
    };
  } finally {
    await fh.close();
  }
}

/** The chain through the store's own check; a recovery open reads around damaged data segments. */
async function witnessChain(path: string): Promise<NonNullable<InspectReport['witness']>> {
  try {
    const store = await RvfStore.open(path, { readOnly: true, recover: true });
    try {
      const r = await store.verifyWitness();
      return { valid: r.valid, entries: r.entries, firstBroken: r.firstBroken ?? null, error: null };
    } finally {
      await store.close();
    }
  } catch (e) {
    if (!(e instanceof RvfError)) throw e;
    return { valid: false, entries: 0, firstBroken: null, error: bareMessage(e) };
  }
}

function summarize(segType: number, payload: Uint8Array): string {
  const d = decodePayload(segType, payload);
  switch (d.kind) {
    case 'vec':
      return `${d.value.ids.length} vectors of dimension ${d.value.dimension}`;
    case 'manifest':
      return `epoch ${d.value.epoch}, ${d.value.directory.length} directory entries, ${d.value.deletedIds.length} tombstones`;
    case 'journal':
      return `delete ${d.value.entries.length} ids at epoch ${d.value.epoch}`;
    case 'witness':
      return `${d.value.action} @ ${d.value.timestampNs}`;
    case 'cow_map':
      return `parent ${d.value.parentPath}, ${d.value.entries.length} clusters${d.value.frozen ? ', frozen' : ''}`;
    case 'membership':
      return `${d.value.memberCount} members of ${d.value.vectorCount}`;
    case 'index':
      return `HNSW graph over ${d.value.ids.length} ids (m ${d.value.m})`;
    case 'opaque':
      return `${payload.length} bytes`;
  }
}
