import {
  createHnsw,
  deserializeHnswAsync,
  exactSearch,
  type HnswIndex,
  nativeHnswAvailable,
  type VectorStore,
} from '@rvfjs/index';
import type { Metric } from '@rvfjs/types';
import { type Filter, matches } from './filter.js';
import { bitsToOrdinals, MetadataIndex, popcount } from './metadata-index.js';
import type { VectorTable } from './vector-table.js';

export interface Hit {
  ordinal: number;
  distance: number;
}

export interface IndexParams {
  m: number;
  efConstruction: number;
  efSearch: number;
  /** Below this many vectors the exact engine answers everything and no graph is kept. */
  threshold: number;
}

export type IndexProgress = (done: number, total: number) => void;

/** Where a branch child can get a graph for its inherited vectors: its parent's saved one. */
export interface ParentGraphSeed {
  /** Reads the parent's saved graph (at the pinned state), if it has one. */
  load: () => Promise<Uint8Array | undefined>;
  /** The parent's vectors as the child inherited them (the graph is verified against these). */
  store: VectorStore;
}

export interface EngineStatus {
  /** Which engine answered the last query. */
  lastQueryEngine: 'exact' | 'hnsw' | null;
  /** 'none' below the threshold or without the add-on; 'building' while catching up. */
  index: 'none' | 'building' | 'complete';
  indexedVectors: number;
  nativeAvailable: boolean;
  /** Why the saved graph was not used at open, if it was not. */
  rebuildReason?: string;
}

/**
 * What one distance computed inside hnswlib (native code, SIMD) costs relative to one
 * candidate checked by the exact scan (a JavaScript distance and the filter test): about a
 * seventh, from the benchmark's filtered queries at 10 % on 100k×128 (2.8 ms for a walk
 * estimated at 101,000 distances, ef 317, against 1.9 ms for scanning 10,000 candidates).
 */
const NATIVE_DISTANCE_COST = 0.15;

/** At most this many inserts per turn of the event loop while catching up in the background… */
const CHUNK = 512;
/** …and for about this long, so a query or write waits at most a few milliseconds. */
const STEP_MS = 4;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Answers queries for one store: plans each one (exact scan, exact scan over filter
 * candidates, or HNSW with the filter applied during the walk), and keeps the HNSW graph in
 * step with the table. Ingest adds, delete hides, re-ingest replaces; nothing is rebuilt on
 * the query path: a graph that is missing or behind is caught up in the background, in small
 * chunks, while the exact engine answers.
 */
export class QueryEngine {
  private hnsw: HnswIndex | undefined;
  /** Ordinals the graph still has to take in (appended on ingest, drained in the background). */
  private backlog: number[] = [];
  private building: Promise<void> | undefined;
  private metaIndex: MetadataIndex | undefined;
  private lastEngine: 'exact' | 'hnsw' | null = null;
  private rebuildReason: string | undefined;
  /** True when the graph changed since it was last saved or loaded. */
  dirty = false;
  private closed = false;
  /** True while a parent's graph is being loaded for a branch (writes are caught up after). */
  private seeding = false;
  /**
   * Ordinals written while a graph was loading: the load may have streamed their old
   * vectors, so they are re-inserted afterwards (the catch-up scan sees only membership).
   */
  private changedWhileSeeding: number[] = [];

  constructor(
    private table: VectorTable,
    readonly metric: Metric,
    readonly params: IndexParams,
    private readonly onProgress?: IndexProgress,
    /**
     * Awaited before each step of background work; the store passes one that waits while a
     * write, branch or compaction runs, so background indexing never delays them much.
     */
    private readonly yieldTo: () => Promise<void> = nextTurn,
  ) {}

  /** After a reload (refresh, compaction) the engine starts over on the new table. */
  reset(table: VectorTable): void {
    this.table = table;
    this.hnsw = undefined;
    this.backlog = [];
    this.metaIndex = undefined;
    this.dirty = false;
  }

