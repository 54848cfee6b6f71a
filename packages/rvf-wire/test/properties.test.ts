/**
 * Property tests: for every codec, decode(encode(x)) = x and encode(decode(encode(x))) is
 * byte-identical to encode(x). Where cheap, the encoded bytes are also checked against an
 * independent reading of the spec (sizes, field positions) so a symmetric bug in an
 * encoder/decoder pair cannot hide.
 */
import {
  type CowMap,
  type DirectoryEntry,
  type FileIdentity,
  type Journal,
  type LockRecord,
  type Manifest,
  type Membership,
  RvfError,
  SEGMENT_MAGIC,
  type SegmentHeader,
  type WitnessRecord,
} from '@rvfjs/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  decodeCowMapPayload,
  decodeIndexPayload,
  decodeJournalPayload,
  decodeLockRecord,
  decodeManifestPayload,
  decodeMembershipPayload,
  decodeSegmentHeader,
  decodeVecPayload,
  decodeWitnessPayload,
  encodeCowMapPayload,
  encodeIndexPayload,
  encodeJournalPayload,
  encodeLockRecord,
  encodeManifestPayload,
  encodeMembershipPayload,
  encodeSegmentHeader,
  encodeVecPayload,
  encodeWitnessPayload,
  type IndexGraph,
  readDeltaList,
  readVarint,
  varintSize,
  writeDeltaList,
  writeVarint,
} from '../src/index.js';
import { hex } from './golden.js';

const RUNS = { numRuns: 200 };
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const safeNat = fc.oneof(fc.nat({ max: 1 << 20 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }));
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** Well-formed Unicode (no lone surrogates), including multi-byte and combining graphemes. */
const unicode = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength });
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/** Independent little-endian reads for layout checks. */
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('segment header', () => {
  const header: fc.Arbitrary<SegmentHeader> = fc.record({
    magic: fc.constant(SEGMENT_MAGIC),
    version: u8,
    segType: u8,
    flags: u16,
    segmentId: u64,
    payloadLength: safeNat,
    timestampNs: u64,
    checksumAlgo: u8,
    compression: u8,
    reserved0: u16,
    reserved1: u32,
    contentHash: bytes(16),
    uncompressedLen: u32,
    alignmentPad: u32,
  });

  it('decode(encode(h)) = h, re-encoding is byte-identical, fields sit at the spec offsets', () => {
    fc.assert(
      fc.property(header, (h) => {
        const enc = encodeSegmentHeader(h);
        expect(enc.length).toBe(64);
        expect(Array.from(enc.subarray(0, 4))).toEqual([0x53, 0x46, 0x56, 0x52]);
        const v = dv(enc);
        expect(v.getUint8(5)).toBe(h.segType);
        expect(v.getBigUint64(0x08, true)).toBe(h.segmentId);
        expect(v.getBigUint64(0x10, true)).toBe(BigInt(h.payloadLength));
        expect(hex(enc.subarray(0x28, 0x38))).toBe(hex(h.contentHash));
        expect(v.getUint32(0x3c, true)).toBe(h.alignmentPad);
        const dec = decodeSegmentHeader(enc);
        expect(dec).toEqual(h);
        expect(encodeSegmentHeader(dec)).toEqual(enc);
      }),
      RUNS,
    );
  });

  it('a payload_length beyond 2^53 is a TruncatedSegment RvfError, not a lossy number', () => {
    fc.assert(
      fc.property(header, fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), (h, len) => {
        const enc = encodeSegmentHeader(h);
        dv(enc).setBigUint64(0x10, len, true);
        expect(() => decodeSegmentHeader(enc)).toThrow(RvfError);
        try {
          decodeSegmentHeader(enc);
        } catch (e) {
          expect((e as RvfError).name).toBe('TruncatedSegment');
        }
      }),
      { numRuns: 50 },
    );
  });
});

const identity: fc.Arbitrary<FileIdentity> = fc.record({
  fileId: bytes(16),
  parentId: bytes(16),
  parentHash: bytes(32),
  lineageDepth: u32,
});

const directoryEntry: fc.Arbitrary<DirectoryEntry> = fc.record({
  segId: u64,
  offset: safeNat,
  payloadLength: safeNat,
  segType: u8,
});

const manifest: fc.Arbitrary<Manifest> = fc
  .record({
    epoch: u32,
    dimension: u16,
    totalVectors: u64,
    profileId: u8,
    metricCode: u8,
    directory: fc.array(directoryEntry, { maxLength: 40 }),
    deletedIds: fc.array(u64, { maxLength: 40 }),
    identity: fc.option(identity, { nil: undefined }),
  })
  .map(({ identity, ...rest }) => (identity ? { ...rest, identity } : rest));

