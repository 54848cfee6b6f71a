/**
 * RVFJS_METADATA (0x40) payloads. The expected bytes are laid out here field by field with
 * a DataView, straight from the format description (version 3: 8-byte header, 24-byte
 * companion, records of version 2), so an encoder/decoder pair that agrees on a wrong
 * layout cannot pass. Older versions (1 and 2) are only ever decoded, so they are built by
 * hand too.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { ErrorCode, RvfError } from '@rvfjs/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMetadataPayload,
  decodeMetadataSegment,
  encodeMetadataPayload,
  encodeVecPayload,
  type MetadataCompanion,
  type MetadataRecord,
  type MetaValue,
  metadataSegmentReader,
  vecPayloadFingerprints,
  vectorFingerprint,
} from '../src/index.js';

/** Little-endian byte builder over a growing array: independent of the package's ByteWriter. */
class Bytes {
  private out: number[] = [];
  private put(n: number, set: (v: DataView) => void): this {
    const b = new Uint8Array(n);
    set(new DataView(b.buffer));
    this.out.push(...b);
    return this;
  }
  u8 = (v: number) => this.put(1, (d) => d.setUint8(0, v));
  u16 = (v: number) => this.put(2, (d) => d.setUint16(0, v, true));
  u32 = (v: number) => this.put(4, (d) => d.setUint32(0, v, true));
  u64 = (v: bigint) => this.put(8, (d) => d.setBigUint64(0, v, true));
  i64 = (v: bigint) => this.put(8, (d) => d.setBigInt64(0, v, true));
  f64 = (v: number) => this.put(8, (d) => d.setFloat64(0, v, true));
  raw = (b: ArrayLike<number>) => {
    this.out.push(...Array.from(b));
    return this;
  };
  /** A field: `field_id u16 | value_type u8 | value` (type codes u64 0, i64 1, f64 2, string 3). */
  field(f: MetaValue): this {
    this.u16(f.fieldId);
    switch (f.valueType) {
      case 'u64':
        return this.u8(0).u64(f.value);
      case 'i64':
        return this.u8(1).i64(f.value);
      case 'f64':
        return this.u8(2).f64(f.value);
      case 'string': {
        const s = new TextEncoder().encode(f.value);
        return this.u8(3).u32(s.length).raw(s);
      }
    }
  }
  done = () => new Uint8Array(this.out);
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Every value type, each at an extreme, and an empty record (which clears metadata). */
const sample: MetadataRecord[] = [
  {
    id: 0x0102030405060708n,
    fingerprint: 0xdeadbeef,
    fields: [
      { fieldId: 1, valueType: 'u64', value: U64_MAX },
      { fieldId: 2, valueType: 'i64', value: I64_MIN },
      { fieldId: 3, valueType: 'f64', value: -0.5 },
      { fieldId: 0xffff, valueType: 'string', value: 'héllo 😀' },
    ],
  },
  { id: U64_MAX, fingerprint: 0, fields: [] },
  { id: 7n, fingerprint: 1, fields: [{ fieldId: 0, valueType: 'string', value: '' }] },
];
const companion: MetadataCompanion = {
  segId: 0x1122334455667788n,
  contentHash: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
};

function handV3(records: MetadataRecord[], comp?: MetadataCompanion): Uint8Array {
  const b = new Bytes().u8(3).u8(0).u16(0).u32(records.length);
  b.u64(comp?.segId ?? 0n).raw(comp?.contentHash ?? new Uint8Array(16));
  for (const r of records) {
    b.u64(r.id).u32(r.fingerprint!).u16(r.fields.length);
    for (const f of r.fields) b.field(f);
  }
  return b.done();
}

function expectRvf(fn: () => unknown, code: number, pattern?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a throw').toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(code);
  if (pattern) expect((err as RvfError).message).toMatch(pattern);
}

describe('RVFJS_METADATA version 3 layout', () => {
  it('the encoder writes exactly the hand-built bytes (with companion)', () => {
    const want = handV3(sample, companion);
    // 8 header + 24 companion + records: 14 + (3+8)*3 + 3+4+11 (UTF-8 "héllo 😀") | 14 | 14 + 3+4.
    expect(want.length).toBe(8 + 24 + (14 + 33 + 3 + 4 + 11) + 14 + (14 + 7));
    expect(encodeMetadataPayload(sample, companion)).toEqual(want);
  });

  it('without a companion the companion fields are zero', () => {
    const got = encodeMetadataPayload(sample);
    expect(got).toEqual(handV3(sample));
    expect(got.subarray(8, 32).every((b) => b === 0)).toBe(true);
  });

  it('an empty record list is just the 32-byte header', () => {
    const got = encodeMetadataPayload([], companion);
    expect(got).toEqual(handV3([], companion));
    expect(got.length).toBe(32);
    expect(decodeMetadataSegment(got)).toEqual({ version: 3, companion, records: [] });
  });

  it('decodes hand-built bytes back, with the companion only when its hash is non-zero', () => {
    expect(decodeMetadataSegment(handV3(sample, companion))).toEqual({
      version: 3,
      companion,
      records: sample,
    });
    const noComp = decodeMetadataSegment(handV3(sample));
    expect(noComp).toEqual({ version: 3, records: sample });
    expect('companion' in noComp).toBe(false);
    // A companion seg id with an all-zero hash is still "no companion".
    const zeroHash = decodeMetadataSegment(handV3(sample, { segId: 5n, contentHash: new Uint8Array(16) }));
    expect('companion' in zeroHash).toBe(false);
    expect(decodeMetadataPayload(handV3(sample, companion))).toEqual(sample);
  });

  it('the decoded companion hash is a copy, not a view of the payload', () => {
    const bytes = handV3(sample, companion);
    const seg = decodeMetadataSegment(bytes);
    bytes.fill(0xee, 16, 32);
    expect(seg.companion!.contentHash).toEqual(companion.contentHash);
  });

  it('refuses records without a fingerprint and companion hashes that are not 16 bytes', () => {
    expectRvf(
      () => encodeMetadataPayload([{ id: 1n, fields: [] }]),
      ErrorCode.InvalidChecksum,
      /fingerprint/,
    );
    expectRvf(
      () => encodeMetadataPayload(sample, { segId: 1n, contentHash: new Uint8Array(15) }),
      ErrorCode.InvalidChecksum,
      /16 bytes/,
    );
  });

  it('refuses values and ids outside their 64-bit range instead of wrapping them', () => {
    const rec = (fields: MetadataRecord['fields'], id = 1n): MetadataRecord => ({
      id,
      fingerprint: 0,
      fields,
    });
    const bad: [MetadataRecord, number, RegExp][] = [
      [rec([{ fieldId: 0, valueType: 'u64', value: -1n }]), ErrorCode.FilterParseError, /not a u64/],
      [rec([{ fieldId: 0, valueType: 'u64', value: 2n ** 64n }]), ErrorCode.FilterParseError, /not a u64/],
      [rec([{ fieldId: 0, valueType: 'i64', value: 2n ** 63n }]), ErrorCode.FilterParseError, /not an i64/],
      [
        rec([{ fieldId: 0, valueType: 'i64', value: -(2n ** 63n) - 1n }]),
        ErrorCode.FilterParseError,
        /not an i64/,
      ],
      [rec([], 2n ** 64n), ErrorCode.InvalidManifest, /not a u64/],
      [rec([], -1n), ErrorCode.InvalidManifest, /not a u64/],
    ];
    for (const [r, code, msg] of bad) expectRvf(() => encodeMetadataPayload([r]), code, msg);
    // The extremes themselves are fine and come back unchanged.
    const edge = rec(
      [
        { fieldId: 0, valueType: 'u64', value: 2n ** 64n - 1n },
        { fieldId: 1, valueType: 'i64', value: -(2n ** 63n) },
        { fieldId: 2, valueType: 'i64', value: 2n ** 63n - 1n },
      ],
      2n ** 64n - 1n,
    );
    expect(decodeMetadataPayload(encodeMetadataPayload([edge]))).toEqual([edge]);
  });
});

describe('older versions still decode', () => {
  it('version 1: no fingerprint, no companion', () => {
    const b = new Bytes().u8(1).u8(0).u16(0).u32(2);
    b.u64(42n).u16(2);
    b.field({ fieldId: 9, valueType: 'i64', value: -3n });
    b.field({ fieldId: 10, valueType: 'string', value: 'ü' });
    b.u64(U64_MAX).u16(0);
    const seg = decodeMetadataSegment(b.done(), 1000);
    expect(seg).toEqual({
      version: 1,
      records: [
        {
          id: 42n,
          fields: [
            { fieldId: 9, valueType: 'i64', value: -3n },
            { fieldId: 10, valueType: 'string', value: 'ü' },
          ],
        },
        { id: U64_MAX, fields: [] },
      ],
    });
    // Version 1 records apply in directory order; they must not look fingerprinted.
    for (const r of seg.records) expect('fingerprint' in r).toBe(false);
  });

  it('version 2: fingerprint, no companion fields in the header', () => {
    const b = new Bytes().u8(2).u8(0).u16(0).u32(1);
    b.u64(5n).u32(0xffffffff).u16(2);
    b.field({ fieldId: 0, valueType: 'u64', value: 1n << 63n });
    b.field({ fieldId: 1, valueType: 'f64', value: Number.MAX_VALUE });
    const bytes = b.done();
    expect(bytes.length).toBe(8 + 14 + 11 + 11);
    expect(decodeMetadataSegment(bytes)).toEqual({
      version: 2,
      records: [
        {
          id: 5n,
          fingerprint: 0xffffffff,
          fields: [
            { fieldId: 0, valueType: 'u64', value: 1n << 63n },
            { fieldId: 1, valueType: 'f64', value: Number.MAX_VALUE },
          ],
        },
      ],
    });
  });
});

describe('malformed payloads are RvfError InvalidChecksum', () => {
  it('versions 0, 4 and 255 are refused', () => {
    for (const version of [0, 4, 255]) {
      const bytes = handV3(sample, companion);
      bytes[0] = version;
      expectRvf(() => decodeMetadataSegment(bytes), ErrorCode.InvalidChecksum, /unsupported version/);
      expectRvf(() => decodeMetadataPayload(bytes), ErrorCode.InvalidChecksum);
    }
  });

  it('trailing bytes are refused (all versions)', () => {
    const v3 = handV3(sample, companion);
    const v2 = new Bytes().u8(2).u8(0).u16(0).u32(1).u64(1n).u32(2).u16(0).done();
    const v1 = new Bytes().u8(1).u8(0).u16(0).u32(1).u64(1n).u16(0).done();
    for (const good of [v3, v2, v1]) {
      expect(() => decodeMetadataSegment(good)).not.toThrow();
      const longer = new Uint8Array(good.length + 1);
      longer.set(good);
      expectRvf(() => decodeMetadataSegment(longer), ErrorCode.InvalidChecksum, /trailing/);
    }
  });

  it('an unknown value type is refused', () => {
    const b = new Bytes().u8(3).u8(0).u16(0).u32(1).u64(0n).raw(new Uint8Array(16));
    b.u64(1n).u32(0).u16(1).u16(0).u8(4).u64(0n);
    expectRvf(() => decodeMetadataSegment(b.done()), ErrorCode.InvalidChecksum, /value type 4/);
  });

  it('a count larger than the payload can hold fails fast, without allocating', () => {
    const b = new Bytes().u8(3).u8(0).u16(0).u32(0xffffffff).u64(0n).raw(new Uint8Array(16));
    expectRvf(() => decodeMetadataSegment(b.done()), ErrorCode.InvalidChecksum, /exceeds/);
  });

  it('a string length running past the end is refused', () => {
    const b = new Bytes().u8(3).u8(0).u16(0).u32(1).u64(0n).raw(new Uint8Array(16));
    b.u64(1n).u32(0).u16(1).u16(0).u8(3).u32(0x7fffffff).raw([65, 66]);
    expectRvf(() => decodeMetadataSegment(b.done()), ErrorCode.InvalidChecksum);
  });

  it('every truncation of a small payload throws an RvfError (never RangeError/TypeError)', () => {
    const whole = handV3(sample, companion);
    const failures: string[] = [];
    for (let n = 0; n < whole.length; n++) {
      try {
        decodeMetadataSegment(whole.subarray(0, n), 64);
        failures.push(`${n}: decoded without error`);
      } catch (e) {
        if (!(e instanceof RvfError) || e.code !== ErrorCode.InvalidChecksum)
          failures.push(`${n}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('round trip (fast-check)', () => {
  const u64 = fc.oneof(fc.constantFrom(0n, 1n, U64_MAX, 1n << 63n, (1n << 53n) + 1n), fc.bigInt(0n, U64_MAX));
  const i64 = fc.oneof(fc.constantFrom(I64_MIN, I64_MAX, -1n, 0n), fc.bigInt(I64_MIN, I64_MAX));
  const fieldId = fc.integer({ min: 0, max: 0xffff });
  const value: fc.Arbitrary<MetaValue> = fc.oneof(
    fc.record({ fieldId, valueType: fc.constant('u64' as const), value: u64 }),
    fc.record({ fieldId, valueType: fc.constant('i64' as const), value: i64 }),
    // NaN and -0 included: toEqual tells -0 from 0, and f64 bits go through setFloat64 unchanged.
    fc.record({ fieldId, valueType: fc.constant('f64' as const), value: fc.double() }),
    // 'binary' units are whole code points (no lone surrogates), which UTF-8 round-trips.
    fc.record({ fieldId, valueType: fc.constant('string' as const), value: fc.string({ unit: 'binary' }) }),
  );
  const record: fc.Arbitrary<MetadataRecord> = fc.record({
    id: u64,
    fingerprint: fc.integer({ min: 0, max: 0xffffffff }),
    fields: fc.array(value, { maxLength: 6 }),
  });
  const comp: fc.Arbitrary<MetadataCompanion | undefined> = fc.option(
    fc.record({
      segId: u64,
      // At least one non-zero byte: an all-zero hash means "no companion".
      contentHash: fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((h) => h.some((b) => b !== 0)),
    }),
    { nil: undefined },
  );

  it('decode(encode(records, companion)) gives them back, and the bytes match the hand layout', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), comp, (records, c) => {
        const bytes = encodeMetadataPayload(records, c);
        expect(bytes).toEqual(handV3(records, c));
        const seg = decodeMetadataSegment(bytes, 4096);
        expect(seg.version).toBe(3);
        expect(seg.records).toEqual(records);
        if (c) expect(seg.companion).toEqual(c);
        else expect('companion' in seg).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('vectorFingerprint', () => {
  /** CRC32 of (id u64 LE ‖ f32 bytes), computed with Node's zlib over one concatenated buffer. */
  function independent(id: bigint, vector: Float32Array): number {
    const buf = Buffer.alloc(8 + vector.length * 4);
    buf.writeBigUInt64LE(id, 0);
    for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, 8 + 4 * i);
    return zlibCrc32(buf);
  }

  it('equals CRC32 of id ‖ float bytes', () => {
    expect(vectorFingerprint(0n, new Float32Array(0))).toBe(zlibCrc32(Buffer.alloc(8)));
    fc.assert(
      fc.property(
        fc.bigInt(0n, U64_MAX),
        fc.array(fc.float({ noNaN: true }), { maxLength: 40 }),
        (id, floats) => {
          const v = Float32Array.from(floats);
          expect(vectorFingerprint(id, v)).toBe(independent(id, v));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads only the view it is given (subarray with an offset) and tells -0 from 0', () => {
    const backing = new Float32Array([9, 9, 1, -0, 3, 9]);
    const view = backing.subarray(2, 5);
    expect(vectorFingerprint(12n, view)).toBe(independent(12n, Float32Array.from([1, -0, 3])));
    expect(vectorFingerprint(12n, Float32Array.from([1, -0, 3]))).not.toBe(
      vectorFingerprint(12n, Float32Array.from([1, 0, 3])),
    );
  });

  it('covers NaN payload bits as stored', () => {
    const v = new Float32Array(2);
    new Uint32Array(v.buffer).set([0x7fc00001, 0xffa00000]);
    const buf = Buffer.alloc(16);
    buf.writeBigUInt64LE(3n, 0);
    buf.writeUInt32LE(0x7fc00001, 8);
    buf.writeUInt32LE(0xffa00000, 12);
    expect(vectorFingerprint(3n, v)).toBe(zlibCrc32(buf));
  });
});

describe('vecPayloadFingerprints', () => {
  it('equals vectorFingerprint of each record, for any ids and float bit patterns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.bigInt(0n, (1n << 64n) - 1n), { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (dimension, ids, seed) => {
          const vectors = new Float32Array(ids.length * dimension);
          // Raw bit patterns (NaN payloads, -0, denormals): the fingerprint hashes bytes.
          const bits = new Uint32Array(vectors.buffer);
          let x = seed >>> 0;
          for (let i = 0; i < bits.length; i++) bits[i] = x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          const payload = encodeVecPayload({ dimension, ids: BigUint64Array.from(ids), vectors });
          const got = vecPayloadFingerprints(payload);
          expect(Array.from(got)).toEqual(
            ids.map((id, i) => vectorFingerprint(id, vectors.subarray(i * dimension, (i + 1) * dimension))),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a payload shorter than its header says', () => {
    const payload = encodeVecPayload({
      dimension: 2,
      ids: BigUint64Array.of(1n, 2n),
      vectors: new Float32Array(4),
    });
    expect(() => vecPayloadFingerprints(payload.subarray(0, payload.length - 1))).toThrow(/VEC records need/);
    expect(() => vecPayloadFingerprints(payload.subarray(0, 3))).toThrow(/no header/);
  });
});

describe('metadataSegmentReader', () => {
  const records = (n: number): MetadataRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      id: BigInt(i) * 977n + (i % 3 === 0 ? 1n << 60n : 0n),
      fingerprint: (i * 2654435761) >>> 0,
      fields:
        i % 5 === 0
          ? []
          : [
              { fieldId: 0, valueType: 'string' as const, value: `r${i}-é` },
              { fieldId: 1, valueType: 'i64' as const, value: BigInt(-i) },
              { fieldId: 2, valueType: 'f64' as const, value: i / 7 },
            ],
    }));

  it('batches of any size give exactly what decodeMetadataSegment gives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1 }),
        (n, sizes) => {
          const payload = encodeMetadataPayload(records(n), {
            segId: 9n,
            contentHash: new Uint8Array(16).fill(3),
          });
          const whole = decodeMetadataSegment(payload);
          const reader = metadataSegmentReader(payload);
          expect(reader.count).toBe(n);
          expect(reader.version).toBe(whole.version);
          expect(reader.companion).toEqual(whole.companion);
          const got: MetadataRecord[] = [];
          for (let k = 0; ; k++) {
            const batch = reader.next(sizes[k % sizes.length]!);
            if (batch.length === 0) break;
            expect(batch.length).toBeLessThanOrEqual(sizes[k % sizes.length]!);
            got.push(...batch);
          }
          expect(got).toEqual(whole.records);
          expect(reader.next(5)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('damage shows in the batch that reaches it: earlier batches read, trailing bytes at the last', () => {
    const payload = encodeMetadataPayload(records(20));
    const trailing = new Uint8Array(payload.length + 2);
    trailing.set(payload);
    const reader = metadataSegmentReader(trailing);
    expect(reader.next(19)).toHaveLength(19);
    expect(() => reader.next(1)).toThrow(/2 unexpected trailing bytes/);
    // A bad value type in record 16 (its first field's type byte, after id, fingerprint,
    // field count and field id): the first batch of 10 reads, the second fails.
    const bad = payload.slice();
    const at16 = encodeMetadataPayload(records(20).slice(0, 16)).length;
    bad[at16 + 8 + 4 + 2 + 2] = 99;
    const r2 = metadataSegmentReader(bad);
    expect(r2.next(10)).toHaveLength(10);
    expect(() => r2.next(10)).toThrow(/unknown value type 99/);
  });
});
