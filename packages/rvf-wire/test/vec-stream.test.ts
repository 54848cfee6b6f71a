/**
 * streamVecSegment reads a VEC segment in pieces. Whatever the piece size and whatever the
 * source (plain reads, or readInto through one reused buffer), the records it hands out must
 * be exactly the ones decodeVecPayload gives for the whole payload and the ones that were
 * written: ids (as numbers and as bigints) and every float bit pattern. Segments that fail
 * a header or length check must be refused before anything is visited; a damaged payload
 * can only be detected at the end (after the visits), and must still throw.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DirectoryEntry,
  ErrorCode,
  RvfError,
  SEGMENT_HEADER_SIZE,
  SegmentType,
  VEC_HEADER_SIZE,
  vecRecordSize,
} from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ByteSource,
  bytesSource,
  type DecodedVecBlock,
  decodeVecPayload,
  encodeSegment,
  encodeVecPayload,
  fileHandleSource,
  readSegmentAt,
  streamVecSegment,
  vecRecords,
} from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'rvfjs-vec-stream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Offset of the 16-byte content hash in a segment header (spec §2.1). */
const HASH_AT = 40;
const PREFIX = 37; // an odd number of unrelated bytes before the segment: offsets are not 0 or aligned

interface Fixture {
  dimension: number;
  ids: bigint[];
  /** The written floats' bit patterns, record after record. */
  bits: Uint32Array;
  payload: Uint8Array;
  /** PREFIX junk bytes, then the segment. */
  file: Uint8Array;
  entry: DirectoryEntry;
}

/**
 * A VEC segment with awkward content: ids at the 2^53 boundary and near 2^64, floats that
 * include -0, infinities, quiet and signalling NaNs with payloads, subnormals.
 */
function fixture(count: number, dimension: number, seed = 1): Fixture {
  const special = [0x80000000, 0x7fc00001, 0xff800001, 0x7f800000, 0xff800000, 0x00000001, 0x7fbfffff];
  const bits = new Uint32Array(count * dimension);
  let s = seed >>> 0;
  for (let i = 0; i < bits.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[i] = i % 5 === 0 ? special[(i / 5) % special.length]! : s;
  }
  const edgeIds = [0n, 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 64n) - 1n, 4095n, 1n << 32n];
  const ids = Array.from({ length: count }, (_, i) =>
    i < edgeIds.length ? edgeIds[i]! : BigInt(i * 7 + 100),
  );
  const payload = encodeVecPayload({
    dimension,
    ids: BigUint64Array.from(ids),
    vectors: new Float32Array(bits.buffer.slice(0)),
  });
  const seg = encodeSegment(SegmentType.Vec, 9n, payload);
  const file = new Uint8Array(PREFIX + seg.length).fill(0xa5, 0, PREFIX);
  file.set(seg, PREFIX);
  return {
    dimension,
    ids,
    bits,
    payload,
    file,
    entry: { segId: 9n, offset: PREFIX, payloadLength: payload.length, segType: SegmentType.Vec },
  };
}

interface Collected {
  keys: number[];
  ids: bigint[];
  /** Bits via copyVectors into a fresh destination. */
  bits: number[];
  /** Bits via the lazy `vectors` getter. */
  viaGetter: number[];
  blocks: number;
}

/** Copies everything out of each block while it is valid (blocks view a reused buffer). */
function collector(): { visit: (b: DecodedVecBlock) => void; got: Collected } {
  const got: Collected = { keys: [], ids: [], bits: [], viaGetter: [], blocks: 0 };
  const visit = (b: DecodedVecBlock) => {
    got.blocks++;
    expect(b.keys.length).toBe(b.count);
    got.keys.push(...b.keys);
    got.ids.push(...b.ids);
    const dst = new Float32Array(b.count * b.dimension);
    b.copyVectors(dst, 0);
    got.bits.push(...new Uint32Array(dst.buffer));
    got.viaGetter.push(...new Uint32Array(b.vectors.buffer, b.vectors.byteOffset, b.vectors.length));
  };
  return { visit, got };
}

/** What keys must hold: the id as a number below 2^53, NaN from there on. */
const expectedKey = (id: bigint) => (id < 1n << 53n ? Number(id) : Number.NaN);

