/**
 * Regenerates reference files byte-for-byte from the wire encoders alone, given the only
 * non-deterministic inputs: the file_id (sidecar) and the witness timestamps (read straight
 * out of the golden WITNESS payloads at the offsets the sidecar lists).
 */
import { createHash } from 'node:crypto';
import { type DirectoryEntry, type Manifest, SegmentType, segmentTypeName } from '@rvfjs/types';
import { describe, expect, it } from 'vitest';
import {
  contentHash,
  deleteJournal,
  encodeJournalPayload,
  encodeManifestPayload,
  encodeSegment,
  encodeSegmentHeaderFor,
  encodeVecPayload,
  encodeWitnessPayload,
} from '../src/index.js';
import { fromHex, goldenBytes, goldenJson, hex } from './golden.js';

/** simple_hash (spec §3.3): additive/rotational 32-byte digest, written inline (not rvf-crypto). */
function simpleHash(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < data.length; i++) {
    const k = i % 32;
    out[k] = (out[k]! + data[i]!) & 0xff;
    const v = out[k]!;
    const j = (i + 13) % 32;
    out[j] = (out[j]! + (((v << 3) | (v >> 5)) & 0xff)) & 0xff;
  }
  return out;
}

/** An append-only file under construction: segment ids count from 1, offsets are back-to-back. */
class FileBuilder {
  private parts: Uint8Array[] = [];
  private size = 0;
  private nextId = 1n;
  readonly directory: DirectoryEntry[] = [];

  append(segType: number, payload: Uint8Array): DirectoryEntry {
    const segId = this.nextId++;
    const entry = { segId, offset: this.size, payloadLength: payload.length, segType };
    const seg = encodeSegment(segType, segId, payload);
    this.parts.push(seg);
    this.size += seg.length;
    return entry;
  }

  /** A data segment: recorded in the directory of the next manifest. */
  data(segType: number, payload: Uint8Array): Uint8Array {
    this.directory.push(this.append(segType, payload));
    return payload;
  }