describe('manifest payload', () => {
  it('decode(encode(m)) = m with and without the identity trailer; layout matches spec §7', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        const enc = encodeManifestPayload(m);
        const n = m.directory.length;
        const d = m.deletedIds.length;
        expect(enc.length).toBe(22 + 25 * n + 4 + 8 * d + (m.identity ? 72 : 0));
        const v = dv(enc);
        expect(v.getUint32(0, true)).toBe(m.epoch);
        expect(v.getUint16(4, true)).toBe(m.dimension);
        expect(v.getUint32(14, true)).toBe(n);
        expect(v.getUint32(22 + 25 * n, true)).toBe(d);
        if (n > 0) {
          const last = 22 + 25 * (n - 1);
          expect(Number(v.getBigUint64(last + 8, true))).toBe(m.directory[n - 1]!.offset);
          expect(v.getUint8(last + 24)).toBe(m.directory[n - 1]!.segType);
        }
        if (m.identity) expect(hex(enc.subarray(26 + 25 * n + 8 * d, 30 + 25 * n + 8 * d))).toBe('49444946');
        const dec = decodeManifestPayload(enc);
        expect(dec).toEqual(m);
        expect('identity' in dec).toBe(m.identity !== undefined);
        expect(encodeManifestPayload(dec)).toEqual(enc);
      }),
      RUNS,
    );
  });
});

describe('VEC payload', () => {
  /** dimension 1..64, ids as u64, floats as raw 32-bit patterns (NaN payloads, -0, denormals...). */
  const block = fc.integer({ min: 1, max: 64 }).chain((dimension) =>
    fc.integer({ min: 0, max: 24 }).chain((count) =>
      fc.record({
        dimension: fc.constant(dimension),
        ids: fc.array(u64, { minLength: count, maxLength: count }),
        bits: fc.array(
          fc.oneof(
            u32,
            fc.constantFrom(
              0x80000000,
              0x7fc00001,
              0xffc00000,
              0x7f800001,
              0xff800000,
              0x00000001,
              0x7fbfffff,
            ),
          ),
          { minLength: count * dimension, maxLength: count * dimension },
        ),
      }),
    ),
  );

  it('encode matches an independent layout and decode returns the exact ids and bit patterns', () => {
    fc.assert(
      fc.property(block, ({ dimension, ids, bits }) => {
        const count = ids.length;
        const vectors = new Float32Array(Uint32Array.from(bits).buffer);
        const enc = encodeVecPayload({ dimension, ids: BigUint64Array.from(ids), vectors });

        const expected = new Uint8Array(6 + count * (8 + 4 * dimension));
        const ev = dv(expected);
        ev.setUint16(0, dimension, true);
        ev.setUint32(2, count, true);
        let at = 6;
        for (let i = 0; i < count; i++) {
          ev.setBigUint64(at, ids[i]!, true);
          at += 8;
          for (let k = 0; k < dimension; k++, at += 4) ev.setUint32(at, bits[i * dimension + k]!, true);
        }
        expect(hex(enc)).toBe(hex(expected));

        const dec = decodeVecPayload(enc);
        expect(dec.dimension).toBe(dimension);
        expect(Array.from(dec.ids)).toEqual(ids);
        expect(
          Array.from(new Uint32Array(dec.vectors.buffer, dec.vectors.byteOffset, dec.vectors.length)),
        ).toEqual(bits.map((b) => b >>> 0));
        expect(hex(encodeVecPayload(dec))).toBe(hex(enc));
      }),
      RUNS,
    );
  });

  it('decodes from an unaligned view inside a larger buffer', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 1, max: 7 }), ({ dimension, ids, bits }, shift) => {
        const enc = encodeVecPayload({
          dimension,
          ids: BigUint64Array.from(ids),
          vectors: new Float32Array(Uint32Array.from(bits).buffer),
        });
        const host = new Uint8Array(enc.length + shift + 3).fill(0xee);
        host.set(enc, shift);
        const dec = decodeVecPayload(host.subarray(shift, shift + enc.length));
        expect(hex(encodeVecPayload(dec))).toBe(hex(enc));
      }),
      { numRuns: 50 },
    );
  });
});

