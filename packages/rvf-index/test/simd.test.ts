/**
 * WebAssembly SIMD: the kernels must agree with the exact scalar kernels, walks run wholly in
 * WebAssembly must find what brute force (hand-built graphs) and hnswlib (real graphs) find
 * and report exact distances, and every way out of the fast path (small arrays, vectors in
 * another array, the kill switch) must leave answers unchanged. The committed module must be
 * what simd-kernels.wat compiles to.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { wasmModuleSources } from '@rvfjs/test-kit';
import { describe, expect, it } from 'vitest';
import { exactSearch } from '../src/exact.js';
import { checkGraph } from '../src/graph-layout.js';
import { decodeRvhn } from '../src/hnsw-blob.js';
import { simdFloats, simdKernel, simdMemoryOf, simdScan, simdStaging } from '../src/simd-memory.js';
import { prepareSimdWalk } from '../src/simd-walk.js';
import {
  bruteForce,
  closeTo,
  clusteredVectors,
  completeGraphBlob,
  drain,
  METRICS,
  mulberry32,
  randomVectors,
  row,
} from './helpers.js';
import {
  createHnsw,
  DISABLE_SIMD_ENV,
  distanceFn,
  ErrorCode,
  type GraphWalker,
  prepareGraphWalker,
  RvfError,
  recallAtK,
  simdWalksAvailable,
  VectorStore,
} from './imports.js';
import { nativeMissing } from './native-required.js';

/** `flat` copied into a SIMD memory (padded up to the size simdFloats accepts). */
function inSimdMemory(flat: Float32Array): Float32Array {
  const floats = simdFloats(Math.max(flat.length, 8192));
  if (!floats) throw new Error('WebAssembly SIMD memory is not available on this Node');
  floats.set(flat);
  return floats.subarray(0, flat.length);
}

describe('SIMD kernels', () => {
  it('the committed module is what simd-kernels.wat compiles to', async () => {
    const { committed, compiled } = await wasmModuleSources('simd-kernels');
    expect(committed).toBe(compiled);
  });

  it('agree with the exact kernels for every metric, at dimensions with and without a tail', () => {
    const rng = mulberry32(5);
    for (const dim of [1, 3, 4, 15, 16, 17, 31, 128, 301]) {
      const n = 24;
      const flat = inSimdMemory(randomVectors(n, dim, rng));
      flat.fill(0, 0, dim); // a zero vector: cosine's special case
      const query = randomVectors(1, dim, rng);
      for (const metric of METRICS) {
        const k = simdKernel(flat, metric, dim)!;
        expect(k, `${metric} ${dim}`).toBeDefined();
        k.load(query);
        const exact = distanceFn(metric);
        for (let i = 0; i < n; i++) {
          const got = k.fn(k.base + i * dim * 4, 0, dim);
          const want = exact(flat, i * dim, query, 0, dim);
          expect(closeTo(got, want, 1e-5), `${metric} dim ${dim} vector ${i}: ${got} vs ${want}`).toBe(true);
        }
        if (metric === 'cosine') expect(k.fn(k.base, 0, dim)).toBe(1);
      }
    }
  });

  it('small arrays and arrays elsewhere stay on the scalar path', () => {
    expect(simdFloats(1000)).toBeUndefined();
    expect(simdWalksAvailable(new VectorStore(16, 10).flat)).toBe(false);
    expect(simdWalksAvailable(new Float32Array(100_000))).toBe(false);
    expect(simdKernel(new Float32Array(100_000), 'l2', 16)).toBeUndefined();
    expect(simdWalksAvailable(new VectorStore(128, 1000).flat)).toBe(true);
  });

  it(`${DISABLE_SIMD_ENV}=1 keeps every array out of WebAssembly memory`, () => {
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const probe = `import(${JSON.stringify(entry)}).then((m) => console.log(m.simdWalksAvailable(new m.VectorStore(128, 4096).flat)))`;
    const run = (env: NodeJS.ProcessEnv) =>
      execFileSync(process.execPath, ['-e', probe], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      }).trim();
    expect(run({ [DISABLE_SIMD_ENV]: '1' })).toBe('false');
    expect(run({ [DISABLE_SIMD_ENV]: '' })).toBe('true');
  });
});

