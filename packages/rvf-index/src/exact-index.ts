import { type Metric, rvfError } from '@rvfjs/types';
import type { SearchOptions, VectorIndex } from './engine.js';
import { exactSearch } from './exact.js';
import { OrdinalFlags } from './ordinal-flags.js';
import type { Neighbour } from './top-k.js';
import type { VectorStore } from './vector-store.js';

/**
 * The portable engine: a full scan of the shared VectorStore. Needs no native code and no build
 * step, so it is always available, and it is the right plan for small stores and selective filters.
 * Every ordinal the store holds is in this index unless marked deleted here.
 */
export class ExactIndex implements VectorIndex {
  readonly kind = 'exact' as const;
  readonly store: VectorStore;
  readonly metric: Metric;
  private readonly deleted = new OrdinalFlags();
  private deletedCount = 0;

  constructor(store: VectorStore, metric: Metric) {
    if (metric !== 'l2' && metric !== 'inner_product' && metric !== 'cosine') {
      throw rvfError('MetricUnsupported', `unknown metric ${JSON.stringify(metric)}`);
    }
    this.store = store;
    this.metric = metric;
  }

  /** Components per vector. */
  get dimension(): number {
    return this.store.dimension;
  }

  get count(): number {
    return this.store.count;
  }

  get liveCount(): number {
    return this.store.count - this.deletedCount;
  }

  add(ordinal: number, vector: Float32Array): void {
    this.store.set(ordinal, vector);
    if (this.deleted.get(ordinal) !== 0) {
      this.deleted.set(ordinal, 0);
      this.deletedCount--;
    }
  }

  markDeleted(ordinal: number): void {
    if (ordinal >>> 0 !== ordinal || ordinal >= this.store.count || this.deleted.get(ordinal) !== 0) return;
    this.deleted.set(ordinal, 1);
    this.deletedCount++;
  }

  /** True when the ordinal is marked deleted (searches skip it). */
  isDeleted(ordinal: number): boolean {
    return this.deleted.get(ordinal) !== 0;
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): Neighbour[] {
    const { filter, candidates } = opts;
    const deleted = this.deleted;
    let accept = filter;
    if (this.deletedCount > 0) {
      accept = filter ? (o) => deleted.get(o) === 0 && filter(o) : (o) => deleted.get(o) === 0;
    }
    return exactSearch({
      vectors: this.store.flat,
      dimension: this.store.dimension,
      metric: this.metric,
      query,
      k,
      count: this.store.count,
      candidates,
      accept,
    });
  }
}
