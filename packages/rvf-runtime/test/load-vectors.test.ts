import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { rng, tempDir } from './helpers.js';

// Opening a store copies its vectors out of the VEC records. Where they live in WebAssembly
// memory the records are read beside them and copied inside WebAssembly; the result must be
// the written bits exactly, whatever the path, across segments and read chunks.

const work = tempDir('rvfjs-load-vectors-');
afterAll(() => work.cleanup());

/** Finite bit patterns a careless copy could disturb: −0, subnormals, the extremes. (Stores refuse NaN and infinities.) */
const SPECIAL = [0x80000000, 0x00000001, 0x807fffff, 0x7f7fffff, 0xff7fffff, 0x00800000];

function vectorsOf(n: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  const bits = new Uint32Array(n * dim);
  for (let i = 0; i < bits.length; i++) {
    // Random finite floats: any sign and mantissa, an exponent below the all-ones one.
    const random = ((r() * 2 ** 32) >>> 0) & 0xbfffffff;
    bits[i] = i % 11 === 0 ? SPECIAL[(i / 11) % SPECIAL.length]! : random;
  }
  return new Float32Array(bits.buffer);
}

const bitsOf = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

describe('loading vectors', () => {
  it('every bit of every vector survives a reopen, over segments larger than one read and re-ingested ids', async () => {
    const dim = 37; // records 156 bytes apart: floats off any 8-byte boundary
    const path = join(work.dir, 'bits.rvf');
    const s = await RvfStore.create(path, { dimension: dim, indexThreshold: Number.POSITIVE_INFINITY });
    // 9,000 vectors in one ingest: its VEC segment (1.4 MB) is read in two pieces.
    const a = vectorsOf(9000, dim, 1);
    await s.ingestBatch(
      a,
      Array.from({ length: 9000 }, (_, i) => i),
    );
    // A second segment that rewrites some ids and adds others.
    const b = vectorsOf(600, dim, 2);
    const bIds = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? i * 7 : 9000 + i));
    await s.ingestBatch(b, bIds);
    await s.close();

    const want = new Map<number, Float32Array>();
    for (let i = 0; i < 9000; i++) want.set(i, a.subarray(i * dim, (i + 1) * dim));
    for (const [i, id] of bIds.entries()) want.set(id, b.subarray(i * dim, (i + 1) * dim));

    const r = await RvfStore.open(path, { readOnly: true });
    expect(r.status().engine.simd, 'the vectors are in WebAssembly memory').toBe(true);
    for (const [id, v] of want) expect(bitsOf(r.get(id)!.vector), `id ${id}`).toEqual(bitsOf(v));
    await r.close();
  });
});
