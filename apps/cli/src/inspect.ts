import { open } from 'node:fs/promises';
import { segmentTypeName } from '@rvfjs/types';
import { decodePayload, fileHandleSource, scanTail, walkSegments } from '@rvfjs/wire';

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

/** A forward walk over the whole file, every segment decoded into one summary line. */
export async function inspectFile(
  path: string,
): Promise<{ size: number; latestManifestOffset?: number; rows: InspectRow[] }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const source = fileHandleSource(fh, size);
    const latest = await scanTail(source);
    const committed = new Set(latest?.manifest.directory.map((e) => e.offset) ?? []);
    if (latest) committed.add(latest.offset);
    const rows: InspectRow[] = [];
    for await (const item of walkSegments(source, { verifyHashes: true })) {
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
      try {
        row.summary = summarize(h.segType, await source.read(item.offset + 64, h.payloadLength));
      } catch (e) {
        row.summary = `undecodable: ${(e as Error).message}`;
      }
      rows.push(row);
    }
    return { size, ...(latest ? { latestManifestOffset: latest.offset } : {}), rows };
  } finally {
    await fh.close();
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