describe('loading rows through a staging area', () => {
  it('copies the floats of strided records bit for bit, and refuses what it cannot do', () => {
    const dim = 5;
    const stride = 8 + 4 * dim + 3; // records of any length: floats at an odd offset
    const dst = simdFloats(4096 * dim)!;
    const staging = simdStaging(dst, 1000)!;
    expect(staging.buffer.length).toBeGreaterThanOrEqual(1000);
    // The same area again for the same memory: it is reused, not grown.
    expect(simdStaging(dst, 500)!.buffer.byteOffset).toBe(staging.buffer.byteOffset);
    const n = Math.floor(staging.buffer.length / stride);
    const rngBytes = mulberry32(5);
    for (let i = 0; i < n * stride; i++) staging.buffer[i] = Math.floor(rngBytes() * 256);
    const at = 3 * dim;
    expect(staging.gather(dst, at, 0, stride, 8, dim, n)).toBe(true);
    const got = new Uint8Array(dst.buffer, dst.byteOffset + at * 4, n * dim * 4);
    for (let r = 0; r < n; r++) {
      expect(got.subarray(r * dim * 4, (r + 1) * dim * 4)).toEqual(
        staging.buffer.subarray(r * stride + 8, r * stride + 8 + dim * 4),
      );
    }
    // Past either end, or into an array of another memory: nothing copied, false.
    const before = Array.from(dst.subarray(0, 3 * dim));
    expect(staging.gather(dst, dst.length - dim + 1, 0, stride, 8, dim, 1)).toBe(false);
    expect(staging.gather(dst, 0, staging.buffer.length - stride + 1, stride, 8, dim, 1)).toBe(false);
    expect(staging.gather(dst, 0, 0, stride, stride - 4 * dim + 1, dim, 1)).toBe(false);
    expect(staging.gather(simdFloats(4096 * dim)!, 0, 0, stride, 8, dim, 1)).toBe(false);
    expect(staging.gather(new Float32Array(100), 0, 0, stride, 8, dim, 1)).toBe(false);
    expect(Array.from(dst.subarray(0, 3 * dim))).toEqual(before);
    expect(simdStaging(new Float32Array(100), 1000)).toBeUndefined();
  });
});