function expectSameRecords(got: Collected, fx: Fixture): void {
  const whole = decodeVecPayload(fx.payload);
  const wholeBits = Array.from(new Uint32Array(whole.vectors.buffer, 0, whole.vectors.length));
  // Against what was written…
  expect(got.ids).toEqual(fx.ids);
  expect(got.keys).toEqual(fx.ids.map(expectedKey));
  expect(got.bits).toEqual(Array.from(fx.bits));
  expect(got.viaGetter).toEqual(Array.from(fx.bits));
  // …and against the whole-payload decoder.
  expect(got.ids).toEqual(Array.from(whole.ids));
  expect(got.keys).toEqual(Array.from(whole.keys));
  expect(got.bits).toEqual(wholeBits);
}

/** A source wrapper counting which read path streamVecSegment takes. */
function counting(src: ByteSource) {
  const calls = { read: 0, readInto: 0, targets: new Set<ArrayBufferLike>() };
  const wrapped: ByteSource = {
    size: src.size,
    read: (o, n) => {
      calls.read++;
      return src.read(o, n);
    },
    ...(src.readInto
      ? {
          readInto: (o: number, t: Uint8Array) => {
            calls.readInto++;
            calls.targets.add(t.buffer);
            return src.readInto!(o, t);
          },
        }
      : {}),
  };
  return { wrapped, calls };
}

async function fileSource(bytes: Uint8Array, name: string) {
  const path = join(work, name);
  await writeFile(path, bytes);
  const fh = await open(path, 'r');
  return { source: fileHandleSource(fh, bytes.length), close: () => fh.close() };
}

async function expectRvf(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err, 'expected an RvfError').toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(code);
  if (pattern) expect((err as RvfError).message).toMatch(pattern);
}

describe('streamVecSegment gives the same records for every piece size', () => {
  const COUNT = 23;
  const DIM = 5;
  const stride = vecRecordSize(DIM);
  const fx = fixture(COUNT, DIM);
  const chunkSizes = [
    1, // below one record: still one record per piece
    stride - 1,
    stride,
    stride + 1,
    2 * stride + 3,
    7 * stride - 1,
    COUNT * stride - 1,
    COUNT * stride,
    fx.payload.length * 4,
  ];

  it.each(chunkSizes)('bytesSource (plain reads), chunkBytes %i', async (chunk) => {
    const { visit, got } = collector();
    const { wrapped, calls } = counting(bytesSource(fx.file));
    const res = await streamVecSegment(wrapped, fx.entry, visit, chunk);
    expectSameRecords(got, fx);
    const perChunk = Math.max(1, Math.floor(chunk / stride));
    expect(got.blocks).toBe(Math.ceil(COUNT / perChunk));
    expect(calls.readInto).toBe(0);
    expect(res).toMatchObject({ dimension: DIM, count: COUNT, hash: 'ok' });
    expect(res.header.segmentId).toBe(9n);
    expect(res.header.payloadLength).toBe(fx.payload.length);
  });

  it.each(chunkSizes)('fileHandleSource over a real file (readInto), chunkBytes %i', async (chunk) => {
    const f = await fileSource(fx.file, `chunk-${chunk}.bin`);
    try {
      const { visit, got } = collector();
      const { wrapped, calls } = counting(f.source);
      const res = await streamVecSegment(wrapped, fx.entry, visit, chunk);
      expectSameRecords(got, fx);
      const perChunk = Math.max(1, Math.floor(chunk / stride));
      expect(got.blocks).toBe(Math.ceil(COUNT / perChunk));
      // Records come through readInto, into one reused buffer; only the header uses read().
      expect(calls.readInto).toBe(got.blocks);
      expect(calls.read).toBe(1);
      expect(calls.targets.size).toBe(1);
      expect(res.hash).toBe('ok');
    } finally {
      await f.close();
    }
  });

  it('the default piece size works and gives one block for a small segment', async () => {
    const { visit, got } = collector();
    await streamVecSegment(bytesSource(fx.file), fx.entry, visit);
    expectSameRecords(got, fx);
    expect(got.blocks).toBe(1);
  });

  it('a segment whose content hash is unset (all zero) streams and reports "unset"', async () => {
    const file = fx.file.slice();
    file.fill(0, PREFIX + HASH_AT, PREFIX + HASH_AT + 16);
    const { visit, got } = collector();
    const res = await streamVecSegment(bytesSource(file), fx.entry, visit, stride * 4);
    expectSameRecords(got, fx);
    expect(res.hash).toBe('unset');
  });

  it('works for dimension 1 and for a single record', async () => {
    for (const [count, dim] of [
      [40, 1],
      [1, 7],
    ] as const) {
      const f = fixture(count, dim, 5);
      for (const chunk of [1, vecRecordSize(dim) * 3, 1 << 20]) {
        const { visit, got } = collector();
        await streamVecSegment(bytesSource(f.file), f.entry, visit, chunk);
        expectSameRecords(got, f);
      }
    }
  });
});

