/**
 * Malformed input must only ever produce an RvfError (never RangeError/TypeError), must
 * terminate, and the tail scan must only ever return a manifest that was really written.
 *
 * The exhaustive loops (every truncation, every bit flip) reuse one buffer, flip/unflip in
 * place and collect failures into arrays, so one `expect` reports them all at the end.
 */
import { ErrorCode, RvfError, SEGMENT_MAGIC, SegmentType } from '@rvfjs/types';
import { describe, expect, it } from 'vitest';
import {
  type ByteSource,
  bytesSource,
  contentHash,
  decodeCowMapPayload,
  decodeIndexPayload,
  decodeJournalPayload,
  decodeManifestPayload,
  decodeMembershipPayload,
  decodePayload,
  decodeVecPayload,
  decodeWitnessPayload,
  encodeCowMapPayload,
  encodeJournalPayload,
  encodeManifestPayload,
  encodeMembershipPayload,
  encodeSegment,
  encodeSegmentHeader,
  encodeVecPayload,
  encodeWitnessPayload,
  findLatestManifest,
  readSegmentAt,
  runtimeSegmentHeader,
  scanTail,
  walkSegments,
} from '../src/index.js';
import { goldenBytes, goldenNames } from './golden.js';

/** mulberry32: a tiny seeded PRNG so every run tests the same inputs. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

function randomBytes(rng: ReturnType<typeof prng>, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const describeError = (e: unknown) =>
  e instanceof Error ? `${e.constructor.name}(${e.name}): ${e.message}` : `non-error ${String(e)}`;

/** Records anything thrown that is not an RvfError. */
function onlyRvf(failures: string[], context: string, e: unknown): void {
  if (!(e instanceof RvfError)) failures.push(`${context}: ${describeError(e)}`);
}

interface OrigSegment {
  offset: number;
  payloadStart: number;
  end: number;
  segType: number;
  payloadLength: number;
  segId: bigint;
  hashSet: boolean;
}

/** Segments and manifests as actually written, by walking the pristine file. */
async function survey(bytes: Uint8Array) {
  const segments: OrigSegment[] = [];
  for await (const item of walkSegments(bytesSource(bytes))) {
    if (item.kind !== 'segment') continue;
    const h = item.header;
    segments.push({
      offset: item.offset,
      payloadStart: item.offset + 64,
      end: item.offset + 64 + h.payloadLength,
      segType: h.segType,
      payloadLength: h.payloadLength,
      segId: h.segmentId,
      hashSet: h.contentHash.some((x) => x !== 0),
    });
  }
  const manifests = segments
    .filter((s) => s.segType === SegmentType.Manifest)
    .map((s) => ({ ...s, payload: bytes.slice(s.payloadStart, s.end) }));
  const manifestAt = new Map(manifests.map((m) => [m.offset, m]));
  const segmentOfByte = new Int32Array(bytes.length).fill(-1);
  for (const [i, s] of segments.entries()) segmentOfByte.fill(i, s.offset, s.end);
  return { segments, manifests, manifestAt, segmentOfByte };
}

/** readSegmentAt + decodePayload for every directory entry; failures other than RvfError are recorded. */
async function readAll(
  source: ByteSource,
  directory: { segId: bigint; offset: number; payloadLength: number; segType: number }[],
  failures: string[],
  context: string,
  mustSucceed: boolean,
) {
  for (const entry of directory) {
    try {
      const seg = await readSegmentAt(source, entry);
      decodePayload(entry.segType, seg.payload, entry.offset + 64);
    } catch (e) {
      if (mustSucceed) failures.push(`${context}: entry at ${entry.offset} failed: ${describeError(e)}`);
      else onlyRvf(failures, `${context}: entry at ${entry.offset}`, e);
    }
  }
}

const GOLDEN = goldenNames();