describe('exact scans in WebAssembly', () => {
  // Dimensions with tails, exact duplicates (ties go by ordinal, also past the candidates the
  // first pass keeps), a NaN row (ranked last), and a k too large for the first pass.
  it.each(METRICS)('%s: the same answers as brute force and as the scalar scan', (metric) => {
    const rng = mulberry32(71);
    for (const [count, dim] of [
      [40_000, 13],
      [3_000, 128],
    ] as const) {
      const flat = simdFloats(count * dim)!;
      flat.set(randomVectors(count, dim, rng));
      for (let o = 100; o < 140; o++) flat.copyWithin(o * dim, 7 * dim, 8 * dim); // 41 copies of row 7
      for (let o = 1000; o < 1100; o++) flat.copyWithin(o * dim, 999 * dim, 1000 * dim); // 101 of row 999
      flat.fill(Number.NaN, 50 * dim, 51 * dim);
      const scan = simdScan(flat, metric, dim);
      expect(scan, 'the WebAssembly scan is available').toBeDefined();
      const plain = Float32Array.from(flat); // not in a SIMD memory: the scalar scan
      expect(simdScan(plain, metric, dim)).toBeUndefined();
      const queries = [
        row(flat, 7, dim).slice(),
        row(flat, 999, dim).slice(),
        ...Array.from({ length: 6 }, () => randomVectors(1, dim, rng)),
      ];
      for (const query of queries) {
        for (const k of [1, 10, 60, scan!.maxKeep + 5]) {
          const got = exactSearch({ vectors: flat, dimension: dim, metric, query, k, count });
          const scalar = exactSearch({ vectors: plain, dimension: dim, metric, query, k, count });
          expect(got).toEqual(scalar);
          // Brute force's sort cannot rank a NaN; the scans rank it last, so it is never among these.
          const want = bruteForce(metric, flat, dim, count, query, Math.min(k, count - 1), (o) => o !== 50);
          expect(got.slice(0, want.length).map((r) => r.ordinal)).toEqual(want.map((r) => r.ordinal));
          for (let i = 0; i < want.length; i++)
            expect(closeTo(got[i]!.distance, want[i]!.distance)).toBe(true);
        }
      }
      if (metric === 'l2') {
        // Row 7's copies are its nearest (distance 0), lowest ordinals first…
        const near = exactSearch({ vectors: flat, dimension: dim, metric, query: queries[0]!, k: 42, count });
        expect(near.slice(0, 41).map((r) => r.ordinal)).toEqual([
          7,
          ...Array.from({ length: 40 }, (_, i) => 100 + i),
        ]);
        // …and of row 999's 101 copies, far more than the first pass keeps past k, the lowest
        // ordinals win.
        const ties = exactSearch({ vectors: flat, dimension: dim, metric, query: queries[1]!, k: 10, count });
        expect(ties.map((r) => r.ordinal)).toEqual([999, ...Array.from({ length: 9 }, (_, i) => 1000 + i)]);
      }
      // k past the count, and a count below the array's rows.
      expect(
        exactSearch({ vectors: flat, dimension: dim, metric, query: queries[2]!, k: count + 5, count: 20 }),
      ).toEqual(
        exactSearch({ vectors: plain, dimension: dim, metric, query: queries[2]!, k: count + 5, count: 20 }),
      );
    }
  });
});

describe('exact scans in WebAssembly with a filter that turns few rows away', () => {
  it.each(METRICS)(
    '%s: the same answers as the scalar scan, falling back when the filter takes too many',
    (metric) => {
      const rng = mulberry32(73);
      const count = 5_000;
      const dim = 20;
      const flat = inSimdMemory(randomVectors(count, dim, rng));
      const plain = Float32Array.from(flat);
      const query = randomVectors(1, dim, rng);
      const byDistance = exactSearch({ vectors: plain, dimension: dim, metric, query, k: count, count }).map(
        (r) => r.ordinal,
      );
      const filters: [string, (o: number) => boolean][] = [
        ['every third row away', (o) => o % 3 !== 0],
        ['the 10 nearest away', (o) => !byDistance.slice(0, 10).includes(o)],
        // More than the scan keeps beyond k: it must ask every row instead.
        ['the 200 nearest away', (o) => !byDistance.slice(0, 200).includes(o)],
        ['all but 5 away', (o) => byDistance.slice(-5).includes(o)],
      ];
      for (const [name, accept] of filters) {
        for (const k of [1, 10, 40]) {
          const got = exactSearch({
            vectors: flat,
            dimension: dim,
            metric,
            query,
            k,
            count,
            accept,
            acceptRejectsFew: true,
          });
          const scalar = exactSearch({ vectors: plain, dimension: dim, metric, query, k, count, accept });
          expect(got, `${name}, k ${k}`).toEqual(scalar);
        }
      }
      // Fewer rows than the scan keeps: every row is kept, and the filter decides among them.
      const few = (o: number) => o % 2 === 0;
      expect(
        exactSearch({
          vectors: flat,
          dimension: dim,
          metric,
          query,
          k: 10,
          count: 30,
          accept: few,
          acceptRejectsFew: true,
        }),
      ).toEqual(
        exactSearch({ vectors: plain, dimension: dim, metric, query, k: 10, count: 30, accept: few }),
      );
    },
  );
});