describe('the read buffer kept between streams', () => {
  it('is reused by the next stream, and never shared by two streams at once', async () => {
    const a = fixture(31, 6, 2);
    const b = fixture(17, 9, 3);
    const fa = await fileSource(a.file, 'shared-a.bin');
    const fb = await fileSource(b.file, 'shared-b.bin');
    try {
      // One stream after another: the second fills the buffer the first gave back.
      const first = counting(fa.source);
      await streamVecSegment(first.wrapped, a.entry, collector().visit, vecRecordSize(6) * 4);
      const second = counting(fb.source);
      const alone = collector();
      await streamVecSegment(second.wrapped, b.entry, alone.visit, vecRecordSize(9) * 2);
      expectSameRecords(alone.got, b);
      expect([...second.calls.targets]).toEqual([...first.calls.targets]);
      // Two at once, their reads interleaving (each readInto yields before it fills): each
      // gets its own buffer and its own records, bit for bit.
      const slow = (src: ByteSource): ByteSource => ({
        ...src,
        readInto: async (o, t) => {
          await new Promise((r) => setTimeout(r, 1));
          return src.readInto!(o, t);
        },
      });
      const ca = counting(slow(fa.source));
      const cb = counting(slow(fb.source));
      const ga = collector();
      const gb = collector();
      await Promise.all([
        streamVecSegment(ca.wrapped, a.entry, ga.visit, vecRecordSize(6) * 3),
        streamVecSegment(cb.wrapped, b.entry, gb.visit, vecRecordSize(9) * 2),
      ]);
      expectSameRecords(ga.got, a);
      expectSameRecords(gb.got, b);
      expect(ga.got.blocks).toBeGreaterThan(1);
      const shared = [...ca.calls.targets].filter((t) => cb.calls.targets.has(t));
      expect(shared).toEqual([]);
    } finally {
      await fa.close();
      await fb.close();
    }
  });
});

describe('a zero-record segment', () => {
  it('visits nothing and reports count 0', async () => {
    const payload = encodeVecPayload({
      dimension: 3,
      ids: new BigUint64Array(0),
      vectors: new Float32Array(0),
    });
    expect(payload.length).toBe(VEC_HEADER_SIZE);
    const seg = encodeSegment(SegmentType.Vec, 2n, payload);
    const entry = { segId: 2n, offset: 0, payloadLength: payload.length, segType: SegmentType.Vec };
    const f = await fileSource(seg, 'empty.bin');
    try {
      for (const source of [bytesSource(seg), f.source]) {
        let visits = 0;
        const res = await streamVecSegment(source, entry, () => visits++, 1);
        expect(visits).toBe(0);
        expect(res).toMatchObject({ dimension: 3, count: 0, hash: 'ok' });
      }
    } finally {
      await f.close();
    }
  });
});