describe('golden survey', () => {
  it.each(GOLDEN)('%s.rvf: every manifest written has a readable, decodable directory', async (name) => {
    const bytes = goldenBytes(name);
    const { manifests, segments } = await survey(bytes);
    expect(segments.length).toBeGreaterThan(0);
    expect(segments.every((s) => s.hashSet)).toBe(true); // the reference always sets the hash
    const failures: string[] = [];
    for (const m of manifests) {
      const { directory } = decodeManifestPayload(m.payload);
      await readAll(bytesSource(bytes), directory, failures, `manifest@${m.offset}`, true);
    }
    expect(failures).toEqual([]);
  });
});

describe('truncation at every offset', () => {
  it.each(GOLDEN)(
    '%s.rvf: every prefix yields the last complete manifest, or ManifestNotFound',
    async (name) => {
      const bytes = goldenBytes(name);
      const { manifests, segments } = await survey(bytes);
      const failures: string[] = [];
      // Prefix lengths at which the directory is read back in full. For small files that is
      // every length; for the 52 KB index file, the lengths around each segment boundary plus
      // a seeded sample: elsewhere the prefix is checked to contain every byte the directory
      // names, so the reads would see exactly the bytes read at a sampled length.
      const fullAt = new Set<number>();
      if (bytes.length <= 4096) for (let L = 0; L <= bytes.length; L++) fullAt.add(L);
      else {
        for (const s of segments) for (const d of [-1, 0, 1]) fullAt.add(s.end + d);
        const rng = prng(0x7a11);
        for (let i = 0; i < 200; i++) fullAt.add(rng.int(bytes.length + 1));
      }
      for (let L = 0; L <= bytes.length; L++) {
        const prefix = bytes.subarray(0, L);
        const source = bytesSource(prefix);
        const expected = manifests.filter((m) => m.end <= L).at(-1);
        let found: Awaited<ReturnType<typeof findLatestManifest>> | undefined;
        try {
          found = await findLatestManifest(source);
        } catch (e) {
          if (!RvfError.is(e, ErrorCode.ManifestNotFound)) failures.push(`L=${L}: ${describeError(e)}`);
        }
        if (!expected) {
          if (found) failures.push(`L=${L}: found a manifest at ${found.offset} but none is complete`);
          continue;
        }
        if (!found) {
          failures.push(`L=${L}: expected the manifest at ${expected.offset}, found none`);
          continue;
        }
        if (found.offset !== expected.offset || !sameBytes(found.payload, expected.payload)) {
          failures.push(
            `L=${L}: found manifest at ${found.offset}, expected ${expected.offset} byte-identical`,
          );
          continue;
        }
        if (fullAt.has(L)) await readAll(source, found.manifest.directory, failures, `L=${L}`, true);
        else {
          for (const e of found.manifest.directory) {
            if (e.offset + 64 + e.payloadLength > L)
              failures.push(`L=${L}: entry at ${e.offset} lies past the prefix`);
          }
        }
        if (failures.length > 20) break;
      }
      expect(failures).toEqual([]);
    },
  );

  it.each(GOLDEN.filter((n) => n !== 'l2_deleted_torn'))(
    '%s.rvf: a torn final manifest falls back to the previous complete manifest',
    async (name) => {
      const bytes = goldenBytes(name);
      const { manifests } = await survey(bytes);
      const last = manifests.at(-1)!;
      const previous = manifests.at(-2);
      for (let L = last.offset; L < last.end; L++) {
        const found = await scanTail(bytesSource(bytes.subarray(0, L)));
        if (previous) {
          expect(found?.offset).toBe(previous.offset);
          expect(sameBytes(found!.payload, previous.payload)).toBe(true);
        } else expect(found).toBeUndefined();
      }
      // And appending garbage after a complete file never changes the answer.
      const rng = prng(bytes.length);
      const withTail = new Uint8Array(bytes.length + 100);
      withTail.set(bytes);
      withTail.set(randomBytes(rng, 100), bytes.length);
      expect((await findLatestManifest(bytesSource(withTail))).offset).toBe(last.offset);
    },
  );
});