describe('exact scans of a candidate list in WebAssembly', () => {
  it.each(METRICS)(
    '%s: the same answers as the scalar ranking, repeats, strays, ties and NaN included',
    (metric) => {
      const rng = mulberry32(79);
      const count = 3_000;
      const dim = 24;
      const flat = inSimdMemory(randomVectors(count, dim, rng));
      for (let o = 200; o < 230; o++) flat.copyWithin(o * dim, 17 * dim, 18 * dim); // ties with row 17
      flat.fill(Number.NaN, 40 * dim, 41 * dim);
      const plain = Float32Array.from(flat);
      const ids = Array.from({ length: 400 }, () => Math.floor(rng() * count));
      const candidates = [
        ...ids,
        ...ids.slice(0, 50),
        17,
        ...Array.from({ length: 30 }, (_, i) => 200 + i),
        40,
        -1,
        2.5,
        count + 7,
      ];
      const queries = [
        row(flat, 17, dim).slice(),
        ...Array.from({ length: 4 }, () => randomVectors(1, dim, rng)),
      ];
      for (const query of queries) {
        for (const k of [1, 10, 45, 1000]) {
          for (const accept of [undefined, (o: number) => o % 5 !== 0]) {
            const args = {
              dimension: dim,
              metric,
              query,
              k,
              count,
              candidates,
              ...(accept ? { accept } : {}),
            };
            expect(exactSearch({ vectors: flat, ...args }), `k ${k}`).toEqual(
              exactSearch({ vectors: plain, ...args }),
            );
          }
        }
      }
    },
  );
});

describe('exact scans of a run of consecutive rows in WebAssembly', () => {
  it.each(METRICS)(
    '%s: the same answers as the scalar ranking, at either end, ties, NaN and filters included',
    (metric) => {
      const rng = mulberry32(83);
      const count = 2_000;
      const dim = 20;
      const flat = inSimdMemory(randomVectors(count, dim, rng));
      for (let o = 1_500; o < 1_530; o++) flat.copyWithin(o * dim, 1_490 * dim, 1_491 * dim); // ties
      flat.fill(Number.NaN, 1_600 * dim, 1_601 * dim);
      const plain = Float32Array.from(flat);
      const run = (start: number, length: number) => Array.from({ length }, (_, i) => start + i);
      // A child's own rows at the end, a run inside, the whole table, and one running past it.
      const runs = [run(1_480, 520), run(0, 40), run(100, 900), run(0, count), run(1_990, 40)];
      const queries = [
        row(flat, 1_490, dim).slice(),
        ...Array.from({ length: 3 }, () => randomVectors(1, dim, rng)),
      ];
      for (const candidates of runs) {
        for (const query of queries) {
          for (const k of [1, 10, 60, 5_000]) {
            for (const accept of [undefined, (o: number) => o % 7 !== 0, (o: number) => o % 97 === 0]) {
              const args = {
                dimension: dim,
                metric,
                query,
                k,
                count,
                candidates,
                ...(accept ? { accept } : {}),
              };
              expect(
                exactSearch({ vectors: flat, ...args }),
                `run ${candidates[0]}+${candidates.length} k ${k}`,
              ).toEqual(exactSearch({ vectors: plain, ...args }));
            }
          }
        }
      }
    },
  );
});

