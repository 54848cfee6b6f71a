import { MetricCode, metricFromCode, SegmentType, segmentTypeName } from '@rvfjs/types';
import { describe, expect, it } from 'vitest';
import {
  bytesSource,
  decodeLockRecord,
  decodePayload,
  decodeSegmentHeader,
  encodePayload,
  encodeSegmentHeader,
  findLatestManifest,
  readSegmentAt,
  walkSegments,
} from '../src/index.js';
import { goldenBytes, goldenJson, goldenNames, hex } from './golden.js';

/** The sidecar block that describes the file as the reference reopened it. */
function sidecarState(name: string) {
  const j = goldenJson(name);
  return { j, reopen: j.reopenReadonly };
}

/** id → vector as the reference ingested it, from the sidecar's operations (later wins). */
function ingestedVectors(name: string): Map<number, number[]> | undefined {
  const j = goldenJson(name);
  const out = new Map<number, number[]>();
  let any = false;
  for (const op of j.operations ?? []) {
    if (op.op !== 'ingestBatch' || !Array.isArray(op.ids) || !Array.isArray(op.vectors)) continue;
    any = true;
    for (const [i, id] of (op.ids as number[]).entries()) out.set(id, op.vectors[i]);
  }
  return any ? out : undefined;
}

describe.each(goldenNames())('golden %s.rvf', (name) => {
  const bytes = goldenBytes(name);
  const source = bytesSource(bytes);
  const { j, reopen } = sidecarState(name);

  it('has the sidecar size and sha256', async () => {
    const { createHash } = await import('node:crypto');
    expect(bytes.length).toBe(j.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(j.sha256);
  });

  it('tail scan finds the manifest the reference used, with its directory, epoch and identity', async () => {
    const { manifest } = await findLatestManifest(source);
    expect(manifest.epoch).toBe(reopen.status.currentEpoch);
    expect(
      manifest.directory.map((e) => ({
        id: Number(e.segId),
        offset: e.offset,
        payloadLength: e.payloadLength,
        segType: segmentTypeName(e.segType),
      })),
    ).toEqual(reopen.segments);
    if (j.fileId) {
      expect(hex(manifest.identity!.fileId)).toBe(j.fileId);
      expect(hex(manifest.identity!.parentId)).toBe(j.parentId);
      expect(manifest.identity!.lineageDepth).toBe(j.lineageDepth);
      expect(metricFromCode(manifest.metricCode)).toBe(j.metric);
      expect(manifest.dimension).toBe(j.dimension);
      expect(manifest.profileId).toBe(j.status.profileId);
    }
  });

  it('every directory segment reads with a verified hash and decodes; vectors and tombstones match', async () => {
    const { manifest } = await findLatestManifest(source);
    const table = new Map<number, number[]>();
    for (const entry of manifest.directory) {
      const seg = await readSegmentAt(source, entry);
      expect(seg.hash).toBe('ok');
      const decoded = decodePayload(entry.segType, seg.payload, entry.offset + 64);
      if (decoded.kind === 'vec') {
        expect(decoded.value.dimension).toBe(manifest.dimension);
        decoded.value.ids.forEach((id, i) => {
          const d = decoded.value.dimension;
          table.set(Number(id), Array.from(decoded.value.vectors.subarray(i * d, (i + 1) * d)));
        });
      }
    }
    const deleted = manifest.deletedIds.map(Number);
    const live = [...table.keys()].filter((id) => !deleted.includes(id));
    // The reference counts own vectors minus tombstones (a COW child counts only its own).
    expect(live.length).toBe(reopen.status.totalVectors);
    const expected = ingestedVectors(name);
    if (expected && !j.derivedFrom) {
      for (const [id, v] of expected) {
        // JSON cannot carry -0 (the file keeps it verbatim), so compare with signed zero folded.
        if (table.has(id)) expect(table.get(id)!.map((x) => x + 0)).toEqual(v.map((x) => Math.fround(x) + 0));
      }
    }
  });

  it('decode → encode reproduces every segment byte-for-byte', async () => {
    let segments = 0;
    for await (const item of walkSegments(source, { verifyHashes: true })) {
      if (item.kind !== 'segment') continue;
      segments++;
      const start = item.offset;
      const header = bytes.subarray(start, start + 64);
      expect(encodeSegmentHeader(decodeSegmentHeader(header, start))).toEqual(header);
      const payload = bytes.subarray(start + 64, start + 64 + item.header.payloadLength);
      const decoded = decodePayload(item.header.segType, payload, start + 64);
      expect(hex(encodePayload(decoded))).toBe(hex(payload));
    }
    expect(segments).toBeGreaterThan(0);
  });
});

describe('golden specifics', () => {
  it('l2_deleted has tombstones [1, 5] (42 never existed) and a JOURNAL of all three ids', async () => {
    const source = bytesSource(goldenBytes('l2_deleted'));
    const { manifest } = await findLatestManifest(source);
    expect(manifest.deletedIds).toEqual([1n, 5n]);
    const jEntry = manifest.directory.find((e) => e.segType === SegmentType.Journal)!;
    const journal = decodePayload(jEntry.segType, (await readSegmentAt(source, jEntry)).payload);
    expect(journal.kind === 'journal' && journal.value.entries.map((e) => e.vectorId)).toEqual([1n, 5n, 42n]);
  });

  it('l2_deleted_torn falls back to the epoch-1 manifest', async () => {
    const { manifest } = await findLatestManifest(bytesSource(goldenBytes('l2_deleted_torn')));
    expect(manifest.epoch).toBe(1);
    expect(manifest.deletedIds).toEqual([]);
  });

  it('ip_d3 stores metric byte 1 and profile 2; cosine_meta stores metric byte 2', async () => {
    const ip = (await findLatestManifest(bytesSource(goldenBytes('ip_d3')))).manifest;
    expect([ip.metricCode, ip.profileId]).toEqual([MetricCode.inner_product, 2]);
    const cos = (await findLatestManifest(bytesSource(goldenBytes('cosine_meta')))).manifest;
    expect(cos.metricCode).toBe(MetricCode.cosine);
  });

  it('branch_child carries a COW map naming its parent relatively and a membership bitmap', async () => {
    const source = bytesSource(goldenBytes('branch_child'));
    const { manifest } = await findLatestManifest(source);
    const lastOf = (t: number) => manifest.directory.filter((e) => e.segType === t).at(-1)!;
    const cow = decodePayload(
      SegmentType.CowMap,
      (await readSegmentAt(source, lastOf(SegmentType.CowMap))).payload,
    );
    const mem = decodePayload(
      SegmentType.Membership,
      (await readSegmentAt(source, lastOf(SegmentType.Membership))).payload,
    );
    if (cow.kind !== 'cow_map' || mem.kind !== 'membership') throw new Error('wrong kinds');
    expect(cow.value.parentPath).toBe('branch_parent.rvf');
    expect(cow.value.vectorsPerCluster).toBe(512); // floor(4096 / (4·2))
    const parent = goldenJson('branch_parent');
    expect(hex(cow.value.baseFileId)).toBe(parent.fileId);
    // Parent ids 1..5, 4 deleted in the parent, 3 deleted in the child: members {1, 2, 5}.
    const members = [0, 1, 2, 3, 4, 5, 6].filter((id) => (mem.value.bitmap[id >> 3]! >> (id & 7)) & 1);
    expect(members).toEqual([1, 2, 5]);
    expect(Number(mem.value.memberCount)).toBe(3);
  });

  it('index_d4_n1100 carries an HNSW graph over ids 0..1099 with an RVIX trailer', async () => {
    const source = bytesSource(goldenBytes('index_d4_n1100'));
    const { manifest } = await findLatestManifest(source);
    const entry = manifest.directory.find((e) => e.segType === SegmentType.Index)!;
    const g = decodePayload(entry.segType, (await readSegmentAt(source, entry)).payload);
    if (g.kind !== 'index') throw new Error('not an index');
    expect(g.value.ids).toEqual([...Array(1100).keys()]);
    expect([g.value.m, g.value.efConstruction, g.value.m0]).toEqual([8, 50, 16]);
    expect(g.value.nodes.length).toBe(1100);
    for (const layers of g.value.nodes)
      for (const list of layers) for (const n of list) expect(n).toBeLessThan(1100);
  });

  it('lock_example.bin decodes with a valid CRC', async () => {
    const { readFileSync } = await import('node:fs');
    const { GOLDEN_DIR } = await import('./golden.js');
    const d = decodeLockRecord(new Uint8Array(readFileSync(`${GOLDEN_DIR}/lock_example.bin`)));
    expect(d.ok).toBe(true);
    if (d.ok) {
      expect(d.record.version).toBe(1);
      expect(d.record.pid).toBeGreaterThan(0);
      expect(d.record.writerId.length).toBe(16);
    }
  });
});
