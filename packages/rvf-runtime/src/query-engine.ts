import {
  exactSearch,
  type GraphWalker,
  graphThreadAvailable,
  type HnswIndex,
  nativeHnswAvailable,
  simdWalksAvailable,
} from '@rvfjs/index';
import type { Metric } from '@rvfjs/types';
import type { Filter } from './filter.js';
import { type GraphHost, GraphMaintainer, type IndexParams } from './graph-maintainer.js';
import { bitsToOrdinals, MetadataIndex, popcount } from './metadata-index.js';
import type { VectorTable } from './vector-table.js';

export type { IndexParams, IndexProgress, ParentGraphSeed } from './graph-maintainer.js';

export interface Hit {
  ordinal: number;
  distance: number;
}

/** Which engine answered a query (see EngineStatus.lastQueryEngine). */
export type QueryEngineName = 'exact' | 'hnsw' | 'hnsw-wasm' | 'hnsw-js';

/** The query engine's state, as `status().engine` reports it. */
export interface EngineStatus {
  /**
   * Which engine answered the last query: 'hnsw' is hnswlib's graph; 'hnsw-wasm' the saved graph
   * walked wholly in WebAssembly (a read-only store's index; a writer's until hnswlib has
   * loaded the graph); 'hnsw-js' the saved graph walked in TypeScript (filtered walks of it,
   * or where WebAssembly SIMD is unavailable); 'exact' a scan of every candidate.
   */
  lastQueryEngine: QueryEngineName | null;
  /** 'none' below the threshold or without the add-on; 'building' while catching up. */
  index: 'none' | 'building' | 'complete';
  indexedVectors: number;
  nativeAvailable: boolean;
  /**
   * Whether graph builds and loads run on a worker thread; false means they run on the event
   * loop in slices of a few milliseconds (slower, still complete).
   */
  workers: boolean;
  /**
   * Whether the store's vectors sit in WebAssembly memory, so that a saved graph is walked
   * there ('hnsw-wasm'); false where WebAssembly SIMD is unavailable, turned off
   * (`RVF_DISABLE_SIMD=1`), or the store is too small to have a graph.
   */
  simd: boolean;
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
/** The same for a distance in the TypeScript walk: as dear as the scan's, plus the walk's bookkeeping. */
const WALKER_DISTANCE_COST = 1.2;
/**
 * …and in the TypeScript walk over vectors in WebAssembly memory (each distance a SIMD kernel
 * call): measured at 100k×128, a filtered walk at 30 % took 1.3–2.2 ms against 10–13 ms for
 * the scan of its 30,000 candidates, about a fifth of the JavaScript walk's cost.
 */
const SIMD_WALKER_DISTANCE_COST = 0.3;

/**
 * Answers queries for one store: plans each one (exact scan, exact scan over filter
 * candidates, or HNSW with the filter applied during the walk). The graph (kept by a
 * GraphMaintainer) answers for everything but its pending ordinals, which are scanned
 * exactly and merged in, so a graph that is still catching up never means a full scan.
 */
export class QueryEngine {
  /** The graph's keeper (loading, building, saving). */
  readonly maintainer: GraphMaintainer;
  private metaIndex: MetadataIndex | undefined;
  private lastEngine: QueryEngineName | null = null;

  constructor(
    private readonly table: VectorTable,
    readonly metric: Metric,
    readonly params: IndexParams,
    host: Omit<GraphHost, 'metric' | 'params'>,
  ) {
    this.maintainer = new GraphMaintainer(table, { ...host, metric, params });
  }

