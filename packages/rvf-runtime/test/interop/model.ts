/**
 * An independent in-memory model of what a store should contain after a sequence of
 * operations, with rvfjs's semantics (a re-ingested deleted id is visible again; a new
 * version of a vector carries only the metadata given with it).
 */
import { bruteForce } from '../helpers.js';

export type Metric = 'l2' | 'inner_product' | 'cosine';
export type Meta = Record<string, string | number>;

export class Model {
  readonly vectors = new Map<number, Float32Array>();
  readonly meta = new Map<number, Meta | undefined>();
  readonly deleted = new Set<number>();

  constructor(
    readonly dim: number,
    readonly metric: Metric,
  ) {}

  ingest(flat: Float32Array, ids: readonly number[], meta?: readonly (Meta | undefined)[]): void {
    ids.forEach((id, i) => {
      this.vectors.set(id, flat.slice(i * this.dim, (i + 1) * this.dim));
      this.meta.set(id, meta?.[i]);
      this.deleted.delete(id);
    });
  }

  delete(ids: readonly number[]): void {
    for (const id of ids) if (this.vectors.has(id)) this.deleted.add(id);
  }

  /** What a compaction keeps. */
  compact(): void {
    for (const id of this.deleted) {
      this.vectors.delete(id);
      this.meta.delete(id);
    }
    this.deleted.clear();
  }

  liveIds(): number[] {
    return [...this.vectors.keys()].filter((id) => !this.deleted.has(id)).sort((a, b) => a - b);
  }

  get liveCount(): number {
    return this.vectors.size - this.deleted.size;
  }

  vectorOf(id: number): Float32Array {
    const v = this.vectors.get(id);
    if (!v) throw new Error(`model has no vector ${id}`);
    return v;
  }

  /** Exact k-NN over the live vectors (float64 arithmetic), optionally filtered on metadata. */
  search(
    q: ArrayLike<number>,
    k: number,
    keep: (meta: Meta | undefined, id: number) => boolean = () => true,
  ) {
    const ids = this.liveIds();
    const flat = new Float32Array(ids.length * this.dim);
    for (const [i, id] of ids.entries()) flat.set(this.vectorOf(id), i * this.dim);
    return bruteForce(flat, ids, this.dim, this.metric, q, k, (id) => keep(this.meta.get(id), id));
  }
}

/** `count` distinct picks from `pool`, in a seeded order. */
export function pick(pool: readonly number[], count: number, rand: () => number): number[] {
  const copy = [...pool];
  const out: number[] = [];
  while (out.length < count && copy.length > 0)
    out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0]!);
  return out;
}