  close(): void {
    this.closed = true;
  }

  status(): EngineStatus {
    const building = this.hnsw !== undefined && this.backlog.length > 0;
    const native = nativeHnswAvailable();
    return {
      lastQueryEngine: this.lastEngine,
      // A load still queued when the add-on turns out to be missing will not build anything.
      index: this.seeding
        ? native
          ? 'building'
          : 'none'
        : this.hnsw
          ? building
            ? 'building'
            : 'complete'
          : 'none',
      indexedVectors: this.hnsw ? this.hnsw.liveCount : 0,
      nativeAvailable: native,
      ...(this.rebuildReason ? { rebuildReason: this.rebuildReason } : {}),
    };
  }

  /**
   * Takes up a saved graph (this store's own, or for a branch its parent's) in the
   * background, so opening never waits for it, nor for loading the native add-on: the exact
   * engine answers until the graph is in place, then whatever it lacks is caught up, also in
   * the background. Without a saved graph one is built the same way.
   */
  attachSaved(saved: (() => Promise<Uint8Array>) | undefined, seed?: ParentGraphSeed): void {
    if (this.table.count < this.params.threshold) return;
    if (saved) {
      // The graph is checked against the vectors as they are now: writes made before the
      // load gets its turn go to the live store (copy-on-write) and are re-inserted after.
      const snapshot = this.table.store.fork();
      const live = this.table.store;
      this.loadInBackground(
        async () => {
          try {
            const g = await deserializeHnswAsync(await saved(), snapshot, {
              efSearch: this.params.efSearch,
              yieldTo: this.yieldTo,
            });
            return g.rebind(live);
          } finally {
            snapshot.release();
          }
        },
        false,
        'saved index not used',
        () => snapshot.release(),
      );
    } else if (seed) {
      // A branch starts from its parent's graph: verified against the parent's vectors, moved
      // onto the branch's copy-on-write store, then caught up with the branch's own edits.
      this.loadInBackground(
        async () => {
          const parentBlob = await seed.load();
          if (!parentBlob) {
            this.rebuildReason = 'parent has no saved index';
            return undefined;
          }
          const g = (
            await deserializeHnswAsync(parentBlob, seed.store, {
              efSearch: this.params.efSearch,
              yieldTo: this.yieldTo,
            })
          ).rebind(this.table.store);
          this.seededFromParent = true;
          return g;
        },
        true,
        "parent's saved index not used",
      );
    } else {
      this.loadInBackground(async () => {
        this.rebuildReason = 'no saved index';
        return undefined;
      }, false);
    }
  }

  /** True when the graph came from the parent's saved one (a branch with few own edits need not save it). */
  seededFromParent = false;

  private loadInBackground(
    load: () => Promise<HnswIndex | undefined>,
    ownChanged: boolean,
    failure = 'saved index not used',
    /** Called instead of `load` when it will not run (closed, or no add-on). */
    skipped?: () => void,
  ): void {
    this.seeding = true;
    const table = this.table;
    this.building = new Promise<void>((resolve) => {
      this.yieldTo().then(async () => {
        if (this.closed || this.table !== table || !nativeHnswAvailable()) {
          if (!this.closed) this.rebuildReason = 'native HNSW unavailable; using the exact engine';
          skipped?.();
          this.seeding = false;
          this.building = undefined;
          resolve();
          return;
        }
        let g: HnswIndex | undefined;
        try {
          g = await load();
        } catch (e) {
          this.rebuildReason = `${failure}: ${(e as Error).message}`;
        }
        this.seeding = false;
        this.building = undefined;
        // A reload (refresh, compaction) started over on a new table meanwhile: not ours.
        if (!this.closed && this.table === table) {
          if (g) this.hnsw = g;
          else {
            this.hnsw = this.newGraph();
            this.dirty = true;
            this.seededFromParent = false;
          }
          this.catchUp(ownChanged);
          const changed = this.changedWhileSeeding;
          this.changedWhileSeeding = [];
          for (const o of changed) if (this.table.isLive(o)) this.backlog.push(o);
          if (changed.length > 0) {
            this.dirty = true;
            this.schedule();
          }
        } else {
          this.changedWhileSeeding = [];
        }
        resolve();
      });
    });
  }