describe('journal payload', () => {
  const journal: fc.Arbitrary<Journal> = fc.record({
    epoch: u32,
    prevJournalSegId: u64,
    entries: fc.array(fc.record({ entryType: u8, vectorId: u64 }), { maxLength: 40 }),
  });
  it('decode(encode(j)) = j; entries are 12 bytes with entry_length 8', () => {
    fc.assert(
      fc.property(journal, (j) => {
        const enc = encodeJournalPayload(j);
        expect(enc.length).toBe(16 + 12 * j.entries.length);
        const v = dv(enc);
        expect(v.getUint32(0, true)).toBe(j.entries.length);
        expect(v.getUint32(4, true)).toBe(j.epoch);
        j.entries.forEach((e, i) => {
          expect(v.getUint8(16 + 12 * i)).toBe(e.entryType);
          expect(v.getUint16(16 + 12 * i + 2, true)).toBe(8);
          expect(v.getBigUint64(16 + 12 * i + 4, true)).toBe(e.vectorId);
        });
        const dec = decodeJournalPayload(enc);
        expect(dec).toEqual(j);
        expect(encodeJournalPayload(dec)).toEqual(enc);
      }),
      RUNS,
    );
  });
});

describe('witness payload', () => {
  const witness: fc.Arbitrary<WitnessRecord> = fc.record({
    witnessType: u8,
    timestampNs: u64,
    action: unicode(80),
    prevHash: bytes(32),
  });
  it('decode(encode(w)) = w; length is 13 + utf8(action) + 32', () => {
    fc.assert(
      fc.property(witness, (w) => {
        const enc = encodeWitnessPayload(w);
        const L = utf8Length(w.action);
        expect(enc.length).toBe(13 + L + 32);
        expect(dv(enc).getUint32(9, true)).toBe(L);
        expect(hex(enc.subarray(13 + L))).toBe(hex(w.prevHash));
        const dec = decodeWitnessPayload(enc);
        expect(dec).toEqual(w);
        expect(encodeWitnessPayload(dec)).toEqual(enc);
      }),
      RUNS,
    );
  });
});

describe('COW_MAP payload', () => {
  const cowMap: fc.Arbitrary<CowMap> = fc.record({
    version: u16,
    mapFormat: u8,
    compressionPolicy: u8,
    clusterSizeBytes: u32,
    vectorsPerCluster: u32,
    baseFileId: bytes(16),
    baseFileHash: bytes(32),
    bytesPerVector: u32,
    frozen: fc.boolean(),
    snapshotEpoch: u32,
    parentPath: fc.oneof(
      unicode(40),
      fc.constantFrom(
        '../p4_parent_longer_name.rvf',
        'sub/p4_child.rvf',
        'ünïcødé/親ファイル.rvf',
        '🦀/🧪.rvf',
      ),
    ),
    flatMapFormat: u8,
    entries: fc.array(fc.record({ tag: u8, value: u64 }), { maxLength: 30 }),
  });
  it('decode(encode(c)) = c; length is 81 + P + 5 + 9·clusters', () => {
    fc.assert(
      fc.property(cowMap, (c) => {
        const enc = encodeCowMapPayload(c);
        const P = utf8Length(c.parentPath);
        expect(enc.length).toBe(81 + P + 5 + 9 * c.entries.length);
        const v = dv(enc);
        expect(hex(enc.subarray(0, 4))).toBe('4d435652');
        expect(v.getUint32(73, true)).toBe(P);
        expect(v.getUint32(77, true)).toBe(5 + 9 * c.entries.length);
        expect(new TextDecoder().decode(enc.subarray(81, 81 + P))).toBe(c.parentPath);
        const dec = decodeCowMapPayload(enc);
        expect(dec).toEqual(c);
        expect(encodeCowMapPayload(dec)).toEqual(enc);
      }),
      RUNS,
    );
  });
});