describe('single bit flips', () => {
  /** All bits for small files; for the index file all bits of the last 2 KiB plus a seeded sample. */
  function flipBits(name: string, size: number): Uint32Array {
    if (name !== 'index_d4_n1100') return Uint32Array.from({ length: size * 8 }, (_, i) => i);
    const tail = 2048 * 8;
    const rng = prng(0xb17f11b);
    const bits = new Set<number>();
    for (let i = size * 8 - tail; i < size * 8; i++) bits.add(i);
    while (bits.size < tail + 20_000) bits.add(rng.int(size * 8 - tail));
    return Uint32Array.from(bits);
  }

  it.each(GOLDEN)(
    '%s.rvf: only RvfError, only written manifests, every payload flip detected',
    async (name) => {
      const pristine = goldenBytes(name);
      const { segments, manifestAt, segmentOfByte } = await survey(pristine);
      const buf = pristine.slice();
      const source = bytesSource(buf);
      const failures: string[] = [];
      const bits = flipBits(name, buf.length);
      let detected = 0;
      let decodedDamaged = 0;
      let fellBack = 0;
      const lastManifestOffset = [...manifestAt.keys()].at(-1);

      for (let n = 0; n < bits.length && failures.length < 20; n++) {
        const bit = bits[n]!;
        const p = bit >>> 3;
        const mask = 1 << (bit & 7);
        buf[p]! ^= mask;
        const s = segmentOfByte[p]!;
        const seg = s >= 0 ? segments[s]! : undefined;
        const inHashedPayload = seg?.hashSet === true && p >= seg.payloadStart;
        const ctx = `bit ${bit} (byte ${p})`;

        try {
          const found = await scanTail(source);
          if (found) {
            const orig = manifestAt.get(found.offset);
            if (!orig || !sameBytes(found.payload, orig.payload)) {
              failures.push(`${ctx}: returned a manifest at ${found.offset} that was never written`);
            } else {
              if (found.offset !== lastManifestOffset) fellBack++;
              // Entries that do not cover the flipped byte read the pristine bytes checked by the
              // survey; only the one that does can behave differently.
              for (const entry of found.manifest.directory) {
                if (p < entry.offset || p >= entry.offset + 64 + entry.payloadLength) continue;
                if (inHashedPayload && entry.offset === seg.offset) continue; // checked below
                try {
                  const read = await readSegmentAt(source, entry);
                  decodePayload(entry.segType, read.payload, entry.offset + 64);
                } catch (e) {
                  onlyRvf(failures, `${ctx}: entry at ${entry.offset}`, e);
                }
              }
            }
          }
        } catch (e) {
          onlyRvf(failures, `${ctx}: scanTail`, e);
        }

        if (inHashedPayload) {
          // CRC32 detects every single-bit error, so the hash check must always fire.
          const entry = {
            segId: seg.segId,
            offset: seg.offset,
            payloadLength: seg.payloadLength,
            segType: seg.segType,
          };
          try {
            await readSegmentAt(source, entry);
            failures.push(`${ctx}: flip in the payload of the segment at ${seg.offset} was not detected`);
          } catch (e) {
            if (RvfError.is(e, ErrorCode.InvalidChecksum)) detected++;
            else failures.push(`${ctx}: expected InvalidChecksum, got ${describeError(e)}`);
          }
          // The decoders themselves, fed the damaged payload (sampled for the large segments).
          if (seg.payloadLength < 4096 || n % 8 === 0) {
            decodedDamaged++;
            try {
              decodePayload(seg.segType, buf.subarray(seg.payloadStart, seg.end), seg.payloadStart);
            } catch (e) {
              onlyRvf(failures, `${ctx}: decode damaged ${seg.segType}`, e);
            }
          }
        }
        buf[p]! ^= mask;
      }
      expect(failures).toEqual([]);
      expect(sameBytes(buf, pristine)).toBe(true);
      // Sanity: the loop really exercised detection, decoding and fallback.
      expect(detected).toBeGreaterThan(0);
      expect(decodedDamaged).toBeGreaterThan(0);
      if (manifestAt.size > 1) expect(fellBack).toBeGreaterThan(0);
    },
  );
});