describe('damage', () => {
  const DIM = 4;
  const COUNT = 10;
  const fx = fixture(COUNT, DIM, 3);
  const stride = vecRecordSize(DIM);

  it('a flipped payload byte is "content hash mismatch" (InvalidChecksum), after every record was visited', async () => {
    // Last float byte, a middle id byte, and the first float byte of record 0.
    const payloadAt = PREFIX + SEGMENT_HEADER_SIZE;
    for (const at of [fx.payload.length - 1, VEC_HEADER_SIZE + 5 * stride + 3, VEC_HEADER_SIZE + 8]) {
      for (const chunk of [1, stride * 3, 1 << 20]) {
        const file = fx.file.slice();
        file[payloadAt + at]! ^= 0x10;
        let visited = 0;
        await expectRvf(
          streamVecSegment(bytesSource(file), fx.entry, (b) => (visited += b.count), chunk),
          ErrorCode.InvalidChecksum,
          /content hash mismatch/,
        );
        expect(visited).toBe(COUNT);
        // The whole-segment reader agrees that this segment is damaged.
        await expectRvf(readSegmentAt(bytesSource(file), fx.entry), ErrorCode.InvalidChecksum, /mismatch/);
      }
    }
  });

  it('the same through the readInto path', async () => {
    const file = fx.file.slice();
    file[file.length - 1]! ^= 1;
    const f = await fileSource(file, 'flipped.bin');
    try {
      let visited = 0;
      await expectRvf(
        streamVecSegment(f.source, fx.entry, (b) => (visited += b.count), stride * 2),
        ErrorCode.InvalidChecksum,
        /content hash mismatch/,
      );
      expect(visited).toBe(COUNT);
    } finally {
      await f.close();
    }
  });

  /** Each case must be refused with InvalidChecksum before `visit` runs, as readSegmentAt refuses it. */
  async function refusedBeforeVisit(file: Uint8Array, entry: DirectoryEntry, pattern: RegExp, whole = true) {
    const f = await fileSource(file, 'bad.bin');
    try {
      for (const source of [bytesSource(file), f.source]) {
        let visits = 0;
        await expectRvf(
          streamVecSegment(source, entry, () => visits++, stride),
          ErrorCode.InvalidChecksum,
          pattern,
        );
        expect(visits).toBe(0);
      }
    } finally {
      await f.close();
    }
    if (whole) await expectRvf(readSegmentAt(bytesSource(file), entry), ErrorCode.InvalidChecksum);
  }

  it('an entry whose payload length differs from the header', async () => {
    await refusedBeforeVisit(
      fx.file,
      { ...fx.entry, payloadLength: fx.entry.payloadLength - stride },
      /header says/,
    );
  });

  it('an entry whose length runs past the end of the source', async () => {
    await refusedBeforeVisit(
      fx.file,
      { ...fx.entry, payloadLength: fx.entry.payloadLength + 1 },
      /past the end/,
    );
    await refusedBeforeVisit(fx.file, { ...fx.entry, offset: fx.file.length - 10 }, /past the end/);
  });

  it('a header segment type that differs from the entry', async () => {
    await refusedBeforeVisit(fx.file, { ...fx.entry, segType: SegmentType.Manifest }, /differs/);
  });

  it('no segment magic at the entry offset', async () => {
    await refusedBeforeVisit(fx.file, { ...fx.entry, offset: PREFIX - 1 }, /magic/);
  });

  it('count × dimension that does not fill the payload (hash valid, so only the layout is wrong)', async () => {
    const cases: [number, number][] = [
      [DIM, COUNT - 1], // one record too few
      [DIM, COUNT + 1], // one too many
      [DIM + 1, COUNT], // wider records
      [DIM - 1, COUNT],
    ];
    for (const [dim, count] of cases) {
      const payload = fx.payload.slice();
      const view = new DataView(payload.buffer);
      view.setUint16(0, dim, true);
      view.setUint32(2, count, true);
      const seg = encodeSegment(SegmentType.Vec, 9n, payload); // a fresh, valid content hash
      const entry = { ...fx.entry, offset: 0 };
      // readSegmentAt only checks the envelope; the whole-payload decoder refuses the layout.
      await refusedBeforeVisit(seg, entry, /records of dimension .* need/, false);
      expect(() => decodeVecPayload(payload)).toThrow(RvfError);
    }
  });

  it('a payload shorter than the VEC header', async () => {
    const payload = new Uint8Array([1, 0, 0, 0, 0]);
    const seg = encodeSegment(SegmentType.Vec, 1n, payload);
    await refusedBeforeVisit(
      seg,
      { segId: 1n, offset: 0, payloadLength: 5, segType: SegmentType.Vec },
      /no header/,
      false,
    );
  });
});