describe('MEMBERSHIP payload', () => {
  /** vector_count drives filter_size = 8·ceil(vector_count / 64). */
  const membership: fc.Arbitrary<Membership> = fc
    .oneof(fc.bigInt({ min: 0n, max: 2000n }), fc.constantFrom(0n, 1n, 63n, 64n, 65n, 127n, 128n, 129n))
    .chain((vectorCount) =>
      fc.record({
        version: u16,
        filterType: u8,
        filterMode: u8,
        vectorCount: fc.constant(vectorCount),
        memberCount: u64,
        filterOffset: fc.constant(96n),
        generationId: u32,
        filterHash: bytes(32),
        bloomOffset: u64,
        bloomSize: u32,
        bitmap: bytes(Number(8n * ((vectorCount + 63n) / 64n))),
      }),
    );
  it('decode(encode(m)) = m; filter_size and offset sit where spec §11.3 puts them', () => {
    fc.assert(
      fc.property(membership, (m) => {
        const enc = encodeMembershipPayload(m);
        expect(enc.length).toBe(96 + m.bitmap.length);
        const v = dv(enc);
        expect(hex(enc.subarray(0, 4))).toBe('424d5652');
        expect(v.getBigUint64(0x08, true)).toBe(m.vectorCount);
        expect(v.getBigUint64(0x18, true)).toBe(96n);
        expect(v.getUint32(0x20, true)).toBe(m.bitmap.length);
        expect(hex(enc.subarray(0x28, 0x48))).toBe(hex(m.filterHash));
        const dec = decodeMembershipPayload(enc);
        expect(dec).toEqual(m);
        expect(encodeMembershipPayload(dec)).toEqual(enc);
      }),
      RUNS,
    );
  });
});

/** A random HNSW-shaped graph: 1..3 layers per node, sorted unique neighbour ordinals < n. */
const indexGraph = (minNodes: number, maxNodes: number): fc.Arbitrary<IndexGraph> =>
  fc.integer({ min: minNodes, max: maxNodes }).chain((n) =>
    fc.record({
      indexType: u8,
      layerLevel: u8,
      m: u16,
      efConstruction: u32,
      restartInterval: fc.constant(64),
      nodes: fc.array(
        fc.array(
          fc
            .uniqueArray(fc.nat({ max: Math.max(0, n - 1) }), { maxLength: Math.min(n, 12) })
            .map((a) => a.sort((x, y) => x - y)),
          { minLength: 1, maxLength: 3 },
        ),
        { minLength: n, maxLength: n },
      ),
      version: u16,
      m0: u16,
      maxLayer: u32,
      entryOrdinal: fc.option(fc.bigInt({ min: 0n, max: 0xfffffffffffffffen }), { nil: null }),
      ids: fc
        .uniqueArray(fc.oneof(fc.nat({ max: 5000 }), safeNat), { minLength: n, maxLength: n })
        .map((a) => a.sort((x, y) => x - y)),
    }),
  );

describe('INDEX payload', () => {
  const check = (g: IndexGraph) => {
    const enc = encodeIndexPayload(g);
    const v = dv(enc);
    const n = g.nodes.length;
    // Codec header, restart index (spec §12), and the RVIX trailer.
    expect(Number(v.getBigUint64(8, true))).toBe(n);
    expect(v.getUint32(64, true)).toBe(64);
    expect(v.getUint32(68, true)).toBe(Math.ceil(n / 64));
    expect(new TextDecoder().decode(enc.subarray(enc.length - 4))).toBe('RVIX');
    const bodyLen = v.getUint32(enc.length - 8, true);
    const codecLen = enc.length - 8 - bodyLen;
    expect(codecLen % 64).toBe(0);
    expect(v.getBigUint64(codecLen + 16, true)).toBe(BigInt(g.ids.length));
    const dec = decodeIndexPayload(enc);
    expect(dec).toEqual(g);
    expect(encodeIndexPayload(dec)).toEqual(enc);
  };

  it('decode(encode(g)) = g for small graphs (≤ 64 nodes, one restart block)', () => {
    fc.assert(fc.property(indexGraph(0, 64), check), { numRuns: 150 });
  });

  it('decode(encode(g)) = g past the restart interval (65..300 nodes: restarts + delta lists)', () => {
    fc.assert(fc.property(indexGraph(65, 300), check), { numRuns: 40 });
  });

  it('restart offsets point at the varint layer_count of nodes 0, 64, 128 ...', () => {
    fc.assert(
      fc.property(indexGraph(129, 200), (g) => {
        const enc = encodeIndexPayload(g);
        const v = dv(enc);
        const restartCount = v.getUint32(68, true);
        const adjStart = 64 + Math.ceil((8 + 4 * restartCount) / 64) * 64;
        for (let r = 0; r < restartCount; r++) {
          const off = v.getUint32(72 + 4 * r, true);
          // The layer count of node 64·r (1..3 layers → a single-byte varint).
          expect(enc[adjStart + off]).toBe(g.nodes[64 * r]!.length);
        }
      }),
      { numRuns: 20 },
    );
  });
});