  status(): EngineStatus {
    const g = this.maintainer;
    return {
      lastQueryEngine: this.lastEngine,
      index: g.state(),
      indexedVectors: g.graph ? g.graph.liveCount : g.walker ? g.walker.liveCount : 0,
      nativeAvailable: nativeHnswAvailable(),
      workers: graphThreadAvailable(),
      simd: simdWalksAvailable(this.table.vectors),
      ...(g.rebuildReason ? { rebuildReason: g.rebuildReason } : {}),
    };
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
    const m = this.maintainer;
    const pending = m.pending;
    if (!filter && plan !== 'exact' && !m.graph && !m.walker && m.preparingWalker) {
      // Rather than scan every vector, spend up to about twice what the scan would cost on
      // getting the saved graph ready to walk, and walk it if that was enough: one or two
      // queries then pay for the preparation, instead of every query scanning until its
      // slices have had their turns. (A filtered query's scan may cover a few candidates
      // only, so it is not held up.)
      m.hurryWalker(2 * scanCostMs(t.count, t.dimension, simdWalksAvailable(t.vectors)));
    }
    // A graph that answers for less than half the store is not worth a walk plus a scan.
    const usable = plan !== 'exact' && pending.size * 2 < t.idCount;
    const graph = usable ? m.graph : undefined;
    const walker = usable && !graph ? m.walker : undefined;
    if (!filter) {
      if (graph || walker)
        return this.walk(graph, walker, query, k, Math.max(efSearch ?? this.params.efSearch, k));
      this.lastEngine = 'exact';
      // Liveness turns few rows away (deletes, a branch's hidden members): the scan still
      // runs in WebAssembly and asks it only of the nearest rows.
      return this.exact(query, k, live ? { accept: live, acceptRejectsFew: true } : {});
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
          (!index.mayBeStale(o) || t.metadata.matches(o, filter))
      : (o: number) =>
          ((bits[o >>> 5]! >>> (o & 31)) & 1) === 1 && t.isLive(o) && t.metadata.matches(o, filter);
    // Cost model, in candidates the scan checks: a scan checks each candidate (a distance in
    // JavaScript plus the filter); a filtered walk visits about ef / fraction nodes to collect
    // ef survivors, and each visit computes about 2·M distances (the level-0 neighbour list)
    // inside hnswlib, each a fraction of a scanned candidate's cost. The cheaper one answers.
    // The walk's ef is widened for rarer matches: hnswlib already walks on until ef nodes
    // pass the filter, but on hard data the survivors it meets first are a poorer sample.
    const fraction = Math.max(n / Math.max(1, t.count), 1e-3);
    const base = Math.max(efSearch ?? this.params.efSearch, k);
    const ef = Math.ceil(base / Math.sqrt(fraction));
    const perDistance = graph
      ? NATIVE_DISTANCE_COST
      : walker?.walksInWasm
        ? SIMD_WALKER_DISTANCE_COST
        : WALKER_DISTANCE_COST;
    const walkCost = (ef / fraction) * 2 * this.params.m * perDistance;
    if ((!graph && !walker) || (plan === 'auto' && n <= walkCost)) {
      this.lastEngine = 'exact';
      return this.exact(query, k, { candidates: bitsToOrdinals(bits, n), accept });
    }
    // Broad filter: walk the graph with the filter applied (the engine widens ef further
    // when fewer than k survive at all).
    return this.walk(graph, walker, query, k, ef, accept);
  }

  /**
   * The k nearest by the graph (or, while hnswlib loads it, the saved graph walked in
   * TypeScript) that `filter` lets through (default: live ordinals), merged with an exact scan
   * of the pending ordinals the graph does not answer for.
   */
  private walk(
    graph: HnswIndex | undefined,
    walker: GraphWalker | undefined,
    query: Float32Array,
    k: number,
    ef: number,
    filter?: (o: number) => boolean,
  ): Hit[] {
    const t = this.table;
    const pending = this.maintainer.pending;
    const accept = filter ?? ((o: number) => t.isLive(o));
    let hits: Hit[];
    if (graph) {
      this.lastEngine = 'hnsw';
      hits = graph.search(query, k, filter ? { ef, filter } : { ef });
    } else {
      this.lastEngine = 'hnsw-js';
      // The walker knows nothing of later writes: rewritten members are pending, and answer
      // from the scan below with their new vectors; deleted ones are not live. With nothing
      // to reject, it is given no filter (and can then walk wholly in WebAssembly).
      const m = this.maintainer;
      const rejectNone =
        !filter && (t.allLive || m.walkerKnowsLiveness) && (pending.size === 0 || m.pendingOutsideWalker);
      hits = walker!.search(t.vectors, query, k, {
        ef,
        ...(rejectNone ? {} : { accept: (o: number) => accept(o) && !pending.has(o) }),
      });
      if (walker!.lastWalk === 'wasm') this.lastEngine = 'hnsw-wasm';
    }
    if (pending.size === 0) return hits;
    return mergeHits(hits, this.exact(query, k, { candidates: pending.list(), accept }), k);
  }

  private exact(
    query: Float32Array,
    k: number,
    opts: { candidates?: ArrayLike<number>; accept?: (o: number) => boolean; acceptRejectsFew?: boolean },
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
}

/**
 * About how long an exact scan of `count` vectors takes on this thread: a nanosecond per
 * component is a fair figure for the scalar kernels on current CPUs (13 ms at 100k × 128),
 * a quarter of that for the SIMD scan over vectors in WebAssembly memory.
 */
function scanCostMs(count: number, dimension: number, simd: boolean): number {
  return (count * dimension) / (simd ? 4e6 : 1e6);
}

/** The k nearest of two lists sorted by (distance, ordinal) with no ordinal in both. */
function mergeHits(a: Hit[], b: Hit[], k: number): Hit[] {
  if (b.length === 0) return a;
  const out: Hit[] = [];
  let i = 0;
  let j = 0;
  while (out.length < k && (i < a.length || j < b.length)) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && (x.distance - y.distance || x.ordinal - y.ordinal) <= 0)) {
      out.push(x!);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}