/** Every segment type code 0..0x50, including ones no decoder knows. */
const TYPE_CODES = Array.from({ length: 0x51 }, (_, i) => i);

describe('random bytes', () => {
  it('2,000 random buffers (0..4096 bytes): scan, walk and every decoder throw only RvfError', async () => {
    const rng = prng(0x5eed);
    const failures: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const buf = randomBytes(rng, rng.int(4097));
      const source = bytesSource(buf);
      try {
        await findLatestManifest(source);
      } catch (e) {
        onlyRvf(failures, `buffer ${n}: findLatestManifest`, e);
      }
      try {
        let total = 0;
        for await (const item of walkSegments(source, { verifyHashes: true })) {
          total += item.kind === 'gap' ? item.length : 64 + item.header.payloadLength;
        }
        if (total !== buf.length) failures.push(`buffer ${n}: walk covered ${total} of ${buf.length} bytes`);
      } catch (e) {
        onlyRvf(failures, `buffer ${n}: walkSegments`, e);
      }
      for (const t of TYPE_CODES) {
        try {
          decodePayload(t, buf);
        } catch (e) {
          onlyRvf(failures, `buffer ${n}: decodePayload(0x${t.toString(16)})`, e);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('random buffers with a manifest-looking header spliced in (random payload_length)', async () => {
    const rng = prng(0x0dd);
    const failures: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const buf = randomBytes(rng, 64 + rng.int(4033));
      const at = rng.int(buf.length - 63);
      const room = buf.length - at - 64;
      const choice = rng.int(4);
      const payloadLength =
        choice === 0
          ? rng.int(room + 1) // fits
          : choice === 1
            ? room + 1 + rng.int(100) // runs past EOF
            : choice === 2
              ? Math.floor(rng.next() * Number.MAX_SAFE_INTEGER)
              : 256 * 1024 * 1024 + rng.int(1000); // just past the 256 MiB cap
      const header = encodeSegmentHeader(
        runtimeSegmentHeader(SegmentType.Manifest, BigInt(n), payloadLength, new Uint8Array(16)),
      );
      buf.set(header, at);
      const source = bytesSource(buf);
      try {
        const found = await findLatestManifest(source);
        await readAll(source, found.manifest.directory, failures, `buffer ${n}`, false);
      } catch (e) {
        onlyRvf(failures, `buffer ${n}: findLatestManifest`, e);
      }
      try {
        for await (const _ of walkSegments(source)) {
          /* must terminate */
        }
      } catch (e) {
        onlyRvf(failures, `buffer ${n}: walkSegments`, e);
      }
    }
    expect(failures).toEqual([]);
  });

  it('random files of random segments (every type code) with a manifest pointing at them', async () => {
    const rng = prng(0xf11e);
    const failures: string[] = [];
    let manifestsFound = 0;
    for (let n = 0; n < 600; n++) {
      const parts: Uint8Array[] = [randomBytes(rng, rng.int(40))];
      let offset = parts[0]!.length;
      const directory = [];
      for (let k = rng.int(6); k > 0; k--) {
        const segType = TYPE_CODES[rng.int(TYPE_CODES.length)]!;
        const payload = randomBytes(rng, rng.int(300));
        const seg = encodeSegment(segType, BigInt(k), payload);
        if (rng.int(3) === 0) seg.fill(0, 0x28, 0x38); // unset hash: the payload is not verified
        parts.push(seg);
        directory.push({ segId: BigInt(k), offset, payloadLength: payload.length, segType });
        offset += seg.length;
      }
      // Some directory entries lie: wrong offsets, lengths or types.
      for (const e of directory) {
        const lie = rng.int(8);
        if (lie === 0) e.offset += rng.int(20) - 10;
        else if (lie === 1) e.payloadLength += rng.int(20);
        else if (lie === 2) e.segType = rng.int(0x51);
        e.offset = Math.max(0, e.offset);
      }
      const payload = encodeManifestPayload({
        epoch: n,
        dimension: rng.int(8),
        totalVectors: 0n,
        profileId: 0,
        metricCode: 0,
        directory,
        deletedIds: [],
      });
      parts.push(encodeSegment(SegmentType.Manifest, 99n, payload));
      const file = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let pos = 0;
      for (const p of parts) {
        file.set(p, pos);
        pos += p.length;
      }
      const source = bytesSource(file);
      try {
        const found = await findLatestManifest(source);
        manifestsFound++;
        await readAll(source, found.manifest.directory, failures, `file ${n}`, false);
      } catch (e) {
        onlyRvf(failures, `file ${n}`, e);
      }
    }
    expect(failures).toEqual([]);
    expect(manifestsFound).toBe(600);
  });

  it('every decoder on mutated real payloads (random byte overwrites) throws only RvfError', async () => {
    const rng = prng(0xabc);
    const failures: string[] = [];
    for (const name of GOLDEN) {
      const bytes = goldenBytes(name);
      const { segments } = await survey(bytes);
      for (const s of segments) {
        const rounds = s.payloadLength > 4096 ? 40 : 300;
        for (let r = 0; r < rounds; r++) {
          const p = bytes.slice(s.payloadStart, s.end);
          for (let k = 1 + rng.int(4); k > 0 && p.length > 0; k--) p[rng.int(p.length)] = rng.int(256);
          const cut = rng.int(4) === 0 ? p.subarray(0, rng.int(p.length + 1)) : p;
          try {
            decodePayload(s.segType, cut);
          } catch (e) {
            onlyRvf(failures, `${name}@${s.offset} round ${r}`, e);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

/** Runs fn, expects an RvfError with the given code, and that it returned promptly. */
function expectRvf(fn: () => unknown, code: number) {
  const t0 = performance.now();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  expect(err, 'expected a throw').toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(code);
  expect(ms).toBeLessThan(1000);
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('oversized claims', () => {
  const goodManifest = () =>
    encodeManifestPayload({
      epoch: 3,
      dimension: 4,
      totalVectors: 10n,
      profileId: 0,
      metricCode: 0,
      directory: [
        { segId: 1n, offset: 0, payloadLength: 98, segType: SegmentType.Manifest },
        { segId: 2n, offset: 162, payloadLength: 246, segType: SegmentType.Vec },
      ],
      deletedIds: [1n, 5n],
    });

  it('manifest: seg_count or deleted_count beyond the payload is InvalidManifest', () => {
    for (const segCount of [3, 100, 0x7fffffff, 0xffffffff]) {
      const p = goodManifest();
      dv(p).setUint32(14, segCount, true);
      expectRvf(() => decodeManifestPayload(p), ErrorCode.InvalidManifest);
    }
    for (const deleted of [3, 0x1fffffff, 0xffffffff]) {
      const p = goodManifest();
      dv(p).setUint32(22 + 2 * 25, deleted, true);
      expectRvf(() => decodeManifestPayload(p), ErrorCode.InvalidManifest);
    }
    // A directory offset beyond 2^53 cannot be represented: InvalidManifest too.
    const p = goodManifest();
    dv(p).setBigUint64(22 + 8, 2n ** 60n, true);
    expectRvf(() => decodeManifestPayload(p), ErrorCode.InvalidManifest);
    for (let n = 0; n < 22; n++)
      expectRvf(() => decodeManifestPayload(goodManifest().subarray(0, n)), ErrorCode.InvalidManifest);
  });

  it('a segment holding such a manifest is skipped by the tail scan (falls back, or ManifestNotFound)', async () => {
    const good = encodeSegment(SegmentType.Manifest, 1n, goodManifest());
    const bad = goodManifest();
    dv(bad).setUint32(14, 0xffffffff, true);
    const badSeg = encodeSegment(SegmentType.Manifest, 2n, bad);
    const both = new Uint8Array(good.length + badSeg.length);
    both.set(good);
    both.set(badSeg, good.length);
    expect((await findLatestManifest(bytesSource(both))).offset).toBe(0);
    await expect(findLatestManifest(bytesSource(badSeg))).rejects.toMatchObject({ name: 'ManifestNotFound' });
  });

  /** An INDEX payload: 64-byte codec header, restart index, zeroed adjacency, trailer + RVIX. */
  function indexPayload(
    nodeCount: bigint,
    restartInterval: number,
    restartCount: number,
    restartSlots = restartCount,
    adjacency = 64,
  ) {
    const restartBytes = Math.ceil((8 + 4 * restartSlots) / 64) * 64;
    const codecLen = 64 + restartBytes + adjacency;
    const body = 24;
    const p = new Uint8Array(codecLen + body + 8);
    const v = dv(p);
    v.setUint16(2, 8, true);
    v.setBigUint64(8, nodeCount, true);
    v.setUint32(64, restartInterval, true);
    v.setUint32(68, restartCount, true);
    v.setUint16(codecLen, 1, true);
    v.setBigUint64(codecLen + 8, 0xffffffffffffffffn, true);
    v.setUint32(codecLen + body, body, true);
    p.set([0x52, 0x56, 0x49, 0x58], codecLen + body + 4);
    return p;
  }

  it('INDEX: 2^32 (and more) claimed nodes is a TruncatedSegment, promptly, without a huge allocation', () => {
    // Sanity: the builder makes a decodable empty graph.
    expect(decodeIndexPayload(indexPayload(0n, 64, 0)).nodes).toEqual([]);
    const before = process.memoryUsage().rss;
    // A consistent restart index for 2^32 nodes claims 2^26 offsets (256 MiB) that are not there.
    expectRvf(() => decodeIndexPayload(indexPayload(2n ** 32n, 64, 2 ** 26, 0)), ErrorCode.TruncatedSegment);
    // A huge restart interval keeps restart_count tiny, so only the node count itself is absurd.
    for (const nodes of [2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n - 1n]) {
      const restarts = Math.ceil(Number(nodes) / 0xffffffff);
      expectRvf(
        () => decodeIndexPayload(indexPayload(nodes, 0xffffffff, restarts)),
        ErrorCode.TruncatedSegment,
      );
    }
    expectRvf(() => decodeIndexPayload(indexPayload(2n ** 64n - 1n, 64, 1)), ErrorCode.TruncatedSegment);
    // Inconsistent restart count, zero restart interval, id_count beyond the trailer.
    expectRvf(() => decodeIndexPayload(indexPayload(100n, 64, 1)), ErrorCode.TruncatedSegment);
    expectRvf(() => decodeIndexPayload(indexPayload(0n, 0, 0)), ErrorCode.TruncatedSegment);
    const ids = indexPayload(0n, 64, 0);
    dv(ids).setBigUint64(ids.length - 8 - 24 + 16, 2n ** 32n, true);
    expectRvf(() => decodeIndexPayload(ids), ErrorCode.TruncatedSegment);
    // Neighbour count beyond the adjacency data.
    const nb = indexPayload(1n, 64, 1);
    nb.set([1, 0xff, 0xff, 0x03], 128); // 1 layer, 65535 neighbours
    expectRvf(() => decodeIndexPayload(nb), ErrorCode.TruncatedSegment);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('VEC: a vector_count that does not match the payload length is InvalidChecksum', () => {
    const p = encodeVecPayload({
      dimension: 4,
      ids: BigUint64Array.from([1n, 2n]),
      vectors: new Float32Array(8),
    });
    for (const count of [0, 1, 3, 1000, 0xffffffff]) {
      const q = p.slice();
      dv(q).setUint32(2, count, true);
      expectRvf(() => decodeVecPayload(q), ErrorCode.InvalidChecksum);
    }
    const q = p.slice();
    dv(q).setUint16(0, 0xffff, true);
    dv(q).setUint32(2, 0xffffffff, true);
    expectRvf(() => decodeVecPayload(q), ErrorCode.InvalidChecksum);
    expectRvf(() => decodeVecPayload(p.subarray(0, p.length - 1)), ErrorCode.InvalidChecksum);
    expectRvf(() => decodeVecPayload(p.subarray(0, 5)), ErrorCode.InvalidChecksum);
  });

  const cow = () =>
    encodeCowMapPayload({
      version: 1,
      mapFormat: 0,
      compressionPolicy: 0,
      clusterSizeBytes: 4096,
      vectorsPerCluster: 512,
      baseFileId: new Uint8Array(16),
      baseFileHash: new Uint8Array(32),
      bytesPerVector: 8,
      frozen: false,
      snapshotEpoch: 0,
      parentPath: 'branch_parent.rvf',
      flatMapFormat: 0,
      entries: [{ tag: 1, value: 0n }],
    });

  it('COW_MAP: a path or map length beyond the payload is CowMapCorrupt', () => {
    expect(decodeCowMapPayload(cow()).parentPath).toBe('branch_parent.rvf');
    for (const pathLen of [18, 1000, 0xffffffff]) {
      const p = cow();
      dv(p).setUint32(73, pathLen, true);
      expectRvf(() => decodeCowMapPayload(p), ErrorCode.CowMapCorrupt);
    }
    for (const mapLen of [0, 15, 0xffffffff]) {
      const p = cow();
      dv(p).setUint32(77, mapLen, true);
      expectRvf(() => decodeCowMapPayload(p), ErrorCode.CowMapCorrupt);
    }
    const clusters = cow();
    dv(clusters).setUint32(81 + 17 + 1, 0xffffffff, true);
    expectRvf(() => decodeCowMapPayload(clusters), ErrorCode.CowMapCorrupt);
    const utf8 = cow();
    utf8[81] = 0xff; // not UTF-8
    expectRvf(() => decodeCowMapPayload(utf8), ErrorCode.CowMapCorrupt);
    const magic = cow();
    magic[0] = 0;
    expectRvf(() => decodeCowMapPayload(magic), ErrorCode.CowMapCorrupt);
    for (let n = 0; n < 81; n += 7)
      expectRvf(() => decodeCowMapPayload(cow().subarray(0, n)), ErrorCode.CowMapCorrupt);
  });

  const membership = (vectorCount: bigint) =>
    encodeMembershipPayload({
      version: 1,
      filterType: 0,
      filterMode: 0,
      vectorCount,
      memberCount: 0n,
      filterOffset: 96n,
      generationId: 0,
      filterHash: new Uint8Array(32),
      bloomOffset: 0n,
      bloomSize: 0,
      bitmap: new Uint8Array(Number(8n * ((vectorCount + 63n) / 64n))),
    });

  it('MEMBERSHIP: filter_size inconsistent with vector_count is MembershipInvalid', () => {
    expect(decodeMembershipPayload(membership(6n)).bitmap.length).toBe(8);
    for (const vectorCount of [0n, 65n, 2n ** 40n, 2n ** 64n - 1n]) {
      const p = membership(6n);
      dv(p).setBigUint64(0x08, vectorCount, true);
      expectRvf(() => decodeMembershipPayload(p), ErrorCode.MembershipInvalid);
    }
    for (const filterSize of [0, 16, 0xfffffff8]) {
      const p = membership(6n);
      dv(p).setUint32(0x20, filterSize, true);
      expectRvf(() => decodeMembershipPayload(p), ErrorCode.MembershipInvalid);
    }
    // Consistent header, but the bitmap it promises (512 MiB) is not there.
    const big = membership(6n);
    dv(big).setUint32(0x20, 0x1ffffff8, true);
    dv(big).setBigUint64(0x08, 0x1ffffff8n * 8n, true);
    expectRvf(() => decodeMembershipPayload(big), ErrorCode.MembershipInvalid);
    const off = membership(6n);
    dv(off).setBigUint64(0x18, 97n, true);
    expectRvf(() => decodeMembershipPayload(off), ErrorCode.MembershipInvalid);
    const trailing = new Uint8Array(membership(6n).length + 1);
    trailing.set(membership(6n));
    expectRvf(() => decodeMembershipPayload(trailing), ErrorCode.MembershipInvalid);
  });

  it('JOURNAL and WITNESS: counts and lengths beyond the payload are TruncatedSegment', () => {
    const j = encodeJournalPayload({
      epoch: 2,
      prevJournalSegId: 0n,
      entries: [{ entryType: 1, vectorId: 5n }],
    });
    for (const count of [2, 0xffffffff]) {
      const q = j.slice();
      dv(q).setUint32(0, count, true);
      expectRvf(() => decodeJournalPayload(q), ErrorCode.TruncatedSegment);
    }
    const badLen = j.slice();
    dv(badLen).setUint16(16 + 2, 9, true);
    expectRvf(() => decodeJournalPayload(badLen), ErrorCode.TruncatedSegment);
    const w = encodeWitnessPayload({
      witnessType: 1,
      timestampNs: 1n,
      action: 'ingest',
      prevHash: new Uint8Array(32),
    });
    for (const len of [7, 39, 0xffffffff]) {
      const q = w.slice();
      dv(q).setUint32(9, len, true);
      expectRvf(() => decodeWitnessPayload(q), ErrorCode.TruncatedSegment);
    }
  });

  it('readSegmentAt: absurd entries and a header that disagrees with the entry are InvalidChecksum', async () => {
    const seg = encodeSegment(
      SegmentType.Vec,
      1n,
      encodeVecPayload({ dimension: 1, ids: BigUint64Array.of(7n), vectors: Float32Array.of(1) }),
    );
    const src = bytesSource(seg);
    const ok = { segId: 1n, offset: 0, payloadLength: seg.length - 64, segType: SegmentType.Vec };
    expect((await readSegmentAt(src, ok)).hash).toBe('ok');
    const cases = [
      { ...ok, payloadLength: Number.MAX_SAFE_INTEGER },
      { ...ok, payloadLength: 256 * 1024 * 1024 + 1 },
      { ...ok, offset: Number.MAX_SAFE_INTEGER },
      { ...ok, offset: 1 },
      { ...ok, payloadLength: ok.payloadLength - 1 },
      { ...ok, segType: SegmentType.Index },
    ];
    for (const entry of cases) {
      await expect(readSegmentAt(src, entry)).rejects.toMatchObject({ code: ErrorCode.InvalidChecksum });
    }
    // A header whose payload_length is past 2^53 or 256 MiB.
    const huge = seg.slice();
    dv(huge).setBigUint64(0x10, 2n ** 63n, true);
    await expect(readSegmentAt(bytesSource(huge), ok)).rejects.toMatchObject({
      code: ErrorCode.InvalidChecksum,
    });
    expect(await scanTail(bytesSource(huge))).toBeUndefined();
  });

  it('the content hash of a well-formed segment matches contentHash(payload) and the header magic', () => {
    const payload = encodeVecPayload({
      dimension: 1,
      ids: BigUint64Array.of(1n),
      vectors: Float32Array.of(2),
    });
    const seg = encodeSegment(SegmentType.Vec, 9n, payload);
    expect(dv(seg).getUint32(0, true)).toBe(SEGMENT_MAGIC);
    expect(Array.from(seg.subarray(0x28, 0x38))).toEqual(Array.from(contentHash(payload)));
  });
});