  /** A manifest over everything written so far; it becomes part of the next one's directory. */
  manifest(m: Omit<Manifest, 'directory'>): void {
    const entry = this.append(
      SegmentType.Manifest,
      encodeManifestPayload({ ...m, directory: [...this.directory] }),
    );
    this.directory.push(entry);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** The golden file's own witness timestamp for the segment with this id (u64 at payload +1). */
function witnessTimestamp(name: string, segId: number): bigint {
  const seg = goldenJson(name).segments.find((s: { id: number }) => s.id === segId);
  expect(seg.segType).toBe('witness');
  const bytes = goldenBytes(name);
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(seg.offset + 64 + 1, true);
}

/**
 * The vectors of the l2 goldens. make.mjs computes [i, i·0.5, −i, 1] for i = 0..9, so the
 * first vector's third component is −0 — which JSON cannot carry (the sidecar shows 0).
 * The sidecar values are used, with the sign of a zero taken from the generator's −i.
 */
function l2Vectors(name: string): { ids: BigUint64Array; vectors: Float32Array } {
  const op = goldenJson(name).operations.find((o: { op: string }) => o.op === 'ingestBatch');
  const rows: number[][] = op.vectors;
  for (const [i, v] of rows.entries()) expect(v).toEqual([i, i * 0.5, -i + 0, 1]); // +0: JSON has no -0
  const flat = rows.flatMap((v) => v.map((x, k) => (k === 2 && x === 0 ? -0 : x)));
  return { ids: BigUint64Array.from(op.ids.map(BigInt)), vectors: Float32Array.from(flat) };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Compares bytes, reporting the first difference (far more useful than two sha256s). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array) {
  let i = 0;
  while (i < Math.min(actual.length, expected.length) && actual[i] === expected[i]) i++;
  const context = (b: Uint8Array) => hex(b.subarray(Math.max(0, i - 8), i + 8));
  expect({ firstDifference: i, length: actual.length, around: context(actual) }).toEqual({
    firstDifference: expected.length,
    length: expected.length,
    around: context(expected),
  });
}

function rootManifestFields(fileId: Uint8Array) {
  return {
    dimension: 4,
    profileId: 0,
    metricCode: 0,
    identity: { fileId, parentId: new Uint8Array(16), parentHash: new Uint8Array(32), lineageDepth: 0 },
  };
}

/** create(dim 4, L2) + ingestBatch(ids 1..10): MANIFEST, VEC, WITNESS, MANIFEST. */
function createAndIngest(name: string, b: FileBuilder, fileId: Uint8Array): Uint8Array {
  const root = rootManifestFields(fileId);
  b.manifest({ ...root, epoch: 0, totalVectors: 0n, deletedIds: [] });
  b.data(SegmentType.Vec, encodeVecPayload({ dimension: 4, ...l2Vectors(name) }));
  const witness = b.data(
    SegmentType.Witness,
    encodeWitnessPayload({
      witnessType: 0x01,
      timestampNs: witnessTimestamp(name, 3),
      action: 'ingest:count=10,epoch=1',
      prevHash: new Uint8Array(32),
    }),
  );
  b.manifest({ ...root, epoch: 1, totalVectors: 10n, deletedIds: [] });
  return witness;
}

/** l2_deleted: create + ingest, then delete([1, 5, 42]): JOURNAL → WITNESS → MANIFEST (epoch 2). */
function buildL2Deleted() {
  const name = 'l2_deleted';
  const fileId = fromHex(goldenJson(name).fileId);
  const b = new FileBuilder();
  const ingestWitness = createAndIngest(name, b, fileId);
  // Every requested id is journaled, existing or not (spec §9.1).
  b.data(SegmentType.Journal, encodeJournalPayload(deleteJournal(2, [1n, 5n, 42n])));
  b.data(
    SegmentType.Witness,
    encodeWitnessPayload({
      witnessType: 0x00,
      timestampNs: witnessTimestamp(name, 6),
      action: 'delete:count=2,epoch=2',
      prevHash: simpleHash(ingestWitness),
    }),
  );
  // Only ids in the vector table become tombstones (42 never existed); total_vectors keeps them.
  b.manifest({ ...rootManifestFields(fileId), epoch: 2, totalVectors: 10n, deletedIds: [1n, 5n] });
  return { out: b.bytes(), directory: b.directory };
}

describe('byte-for-byte regeneration of reference files', () => {
  it('simple_hash: spec §3.3 by hand on short inputs', () => {
    // One byte b: out[0] = b, out[13] = rotl8(b, 3).
    const one = simpleHash(Uint8Array.of(0x21));
    expect(one[0]).toBe(0x21);
    expect(one[13]).toBe(0x09);
    expect(one.filter((x, i) => i !== 0 && i !== 13 && x !== 0).length).toBe(0);
    // Bytes 32 apart land in the same lane and add up (with wraparound).
    const wrap = new Uint8Array(33);
    wrap[0] = 0xf0;
    wrap[32] = 0x20;
    expect(simpleHash(wrap)[0]).toBe(0x10);
  });

  it('l2_d4_n10.rvf: MANIFEST → VEC → WITNESS → MANIFEST from file_id and the witness timestamp', () => {
    const name = 'l2_d4_n10';
    const j = goldenJson(name);
    const b = new FileBuilder();
    createAndIngest(name, b, fromHex(j.fileId));
    const out = b.bytes();
    // The directory is exactly what the reference reports for the file.
    expect(
      b.directory.map((e) => ({
        id: Number(e.segId),
        offset: e.offset,
        payloadLength: e.payloadLength,
        segType: segmentTypeName(e.segType),
      })),
    ).toEqual(j.segments);
    expectSameBytes(out, goldenBytes(name));
    expect(out.length).toBe(j.sizeBytes);
    expect(sha256(out)).toBe(j.sha256);
  });

  it('l2_deleted.rvf: + JOURNAL, chained WITNESS (prev_hash = simple_hash of the last) and tombstones [1, 5]', () => {
    const j = goldenJson('l2_deleted');
    const del = j.operations.find((o: { op: string }) => o.op === 'delete');
    expect(del).toMatchObject({ ids: [1, 5, 42], result: { deleted: 2, epoch: 2 } });
    const { out, directory } = buildL2Deleted();
    expect(
      directory.map((e) => ({
        id: Number(e.segId),
        offset: e.offset,
        payloadLength: e.payloadLength,
        segType: segmentTypeName(e.segType),
      })),
    ).toEqual(j.segments);
    expectSameBytes(out, goldenBytes('l2_deleted'));
    expect(out.length).toBe(j.sizeBytes);
    expect(sha256(out)).toBe(j.sha256);
  });

  it('l2_deleted_torn.rvf is the regenerated l2_deleted minus its last 10 bytes', () => {
    const j = goldenJson('l2_deleted_torn');
    const { out } = buildL2Deleted();
    const torn = out.subarray(0, out.length - j.truncatedBytes);
    expect(torn.length).toBe(j.sizeBytes);
    expect(sha256(torn)).toBe(j.sha256);
  });
});

describe('encodeSegmentHeaderFor', () => {
  it("is encodeSegment's header; a hash given is used as is, none given is computed", () => {
    const payload = new Uint8Array(301).map((_, i) => (i * 7) & 0xff);
    const whole = encodeSegment(SegmentType.Vec, 42n, payload);
    expect(encodeSegmentHeaderFor(SegmentType.Vec, 42n, payload)).toEqual(whole.subarray(0, 64));
    expect(encodeSegmentHeaderFor(SegmentType.Vec, 42n, payload, contentHash(payload))).toEqual(
      whole.subarray(0, 64),
    );
    // The hash is taken on trust (the caller computed it): bytes 0x28..0x38 are that hash.
    const other = new Uint8Array(16).fill(0xab);
    const h = encodeSegmentHeaderFor(SegmentType.Vec, 42n, payload, other);
    expect(h.subarray(0x28, 0x38)).toEqual(other);
    expect(h.subarray(0, 0x28)).toEqual(whole.subarray(0, 0x28));
  });
});