describe('graph walks in WebAssembly', () => {
  const dim = 16;
  const n = 40;
  const base = randomVectors(n, dim, mulberry32(21));
  const queries = randomVectors(12, dim, mulberry32(22));

  it('find exactly what brute force finds when the walk can reach every member, deleted ones skipped', () => {
    const flat = inSimdMemory(base);
    for (const deleted of [new Set<number>(), new Set([0, 5, 9])]) {
      const walker = prepareGraphWalker(completeGraphBlob(flat, n, { deleted }), n, flat);
      expect(walker.walksInWasm).toBe(true);
      for (let q = 0; q < queries.length / dim; q++) {
        const query = row(queries, q, dim);
        const got = walker.search(flat, query, 6, { ef: n });
        expect(walker.lastWalk).toBe('wasm');
        const want = bruteForce('l2', flat, dim, n, query, 6, (o) => !deleted.has(o));
        expect(got.map((h) => h.ordinal)).toEqual(want.map((h) => h.ordinal));
        for (let i = 0; i < got.length; i++) expect(closeTo(got[i]!.distance, want[i]!.distance)).toBe(true);
      }
    }
  });

  it('members hidden after preparation are skipped by both walks, over either layout', () => {
    const flat = inSimdMemory(base);
    const blob = completeGraphBlob(flat, n, { deleted: new Set([5]) });
    const walkers = [prepareGraphWalker(blob, n, flat), prepareGraphWalker(blob, n)];
    const query = row(queries, 4, dim);
    const nearest = bruteForce('l2', flat, dim, n, query, 3, (o) => o !== 5).map((h) => h.ordinal);
    for (const w of walkers) {
      for (const o of nearest) expect(w.hide(o)).toBe(true);
      expect(w.hide(n + 3)).toBe(false);
      const keep = (o: number) => o !== 5 && !nearest.includes(o);
      const want = bruteForce('l2', flat, dim, n, query, 6, keep).map((h) => h.ordinal);
      expect(w.search(flat, query, 6, { ef: n }).map((h) => h.ordinal)).toEqual(want);
      expect(w.lastWalk).toBe(w.walksInWasm ? 'wasm' : 'js');
      expect(w.search(flat, query, 6, { ef: n, accept: () => true }).map((h) => h.ordinal)).toEqual(want);
      expect(w.lastWalk).toBe('js');
    }
    expect(walkers.map((w) => w.walksInWasm)).toEqual([true, false]);
  });

  it('maps elements to the ordinals the graph names (labels that are not the identity)', () => {
    const labels = Array.from({ length: n }, (_, i) => n - 1 - i);
    const flat = inSimdMemory(base);
    const walker = prepareGraphWalker(completeGraphBlob(flat, n, { labels }), n, flat);
    const query = row(queries, 0, dim);
    expect(walker.search(flat, query, 4, { ef: n }).map((h) => h.ordinal)).toEqual(
      bruteForce('l2', flat, dim, n, query, 4).map((h) => h.ordinal),
    );
    expect(walker.lastWalk).toBe('wasm');
  });

  it('a filter, or vectors that moved to another array, walk in JavaScript with the same answers', () => {
    const flat = inSimdMemory(base);
    const walker = prepareGraphWalker(completeGraphBlob(flat, n), n, flat);
    const query = row(queries, 1, dim);
    const accept = (o: number) => o % 3 !== 0;
    const filtered = walker.search(flat, query, 5, { ef: n, accept });
    expect(walker.lastWalk).toBe('js');
    expect(filtered.map((h) => h.ordinal)).toEqual(
      bruteForce('l2', flat, dim, n, query, 5, accept).map((h) => h.ordinal),
    );
    const moved = walker.search(base.slice(), query, 5, { ef: n });
    expect(walker.lastWalk).toBe('js');
    expect(moved.map((h) => h.ordinal)).toEqual(
      bruteForce('l2', base, dim, n, query, 5).map((h) => h.ordinal),
    );
  });

  describe('the TypeScript walk reads the layout in WebAssembly memory (one copy of the graph)', () => {
    // Upper levels too (elements 0 and 24 on level 2, every eighth on level 1), ordinals that
    // are not the element numbers, and deleted members: every part of the layout is read.
    const levels = Array.from({ length: n }, (_, i) => (i === 0 || i === 24 ? 2 : i % 8 === 0 ? 1 : 0));
    const labels = Array.from({ length: n }, (_, i) => (i * 7) % n);
    const deleted = new Set([5, 9]);
    const deletedOrdinals = new Set([...deleted].map((i) => labels[i]!));
    const ordinals = (hits: { ordinal: number }[]) => hits.map((h) => h.ordinal);

    /** Every walk the walker has, and one over ordinary arrays (packed), must find brute force's answer. */
    function expectSameAnswers(walker: GraphWalker, plain: GraphWalker, flat: Float32Array) {
      for (let q = 0; q < queries.length / dim; q++) {
        const query = row(queries, q, dim);
        const want = bruteForce('l2', flat, dim, n, query, 6, (o) => !deletedOrdinals.has(o));
        const wasm = walker.search(flat, query, 6, { ef: n });
        expect(walker.lastWalk).toBe('wasm');
        const js = walker.search(flat, query, 6, { ef: n, accept: () => true });
        expect(walker.lastWalk).toBe('js');
        const fromPlain = plain.search(flat, query, 6, { ef: n });
        expect(plain.lastWalk).toBe('js');
        for (const got of [wasm, js, fromPlain]) {
          expect(ordinals(got)).toEqual(ordinals(want));
          for (let i = 0; i < got.length; i++)
            expect(closeTo(got[i]!.distance, want[i]!.distance)).toBe(true);
        }
        // A filter is asked of members the walk keeps, over the same layout.
        const even = (o: number) => o % 2 === 0;
        expect(ordinals(walker.search(flat, query, 4, { ef: n, accept: even }))).toEqual(
          ordinals(bruteForce('l2', flat, dim, n, query, 4, (o) => even(o) && !deletedOrdinals.has(o))),
        );
      }
      for (const w of [walker, plain]) {
        for (let o = 0; o < n; o++) {
          expect(w.has(o)).toBe(true);
          expect(w.isDeleted(o)).toBe(deletedOrdinals.has(o));
        }
        expect([...w.labels]).toEqual(labels);
        expect(w.liveCount).toBe(n - deleted.size);
      }
    }

    it('finds what the WebAssembly walk, a walk over ordinary arrays and brute force find, before and after the memory grows', () => {
      const flat = inSimdMemory(base);
      const memory = simdMemoryOf(flat)!;
      const blob = completeGraphBlob(flat, n, { labels, levels, deleted });
      const walker = prepareGraphWalker(blob, n, flat);
      const plain = prepareGraphWalker(blob, n);
      expect(walker.walksInWasm).toBe(true);
      expect(plain.walksInWasm).toBe(false);
      // The layout's arrays are views of the memory: nothing of the graph is held elsewhere.
      const sameBytes = () => {
        const inMemory = new Uint32Array(memory.buffer, walker.labels.byteOffset, n);
        expect(inMemory).toEqual(walker.labels);
        inMemory[0] = inMemory[0]! ^ 1; // a write to the memory shows in the walker's view
        expect(walker.labels[0]).toBe(inMemory[0]);
        inMemory[0] = inMemory[0]! ^ 1;
      };
      sameBytes();
      expectSameAnswers(walker, plain, flat);

      // Growth gives the memory a longer buffer, directly and by a second graph laid out after
      // the first; a shared memory never detaches the old one, so the walker's views still
      // read the same bytes (they are views of the buffer as it was when it laid them out).
      const before = memory.buffer;
      memory.grow(3);
      const second = prepareGraphWalker(blob, n, flat);
      expect(memory.buffer).not.toBe(before);
      expect(memory.buffer.byteLength).toBeGreaterThan(before.byteLength);
      sameBytes();
      expectSameAnswers(walker, plain, flat);
      expectSameAnswers(second, plain, flat);
      drain(walker.verify(flat, 7));
      // Thousands of walks of either kind in turn share nothing that could go stale.
      for (let i = 0; i < 2000; i++) {
        walker.search(flat, row(queries, i % 12, dim), 3, { ef: 8, accept: i % 2 ? () => true : undefined });
      }
      expectSameAnswers(walker, plain, flat);
    });

    it('is laid out the same whole, in chunks of the body, and from JavaScript when an element outgrows a chunk', () => {
      const flat = inSimdMemory(base);
      const { header, body } = decodeRvhn(completeGraphBlob(flat, n, { labels, levels, deleted }));
      const { upperWords } = drain(checkGraph(header, body, n, 7));
      // Records are 41 words (39 links), 46 with level 1 and 48 with level 2: chunks of 100
      // words split the body between elements everywhere; 45 cannot hold a level-1 element.
      const layouts = [1 << 15, 100, 45].map(
        (chunk) => drain(prepareSimdWalk(header, body, upperWords, flat, 7, undefined, chunk))!,
      );
      const [whole, chunked, fromJs] = layouts.map((w) => w.layout());
      for (const other of [chunked!, fromJs!]) {
        for (const part of ['level0', 'upper', 'upperAt', 'labels'] as const)
          expect([...other[part]], part).toEqual([...whole![part]]);
      }
      expect([...whole!.labels]).toEqual(labels);
      for (let q = 0; q < queries.length / dim; q++) {
        const query = row(queries, q, dim);
        const want = ordinals(bruteForce('l2', flat, dim, n, query, 6, (o) => !deletedOrdinals.has(o)));
        for (const w of layouts) expect([...(w.search(flat, query, 6, n) as Uint32Array)]).toEqual(want);
      }
      // Ordinals hidden at preparation are skipped like the graph's deleted members.
      const hidden = (o: number) => o % 4 === 1;
      for (const chunk of [1 << 15, 100]) {
        const walk = drain(prepareSimdWalk(header, body, upperWords, flat, 7, hidden, chunk))!;
        const query = row(queries, 3, dim);
        const keep = (o: number) => !deletedOrdinals.has(o) && !hidden(o);
        expect([...(walk.search(flat, query, 6, n) as Uint32Array)]).toEqual(
          ordinals(bruteForce('l2', flat, dim, n, query, 6, keep)),
        );
      }
    });

    it('an upper link to an element not on that level is not followed into another record; one outside the graph is a typed error', () => {
      const flat = inSimdMemory(base);
      const blob = completeGraphBlob(flat, n, { levels });
      // Element 0's records: label, level word, 39 level-0 links, then level 1 (a count and
      // links to 8, 16, 24, 32), then level 2 (a count and a link to 24).
      const level2Link = 64 + 4 * (2 + (n - 1) + 1 + 4 + 1);
      const view = new DataView(blob.buffer, blob.byteOffset);
      expect(view.getUint32(level2Link, true)).toBe(24);
      for (const target of [3, 8]) {
        // Element 3 has no upper levels at all, element 8 only level 1.
        view.setUint32(level2Link, target, true);
        const walker = prepareGraphWalker(blob, n, flat);
        const plain = prepareGraphWalker(blob, n);
        for (let q = 0; q < queries.length / dim; q++) {
          const query = row(queries, q, dim);
          const want = ordinals(bruteForce('l2', flat, dim, n, query, 5));
          expect(ordinals(walker.search(flat, query, 5, { ef: n }))).toEqual(want);
          expect(ordinals(walker.search(flat, query, 5, { ef: n, accept: () => true }))).toEqual(want);
          expect(ordinals(plain.search(flat, query, 5, { ef: n }))).toEqual(want);
        }
      }
      view.setUint32(level2Link, n + 3, true);
      const walker = prepareGraphWalker(blob, n, flat);
      const plain = prepareGraphWalker(blob, n);
      const query = row(queries, 0, dim);
      for (const walk of [
        () => walker.search(flat, query, 5, { ef: n }),
        () => walker.search(flat, query, 5, { ef: n, accept: () => true }),
        () => plain.search(flat, query, 5, { ef: n }),
      ]) {
        let err: unknown;
        try {
          walk();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(RvfError);
        expect((err as RvfError).code).toBe(ErrorCode.InvalidManifest);
      }
    });
  });

  it('checks the digest four chains at a time: passes over its own vectors, refuses changed ones', () => {
    for (const d of [16, 18]) {
      // 18: two words past the last group of four, taken by the scalar tail.
      const vectors = randomVectors(n, d, mulberry32(23));
      const labels = Array.from({ length: n }, (_, i) => (i * 7) % n); // not the identity
      const flat = inSimdMemory(vectors);
      const walker = prepareGraphWalker(completeGraphBlob(flat, n, { dim: d, labels }), n, flat);
      expect(walker.walksInWasm).toBe(true);
      drain(walker.verify(flat, 7)); // several slices; the blob's digest was taken in TypeScript
      flat[5 * d + d - 1] = (flat[5 * d + d - 1] ?? 0) + 1; // a tail word when d is 18
      let err: unknown;
      try {
        drain(walker.verify(flat, 7));
      } catch (e) {
        err = e;
      }
      expect((err as RvfError).code, `dim ${d}`).toBe(ErrorCode.ContentHashMismatch);
    }
  });

  it('visit marks survive their counter wrapping (70,000 walks)', () => {
    const flat = inSimdMemory(base);
    const walker = prepareGraphWalker(completeGraphBlob(flat, n), n, flat);
    const query = row(queries, 2, dim);
    const want = bruteForce('l2', flat, dim, n, query, 5).map((h) => h.ordinal);
    for (let i = 0; i < 70_000; i++) {
      const got = walker.search(flat, query, 5, { ef: n });
      if (i % 10_000 === 0 || i === 69_999) expect(got.map((h) => h.ordinal)).toEqual(want);
    }
  });

  it('a link outside the graph is a typed error, not a read of other memory', () => {
    const flat = inSimdMemory(base);
    const blob = completeGraphBlob(flat, n);
    // Element 0's first level-0 link (word 2 after the 64-byte header) points past the graph.
    new DataView(blob.buffer, blob.byteOffset).setUint32(64 + 8, n + 7, true);
    const walker = prepareGraphWalker(blob, n, flat);
    let err: unknown;
    try {
      for (let q = 0; q < 12; q++) walker.search(flat, row(queries, q, dim), 3, { ef: n });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RvfError);
    expect((err as RvfError).code).toBe(ErrorCode.InvalidManifest);
  });

  describe.skipIf(nativeMissing())('over graphs hnswlib built', () => {
    for (const metric of METRICS) {
      it(`${metric}: the same neighbours as hnswlib and as the JavaScript walk, with exact distances`, () => {
        const d = 24; // not a multiple of 16: the kernels' four-lane and scalar tails run
        const count = 3000;
        const data = clusteredVectors(count, d, 30, mulberry32(31));
        const qs = clusteredVectors(50, d, 30, mulberry32(32));
        const store = new VectorStore(d, count);
        store.setBlock(0, data);
        expect(simdWalksAvailable(store.flat)).toBe(true);
        const h = createHnsw(d, metric, { store, m: 12, efConstruction: 100 });
        h.addBatch(Array.from({ length: count }, (_, i) => i));
        for (const o of [3, 77, 1500]) h.markDeleted(o);
        const blob = h.serialize();
        const wasm = prepareGraphWalker(blob, count, store.flat);
        const js = prepareGraphWalker(blob, count);
        const kernel = distanceFn(metric);
        const fromWasm: number[][] = [];
        const fromJs: number[][] = [];
        const fromHnswlib: number[][] = [];
        for (let q = 0; q < 50; q++) {
          const query = row(qs, q, d);
          const got = wasm.search(store.flat, query, 10, { ef: 64 });
          expect(wasm.lastWalk).toBe('wasm');
          for (const hit of got) {
            expect([3, 77, 1500]).not.toContain(hit.ordinal);
            expect(hit.distance).toBe(kernel(store.flat, hit.ordinal * d, query, 0, d));
          }
          fromWasm.push(got.map((x) => x.ordinal));
          fromJs.push(js.search(store.flat, query, 10, { ef: 64 }).map((x) => x.ordinal));
          // The TypeScript walk over the WebAssembly layout is the same walk as over ordinary arrays.
          const shared = wasm.search(store.flat, query, 10, { ef: 64, accept: () => true });
          expect(wasm.lastWalk).toBe('js');
          expect(shared.map((x) => x.ordinal)).toEqual(fromJs[q]);
          fromHnswlib.push(h.search(query, 10, { ef: 64 }).map((x) => x.ordinal));
        }
        // Sums in another order can swap near-ties at the edge of the beam; nothing more.
        const agreement = (other: number[][]) =>
          other.reduce((sum, want, q) => sum + recallAtK(want, fromWasm[q]!), 0) / other.length;
        expect(agreement(fromJs)).toBeGreaterThanOrEqual(0.99);
        expect(agreement(fromHnswlib)).toBeGreaterThanOrEqual(0.99);
      });
    }
  });
});