describe('copyVectors', () => {
  const DIM = 3;
  const fx = fixture(6, DIM, 11);
  const stride = vecRecordSize(DIM);

  it('copies any sub-range to any position, leaving the rest of the destination alone', () => {
    const block = decodeVecPayload(fx.payload);
    for (let first = 0; first <= 6; first++) {
      for (let n = 0; first + n <= 6; n++) {
        const dst = new Float32Array(n * DIM + 5);
        const marker = new Uint32Array(dst.buffer).fill(0xdeadbeef);
        block.copyVectors(dst, 2, first, n);
        const want = [
          0xdeadbeef,
          0xdeadbeef,
          ...fx.bits.subarray(first * DIM, (first + n) * DIM),
          0xdeadbeef,
          0xdeadbeef,
          0xdeadbeef,
        ];
        expect(Array.from(marker)).toEqual(want);
      }
    }
  });

  it('copies the same bits at any byte alignment of the payload (word, half-word and byte copies)', () => {
    for (const dim of [DIM, 4, 128]) {
      const f = fixture(5, dim, 12);
      for (let shift = 0; shift < 4; shift++) {
        const backing = new Uint8Array(f.payload.length + 4);
        const payload = backing.subarray(shift, shift + f.payload.length);
        payload.set(f.payload);
        const block = decodeVecPayload(payload);
        for (const [first, n] of [
          [0, 5],
          [1, 3],
          [4, 1],
          [2, 0],
        ] as const) {
          const dst = new Float32Array(n * dim);
          block.copyVectors(dst, 0, first, n);
          expect(Array.from(new Uint32Array(dst.buffer)), `dim ${dim} shift ${shift} ${first}+${n}`).toEqual(
            Array.from(f.bits.subarray(first * dim, (first + n) * dim)),
          );
        }
      }
    }
  });

  it('writes through a destination view with a byte offset', () => {
    const block = decodeVecPayload(fx.payload);
    const backing = new Float32Array(4 + 6 * DIM);
    block.copyVectors(backing.subarray(4), 0);
    expect(Array.from(new Uint32Array(backing.buffer, 16))).toEqual(Array.from(fx.bits));
    expect(Array.from(new Uint32Array(backing.buffer, 0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('out-of-range requests are RvfError DimensionMismatch, never RangeError, and write nothing', () => {
    const block = decodeVecPayload(fx.payload);
    const bad: [number, number, number | undefined, number | undefined][] = [
      [6 * DIM - 1, 0, undefined, undefined], // destination one float short
      [6 * DIM, 1, undefined, undefined], // fits only from 0
      [6 * DIM, -1, undefined, undefined], // negative destination index
      [6 * DIM, 0, -1, 1], // negative first
      [6 * DIM, 0, 0, 7], // more records than the block has
      [6 * DIM, 0, 5, 2], // runs past the last record
      [6 * DIM, 0, 2, -1], // negative count
      [6 * DIM, 0, 7, undefined], // first beyond the end (count defaults negative)
      [2 * DIM, 0, 0, 3], // destination too short for the requested count
    ];
    for (const [len, at, first, n] of bad) {
      const dst = new Float32Array(len);
      let err: unknown;
      try {
        block.copyVectors(dst, at, first, n);
      } catch (e) {
        err = e;
      }
      expect(err, `copyVectors(len ${len}, at ${at}, ${first}, ${n})`).toBeInstanceOf(RvfError);
      expect((err as RvfError).code).toBe(ErrorCode.DimensionMismatch);
      expect(dst.every((x) => x === 0)).toBe(true);
    }
  });

  it('also on blocks handed out by streamVecSegment', async () => {
    let checked = 0;
    await streamVecSegment(
      bytesSource(fx.file),
      fx.entry,
      (b) => {
        expect(() => b.copyVectors(new Float32Array(b.count * DIM - 1), 0)).toThrow(RvfError);
        expect(() => b.copyVectors(new Float32Array(b.count * DIM), 0, 0, b.count + 1)).toThrow(RvfError);
        checked++;
      },
      stride * 4,
    );
    expect(checked).toBe(2);
  });
});

describe('vecRecords', () => {
  const DIM = 2;
  const fx = fixture(5, DIM, 17);
  const stride = vecRecordSize(DIM);

  it('reads runs of records at any byte offset, agreeing with the whole-payload decoder', () => {
    const whole = decodeVecPayload(fx.payload);
    for (let first = 0; first < 5; first++) {
      const n = 5 - first;
      // Copy into a buffer with a leading gap so `at` is not the payload's own offset.
      const bytes = new Uint8Array(3 + n * stride);
      bytes.set(fx.payload.subarray(VEC_HEADER_SIZE + first * stride), 3);
      const b = vecRecords(bytes, 3, n, DIM);
      expect(b.count).toBe(n);
      expect(Array.from(b.ids)).toEqual(Array.from(whole.ids.subarray(first)));
      expect(Array.from(b.keys)).toEqual(Array.from(whole.keys.subarray(first)));
      expect(Array.from(new Uint32Array(b.vectors.buffer, 0, b.vectors.length))).toEqual(
        Array.from(fx.bits.subarray(first * DIM)),
      );
    }
  });

  it('refuses a run that does not fit in the bytes (TruncatedSegment)', () => {
    let err: unknown;
    try {
      vecRecords(fx.payload, VEC_HEADER_SIZE + 1, 5, DIM);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RvfError);
    expect((err as RvfError).code).toBe(ErrorCode.TruncatedSegment);
  });
});