  /**
   * Queues what the graph lacks: ordinals it does not hold, and liveness it does not know.
   * With `ownChanged`, the table's own ordinals are re-added too (a branch's overrides
   * replace vectors the parent's graph was built over).
   */
  private catchUp(ownChanged: boolean): void {
    const g = this.hnsw!;
    for (let ord = 0; ord < this.table.count; ord++) {
      if (ownChanged && this.table.isOwn(ord) && g.has(ord)) {
        if (this.table.isLive(ord)) this.backlog.push(ord);
        else g.markDeleted(ord);
        continue;
      }
      const live = this.table.isLive(ord);
      if (!g.has(ord)) {
        if (live) this.backlog.push(ord);
      } else if (!live && !g.isDeleted(ord)) {
        g.markDeleted(ord);
        this.dirty = true;
      } else if (live && g.isDeleted(ord)) {
        this.backlog.push(ord);
      }
    }
    this.schedule();
  }

  /** Ordinals ingested (new or replaced). */
  added(ordinals: readonly number[]): void {
    if (this.seeding) {
      for (const o of ordinals) this.changedWhileSeeding.push(o);
      return;
    }
    if (!this.hnsw) {
      // Crossing the threshold: start a graph and fill it in the background (not a "rebuild").
      if (this.table.liveCount >= this.params.threshold && nativeHnswAvailable()) {
        this.hnsw = this.newGraph();
        this.dirty = true;
        this.catchUp(false);
      }
      return;
    }
    for (const o of ordinals) this.backlog.push(o);
    this.dirty = true;
    // Small batches go in right away, so a query right after ingest already uses them.
    if (this.backlog.length <= CHUNK) this.drain(this.backlog.length);
    else this.schedule();
  }

  /** Ordinals that became invisible. */
  hidden(ordinals: readonly number[]): void {
    if (this.seeding || !this.hnsw) return;
    for (const o of ordinals) this.hnsw.markDeleted(o);
    this.dirty = true;
  }

  /** Waits until the graph holds every live vector (for close, save and tests). */
  async settle(): Promise<void> {
    while (this.building) await this.building;
    if (this.backlog.length > 0) this.drain(this.backlog.length);
  }

  /**
   * The graph's bytes as they are now; undefined when there is no graph. A graph still
   * catching up is saved as far as it got (the next open continues from there), so closing
   * a store never waits for a full build.
   */
  serialize(): Uint8Array | undefined {
    return this.hnsw?.serialize();
  }