/** Reference unsigned LEB128 with BigInt, written from spec §3.1. */
function leb128(v: bigint): number[] {
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

describe('varint and delta list', () => {
  const value = fc.oneof(
    fc.nat({ max: 127 }),
    fc.nat({ max: 1 << 21 }),
    safeNat,
    fc.constantFrom(0, 127, 128, 16383, 16384, 2 ** 32, 2 ** 53 - 1),
  );

  it('writeVarint matches a BigInt LEB128, varintSize agrees, readVarint inverts it', () => {
    fc.assert(
      fc.property(value, (x) => {
        const out: number[] = [];
        writeVarint(out, x);
        expect(out).toEqual(leb128(BigInt(x)));
        expect(varintSize(x)).toBe(out.length);
        const r = new ByteReader(Uint8Array.from(out), 'varint');
        expect(readVarint(r)).toBe(x);
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('delta lists of sorted values round-trip and re-encode identically', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), (vals) => {
        const sorted = [...vals].sort((a, b) => a - b);
        const out: number[] = [];
        writeDeltaList(out, sorted);
        // Independently: first value absolute, then successive differences.
        const expected = sorted.flatMap((x, i) => leb128(BigInt(i === 0 ? x : x - sorted[i - 1]!)));
        expect(out).toEqual(expected);
        const r = new ByteReader(Uint8Array.from(out), 'delta');
        const back = readDeltaList(r, sorted.length);
        expect(back).toEqual(sorted);
        const again: number[] = [];
        writeDeltaList(again, back);
        expect(again).toEqual(out);
      }),
      RUNS,
    );
  });

  it('rejects values past 2^53, over-long and cut-off varints with an RvfError', () => {
    const reject = (b: number[]) => {
      const r = new ByteReader(Uint8Array.from(b), 'varint');
      expect(() => readVarint(r)).toThrow(RvfError);
    };
    reject(leb128(2n ** 53n));
    reject(leb128(2n ** 64n - 1n));
    reject(Array(11).fill(0x80));
    reject([0x80, 0x80]);
    reject([]);
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }), (x) => reject(leb128(x))),
      { numRuns: 100 },
    );
  });
});

describe('lock record', () => {
  const lock: fc.Arbitrary<LockRecord> = fc.record({
    pid: u32,
    hostname: unicode(24).filter((s) => !s.includes('\0') && utf8Length(s) <= 62),
    timestampNs: u64,
    writerId: bytes(16),
    version: u32,
  });
  it('decode(encode(r)) = r; 104 bytes; CRC32 over 0x00..0x63 agrees with zlib', async () => {
    const { crc32: zcrc } = await import('node:zlib');
    fc.assert(
      fc.property(lock, (rec) => {
        const enc = encodeLockRecord(rec);
        expect(enc.length).toBe(104);
        const v = dv(enc);
        expect(hex(enc.subarray(0, 4))).toBe('464c5652');
        expect(v.getUint32(0x04, true)).toBe(rec.pid);
        expect(v.getBigUint64(0x48, true)).toBe(rec.timestampNs);
        expect(v.getUint32(0x60, true)).toBe(rec.version);
        expect(v.getUint32(0x64, true)).toBe(zcrc(enc.subarray(0, 0x64)) >>> 0);
        const dec = decodeLockRecord(enc);
        expect(dec).toEqual({ ok: true, record: rec });
        if (!dec.ok) return;
        expect(encodeLockRecord(dec.record)).toEqual(enc);
      }),
      RUNS,
    );
  });

  it('truncates an over-long ASCII hostname to 62 bytes, keeping a NUL terminator', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 63, maxLength: 200 }), (host) => {
        fc.pre(!host.includes('\0'));
        const rec = { pid: 1, hostname: host, timestampNs: 1n, writerId: new Uint8Array(16), version: 1 };
        const enc = encodeLockRecord(rec);
        expect(enc[0x08 + 62]).toBe(0);
        const dec = decodeLockRecord(enc);
        expect(dec.ok && dec.record.hostname).toBe(host.slice(0, 62));
      }),
      { numRuns: 50 },
    );
  });

  it('any single bit flip makes the record undecodable (magic or CRC), never a throw', () => {
    const enc = encodeLockRecord({
      pid: 4242,
      hostname: 'host',
      timestampNs: 123n,
      writerId: new Uint8Array(16).fill(7),
      version: 1,
    });
    for (let bit = 0; bit < 104 * 8; bit++) {
      const b = enc.slice();
      b[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeLockRecord(b).ok).toBe(false);
    }
    for (let n = 0; n < 104; n++) expect(decodeLockRecord(enc.subarray(0, n)).ok).toBe(false);
  });
});
