import { rvfError } from '@rvfjs/types';

/**
 * A 64-bit digest of the vectors an HNSW graph was built over, taken over their raw f32 bit
 * patterns in the graph's internal order. It exists to catch a stale graph (vectors changed since
 * it was saved), not to resist tampering: the store hashes whole segments.
 *
 * It sits on the load path, so it is built for speed: it is incremental (the loader feeds it each
 * vector while copying that vector into hnswlib's file, saving a second pass over the store), it
 * hashes 32-bit words rather than bytes, and it runs eight independent multiply chains (two lanes
 * × four word positions) so the CPU overlaps multiply latencies. Every chain step
 * x → (x ^ w)·odd is a bijection of the chain state for a fixed word, and each lane is folded
 * separately through bijections, so changing any single word always changes both halves.
 */
const P1 = 0x01000193; // FNV-1a prime
const P2 = 0x5bd1e995; // MurmurHash2 multiplier

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class VectorDigest {
  private a0 = 0x811c9dc5 | 0;
  private a1 = 0x050c5d1f;
  private a2 = 0x2b2ae35f;
  private a3 = 0x1b873593;
  private b0 = 0x9e3779b9 | 0;
  private b1 = 0x7f4a7c15;
  private b2 = 0x3c6ef372;
  private b3 = 0x14057b7e;
  private vectors = 0;

  /**
   * `context` words (e.g. the graph header's fields) are folded into the result as well, so a blob
   * whose header no longer matches the graph it was saved with is caught by the same comparison.
   */
  constructor(
    readonly dimension: number,
    private readonly context: readonly number[] = [],
  ) {}

  /** Hashes words[offset .. offset + dimension). */
  update(words: Uint32Array, offset: number): void {
    this.hash(words, offset, null, 0);
  }

  /**
   * Hashes words[offset .. offset + dimension) while copying them to out[outOffset ..]: the load
   * path copies every vector anyway, and one pass over memory beats two.
   */
  updateAndCopy(words: Uint32Array, offset: number, out: Uint32Array, outOffset: number): void {
    this.hash(words, offset, out, outOffset);
  }

  private hash(words: Uint32Array, offset: number, out: Uint32Array | null, outOffset: number): void {
    const dim = this.dimension;
    let { a0, a1, a2, a3, b0, b1, b2, b3 } = this;
    const end4 = offset + dim - (dim & 3);
    const shift = outOffset - offset;
    let j = offset;
    for (; j < end4; j += 4) {
      const w0 = words[j]!;
      const w1 = words[j + 1]!;
      const w2 = words[j + 2]!;
      const w3 = words[j + 3]!;
      if (out !== null) {
        out[j + shift] = w0;
        out[j + shift + 1] = w1;
        out[j + shift + 2] = w2;
        out[j + shift + 3] = w3;
      }
      a0 = Math.imul(a0 ^ w0, P1);
      a1 = Math.imul(a1 ^ w1, P1);
      a2 = Math.imul(a2 ^ w2, P1);
      a3 = Math.imul(a3 ^ w3, P1);
      b0 = Math.imul(b0 ^ w0, P2);
      b1 = Math.imul(b1 ^ w1, P2);
      b2 = Math.imul(b2 ^ w2, P2);
      b3 = Math.imul(b3 ^ w3, P2);
    }
    for (; j < offset + dim; j++) {
      const w = words[j]!;
      if (out !== null) out[j + shift] = w;
      a0 = Math.imul(a0 ^ w, P1);
      b0 = Math.imul(b0 ^ w, P2);
    }
    this.a0 = a0;
    this.a1 = a1;
    this.a2 = a2;
    this.a3 = a3;
    this.b0 = b0;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.vectors++;
  }

  /** The eight chain values (a0..a3, b0..b3), for a kernel that continues them (simd-walk.ts). */
  chains(): Int32Array {
    const { a0, a1, a2, a3, b0, b1, b2, b3 } = this;
    return Int32Array.of(a0, a1, a2, a3, b0, b1, b2, b3);
  }

  /** Takes back chain values continued elsewhere over `vectors` more vectors. */
  resume(chains: Int32Array, vectors: number): void {
    this.a0 = chains[0]!;
    this.a1 = chains[1]!;
    this.a2 = chains[2]!;
    this.a3 = chains[3]!;
    this.b0 = chains[4]!;
    this.b1 = chains[5]!;
    this.b2 = chains[6]!;
    this.b3 = chains[7]!;
    this.vectors += vectors;
  }

  /** Folds the chains, seeded with the shape so the same words split differently do not collide. */
  digest(): [number, number] {
    let h1 = fmix32(this.dimension ^ 0x52564843);
    let h2 = fmix32(this.vectors ^ 0x48534e57);
    for (const c of this.context) {
      h1 = fmix32(h1 ^ c);
      h2 = fmix32(Math.imul(h2 ^ c, P2));
    }
    h1 = fmix32(fmix32(fmix32(fmix32(h1 ^ this.a0) ^ this.a1) ^ this.a2) ^ this.a3);
    h2 = fmix32(fmix32(fmix32(fmix32(h2 ^ this.b0) ^ this.b1) ^ this.b2) ^ this.b3);
    return [h1 >>> 0, h2 >>> 0];
  }
}

/**
 * Refuses a graph whose recorded digest (its header's) differs from the one just taken over
 * the vectors at hand: the graph was built over other vectors, or its header is damaged.
 */
export function checkDigest(recorded: readonly [number, number], taken: VectorDigest): void {
  const [d1, d2] = taken.digest();
  if (d1 !== recorded[0] || d2 !== recorded[1]) {
    throw rvfError(
      'ContentHashMismatch',
      'HNSW graph was built over different vectors than the ones provided (stale index), or its header is damaged',
      { offset: 48 },
    );
  }
}

/** The bit patterns of a Float32Array, for hashing. */
export function wordsOf(v: Float32Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
}

/** Digest of the vectors at `ordinals` (in that order) in flat ordinal-major storage. */
export function vectorDigest(
  vectors: Float32Array,
  dimension: number,
  ordinals: ArrayLike<number>,
  context: readonly number[] = [],
): [number, number] {
  const words = wordsOf(vectors);
  const d = new VectorDigest(dimension, context);
  for (let i = 0; i < ordinals.length; i++) d.update(words, ordinals[i]! * dimension);
  return d.digest();
}