  search(
    query: Float32Array,
    k: number,
    filter: Filter | undefined,
    efSearch: number | undefined,
    plan: 'auto' | 'exact' | 'hnsw' = 'auto',
  ): Hit[] {
    const t = this.table;
    const live = t.allLive ? undefined : (o: number) => t.isLive(o);
    const graphReady = plan !== 'exact' && this.hnsw !== undefined && this.backlog.length === 0;
    if (!filter) {
      if (graphReady) {
        this.lastEngine = 'hnsw';
        return this.hnsw!.search(query, k, { ef: Math.max(efSearch ?? this.params.efSearch, k) });
      }
      this.lastEngine = 'exact';
      return this.exact(query, k, live ? { accept: live } : {});
    }
    // Plan by selectivity: the metadata index gives a candidate superset, and its size.
    const bits = this.candidates(filter);
    const n = popcount(bits);
    const index = this.metaIndex!;
    // Where the index answers the filter exactly, a candidate needs no second look at its
    // metadata (reading it is most of the cost per candidate on a large store).
    const accept = index.isExact(filter)
      ? (o: number) =>
          ((bits[o >>> 5]! >>> (o & 31)) & 1) === 1 &&
          t.isLive(o) &&
          (!index.mayBeStale(o) || matches(filter, t.metadata.get(o)))
      : (o: number) =>
          ((bits[o >>> 5]! >>> (o & 31)) & 1) === 1 && t.isLive(o) && matches(filter, t.metadata.get(o));
    // Cost model, in candidates the scan checks: a scan checks each candidate (a distance in
    // JavaScript plus the filter); a filtered walk visits about ef / fraction nodes to collect
    // ef survivors, and each visit computes about 2·M distances (the level-0 neighbour list)
    // inside hnswlib, each a fraction of a scanned candidate's cost. The cheaper one answers.
    // The walk's ef is widened for rarer matches: hnswlib already walks on until ef nodes
    // pass the filter, but on hard data the survivors it meets first are a poorer sample.
    const fraction = Math.max(n / Math.max(1, t.count), 1e-3);
    const base = Math.max(efSearch ?? this.params.efSearch, k);
    const ef = Math.ceil(base / Math.sqrt(fraction));
    const walkCost = (ef / fraction) * 2 * this.params.m * NATIVE_DISTANCE_COST;
    if (!graphReady || (plan === 'auto' && n <= walkCost)) {
      this.lastEngine = 'exact';
      return this.exact(query, k, { candidates: bitsToOrdinals(bits, n), accept });
    }
    // Broad filter: walk the graph with the filter applied (the engine widens ef further
    // when fewer than k survive at all).
    this.lastEngine = 'hnsw';
    return this.hnsw!.search(query, k, { ef, filter: accept });
  }

  private exact(
    query: Float32Array,
    k: number,
    opts: { candidates?: ArrayLike<number>; accept?: (o: number) => boolean },
  ): Hit[] {
    const t = this.table;
    return exactSearch({
      vectors: t.vectors,
      dimension: t.dimension,
      metric: this.metric,
      query,
      k,
      count: t.count,
      ...opts,
    });
  }

  private candidates(filter: Filter): Uint32Array {
    // Writes since the last filtered query are taken in (built from scratch only the first
    // time, or when replaying would cost as much as rebuilding).
    const changes = this.table.metadata.takeChanges();
    if (!this.metaIndex || !changes || !this.metaIndex.update(changes)) {
      this.metaIndex = new MetadataIndex(this.table);
    }
    return this.metaIndex.candidates(filter);
  }

  private newGraph(): HnswIndex {
    return createHnsw(this.table.dimension, this.metric, {
      store: this.table.store,
      m: this.params.m,
      efConstruction: this.params.efConstruction,
      efSearch: this.params.efSearch,
      maxElements: Math.max(1024, this.table.count),
    });
  }

  /** Takes up to `max` ordinals off the backlog, stopping early once `deadline` passes. */
  private drain(max: number, deadline = Number.POSITIVE_INFINITY): void {
    const g = this.hnsw;
    if (!g) return;
    let done = 0;
    while (done < max && done < this.backlog.length) {
      const o = this.backlog[done++]!;
      if (this.table.isLive(o)) g.add(o, this.table.vectorOf(o));
      else g.markDeleted(o);
      if ((done & 15) === 0 && performance.now() > deadline) break;
    }
    this.backlog.splice(0, done);
    if (done > 0) this.dirty = true;
  }

  private schedule(): void {
    if (this.building || this.backlog.length === 0) return;
    const total = this.backlog.length;
    this.building = new Promise<void>((resolve) => {
      const step = () => {
        if (this.closed || !this.hnsw) {
          this.building = undefined;
          resolve();
          return;
        }
        this.drain(CHUNK, performance.now() + STEP_MS);
        this.onProgress?.(total - Math.min(total, this.backlog.length), total);
        if (this.backlog.length === 0) {
          this.building = undefined;
          resolve();
        } else this.yieldTo().then(step);
      };
      this.yieldTo().then(step);
    });
  }
}
