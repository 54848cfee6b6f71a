import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type Metric, RvfError, rvfError } from '@rvfjs/types';
import { checkDigest, VectorDigest, vectorDigest } from './digest.js';
import { distanceFn } from './distance.js';
import type { SearchOptions, VectorIndex } from './engine.js';
import { exactSearch } from './exact.js';
import { decodeRvhn, digestContext, encodeRvhn, MAX_M, RVHN_HEADER_BYTES } from './hnsw-blob.js';
import { checkGraph, compactHnswlibFile, type GraphShape, hnswlibFileChunks } from './hnsw-file.js';
import {
  type HnswlibModule,
  loadNativeHnsw,
  type NativeHnsw,
  type NativeSpace,
  nativeHnswLoadError,
} from './native.js';
import { normalizedArray, plainArray } from './normalize.js';
import { OrdinalFlags } from './ordinal-flags.js';
import { withTempFile, withTempFileAsync } from './temp-file.js';
import { inRankOrder, type Neighbour } from './top-k.js';
import { VectorStore } from './vector-store.js';

/** Options of a new HNSW index: graph parameters, capacity, seed and vector store. */
export interface HnswOptions {
  /** Links per node on upper levels (level 0 gets 2·M). */
  m?: number;
  efConstruction?: number;
  /** Default beam width for searches; a per-query `ef` overrides it. */
  efSearch?: number;
  /** Initial capacity; the index doubles it whenever an insert would overflow. */
  maxElements?: number;
  /** hnswlib's level-assignment seed: same seed and insert order give the same graph. */
  randomSeed?: number;
  /** The runtime's shared vector store; a private one is created when omitted. */
  store?: VectorStore;
}

/** The graph parameters used when none are given (the reference's defaults). */
export const HNSW_DEFAULTS = Object.freeze({
  m: 16,
  efConstruction: 200,
  efSearch: 100,
  maxElements: 1024,
  randomSeed: 100,
});

const ABSENT = 0;
const LIVE = 1;
const DELETED = 2;

function requireNative(): HnswlibModule {
  const mod = loadNativeHnsw();
  if (mod) return mod;
  const why = nativeHnswLoadError();
  throw rvfError(
    'PlatformUnsupported',
    `native HNSW (hnswlib-node) is unavailable${why instanceof Error ? `: ${why.message}` : ''}; use the exact engine`,
  );
}

/**
 * hnswlib only proposes candidates; our kernels give the final distances. l2 maps directly. Inner
 * product uses 'ip' (1 − dot ranks like −dot). Cosine uses 'ip' over vectors we normalise ourselves,
 * so the data region is reproducible byte for byte when a stripped blob is loaded.
 */
function spaceFor(metric: Metric): NativeSpace {
  return metric === 'l2' ? 'l2' : 'ip';
}

function positiveInt(name: string, value: number, max = 0xffffffff): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw rvfError('InvalidArgument', `HNSW option ${name} must be an integer in [1, ${max}], got ${value}`);
  }
  return value;
}

function checkMetric(metric: Metric): void {
  if (metric !== 'l2' && metric !== 'inner_product' && metric !== 'cosine') {
    throw rvfError('MetricUnsupported', `unknown metric ${JSON.stringify(metric)}`);
  }
}

/**
 * Approximate nearest neighbours over hnswlib-node. Labels are our dense ordinals; vectors live in
 * the shared VectorStore (hnswlib keeps its own copy for graph walks, which we never persist).
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly metric: Metric;
  readonly store: VectorStore;
  readonly m: number;
  readonly efConstruction: number;
  private efDefault: number;
  private readonly native: NativeHnsw;
  private readonly states: OrdinalFlags;
  /** The query or vector being handed to hnswlib (see nativeVector). */
  private scratch: number[] | undefined;
  /** The beam width last given to the add-on (-1: not known; it is set before a search). */
  private nativeEf = -1;
  private n: number;
  private deletedCount: number;

  private constructor(
    native: NativeHnsw,
    store: VectorStore,
    metric: Metric,
    params: { m: number; efConstruction: number; efSearch: number },
    states = new OrdinalFlags(),
    n = 0,
    deletedCount = 0,
  ) {
    this.native = native;
    this.store = store;
    this.metric = metric;
    this.m = params.m;
    this.efConstruction = params.efConstruction;
    this.efDefault = params.efSearch;
    this.states = states;
    this.n = n;
    this.deletedCount = deletedCount;
  }

  /**
   * A new, empty index over `dimension`-component vectors; throws PlatformUnsupported without the native add-
   * on.
   */
  static create(dimension: number, metric: Metric, opts: HnswOptions = {}): HnswIndex {
    checkMetric(metric);
    const store = opts.store ?? new VectorStore(dimension);
    if (store.dimension !== dimension) {
      throw rvfError('DimensionMismatch', `store dimension ${store.dimension}, index dimension ${dimension}`);
    }
    const m = positiveInt('m', opts.m ?? HNSW_DEFAULTS.m, MAX_M);
    if (m < 2) throw rvfError('InvalidArgument', `HNSW option m must be at least 2, got ${m}`);
    const efConstruction = positiveInt('efConstruction', opts.efConstruction ?? HNSW_DEFAULTS.efConstruction);
    const efSearch = positiveInt('efSearch', opts.efSearch ?? HNSW_DEFAULTS.efSearch);
    const maxElements = positiveInt('maxElements', opts.maxElements ?? HNSW_DEFAULTS.maxElements);
    const randomSeed = opts.randomSeed ?? HNSW_DEFAULTS.randomSeed;
    if (randomSeed >>> 0 !== randomSeed)
      throw rvfError('InvalidArgument', `randomSeed must be a u32, got ${randomSeed}`);
    const mod = requireNative();
    const native = new mod.HierarchicalNSW(spaceFor(metric), dimension);
    native.initIndex({ maxElements, m, efConstruction, randomSeed });
    return new HnswIndex(native, store, metric, { m, efConstruction, efSearch });
  }

  /** Components per vector. */
  get dimension(): number {
    return this.store.dimension;
  }

  get count(): number {
    return this.n;
  }

  get liveCount(): number {
    return this.n - this.deletedCount;
  }

  /** Elements hnswlib has room for before the next doubling. */
  get capacity(): number {
    return this.native.getMaxElements();
  }

  /** The default beam width of searches. */
  get efSearch(): number {
    return this.efDefault;
  }

  set efSearch(ef: number) {
    this.efDefault = positiveInt('efSearch', ef);
  }

  /** Is this ordinal in the graph (live or deleted)? */
  has(ordinal: number): boolean {
    return this.states.get(ordinal) !== ABSENT;
  }

  /** True when the ordinal is marked deleted (searches skip it). */
  isDeleted(ordinal: number): boolean {
    return this.states.get(ordinal) === DELETED;
  }

  /** Writes the vector into the store, then inserts it (or replaces and undeletes an existing ordinal). */
  add(ordinal: number, vector: Float32Array): void {
    this.store.set(ordinal, vector);
    this.insertStored(ordinal);
  }

  /**
   * Adds many ordinals. With `vectors` (flat, ordinals.length × dimension) they are written to the
   * store first; without, the store's current vectors at those ordinals are indexed — the path for
   * vectors the runtime has already loaded.
   */
  addBatch(ordinals: ArrayLike<number>, vectors?: Float32Array): void {
    const dim = this.dimension;
    if (vectors && vectors.length !== ordinals.length * dim) {
      throw rvfError(
        'DimensionMismatch',
        `${vectors.length} floats for ${ordinals.length} vectors of dimension ${dim}`,
      );
    }
    let fresh = 0;
    for (let i = 0; i < ordinals.length; i++) if (this.states.get(ordinals[i]!) === ABSENT) fresh++;
    this.ensureCapacity(this.n + fresh);
    for (let i = 0; i < ordinals.length; i++) {
      const o = ordinals[i]!;
      if (vectors) this.store.set(o, vectors.subarray(i * dim, (i + 1) * dim));
      else if (o >>> 0 !== o || o >= this.store.count) {
        throw rvfError('KeyNotFound', `ordinal ${o} has no vector in the store (count ${this.store.count})`);
      }
      this.insertStored(o);
    }
  }

  /**
   * Moves this graph onto another store that holds the same vectors for every ordinal the
   * graph has (a branch's copy-on-write fork of its parent's vectors). The graph itself is
   * not copied; this instance must not be used afterwards.
   */
  rebind(store: VectorStore): HnswIndex {
    if (store.dimension !== this.dimension) {
      throw rvfError(
        'DimensionMismatch',
        `store dimension ${store.dimension}, index dimension ${this.dimension}`,
      );
    }
    const params = { m: this.m, efConstruction: this.efConstruction, efSearch: this.efDefault };
    return new HnswIndex(this.native, store, this.metric, params, this.states, this.n, this.deletedCount);
  }

  markDeleted(ordinal: number): void {
    if (this.states.get(ordinal) !== LIVE) return;
    this.native.markDelete(ordinal);
    this.states.set(ordinal, DELETED);
    this.deletedCount++;
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): Neighbour[] {
    const dim = this.dimension;
    if (query.length !== dim) {
      throw rvfError('DimensionMismatch', `query has ${query.length} components, index dimension is ${dim}`);
    }
    k = Math.floor(k);
    if (!(k > 0)) return [];
    const { filter, candidates } = opts;
    const states = this.states;
    if (candidates) {
      // An explicit candidate list is cheapest answered by scanning just those vectors.
      return exactSearch({
        vectors: this.store.flat,
        dimension: dim,
        metric: this.metric,
        query,
        k,
        count: this.store.count,
        candidates,
        accept: filter ? (o) => states.get(o) === LIVE && filter(o) : (o) => states.get(o) === LIVE,
      });
    }
    const want = Math.min(k, this.liveCount);
    if (want === 0) return [];
    const n = this.n;
    const requested = opts.ef === undefined ? this.efDefault : Math.floor(opts.ef);
    let ef = Math.min(n, Math.max(want, requested > 0 ? requested : this.efDefault));
    const q = this.nativeVector(query, 0);

    // A throw inside hnswlib's filter callback would leave a pending exception under native code;
    // catch it here, make the callback refuse everything, and rethrow once hnswlib has returned.
    let failure: { error: unknown } | undefined;
    const nativeFilter = filter
      ? (label: number): boolean => {
          if (failure) return false;
          try {
            return !!filter(label);
          } catch (error) {
            failure = { error };
            return false;
          }
        }
      : undefined;

    for (;;) {
      // A call into the add-on costs about as much as the rest of our per-query work: only
      // when the beam width changes.
      if (ef !== this.nativeEf) {
        this.native.setEf(ef);
        this.nativeEf = ef;
      }
      const res = nativeFilter
        ? this.native.searchKnn(q, want, nativeFilter)
        : this.native.searchKnn(q, want);
      if (failure) throw failure.error;
      // Too few survivors of the filter (or of deletions): widen the beam, up to the whole graph.
      if (res.neighbors.length >= want || ef >= n) return this.ranked(res, query);
      ef = Math.min(n, ef * 2);
    }
  }

  /**
   * hnswlib's answer in our order (distance, then ordinal) and with our distance values.
   * For L2 its distance is the same quantity as ours (Σ(a−b)² in f32, summed in another
   * order, which moves it by about 1e-7 relative), so it is taken as it is: re-reading our
   * copy of the vectors cost more than the rest of the query's own work (cache misses).
   * Inner product comes back as 1 − a·b, which loses digits near 0, and cosine is computed
   * on normalised copies: those are recomputed with our kernels.
   */
  private ranked(res: { neighbors: number[]; distances: number[] }, query: Float32Array): Neighbour[] {
    const { neighbors, distances } = res;
    const out = new Array<Neighbour>(neighbors.length);
    if (this.metric === 'l2') {
      for (let i = 0; i < neighbors.length; i++) out[i] = { ordinal: neighbors[i]!, distance: distances[i]! };
    } else {
      const dim = this.dimension;
      const flat = this.store.flat;
      const kernel = distanceFn(this.metric);
      for (let i = 0; i < neighbors.length; i++) {
        const o = neighbors[i]!;
        out[i] = { ordinal: o, distance: kernel(flat, o * dim, query, 0, dim) };
      }
    }
    // hnswlib hands its results back nearest first, so usually only ties need a look.
    return inRankOrder(out);
  }

  /**
   * The graph without its vectors (see hnsw-file.ts / hnsw-blob.ts). Load it back with
   * deserializeHnsw and the same vectors.
   */
  serialize(): Uint8Array {
    if (this.n === 0) return this.emptyBlob();
    return withTempFile((path) => this.saveTo(path).blob);
  }

  /**
   * Writes hnswlib's own file to `path` (which a process can load back with fromNativeFile)
   * and returns the blob serialize() would, with the members that file holds. The graph
   * worker uses it to hand a finished graph over and persist it from the same bytes.
   */
  saveTo(path: string): { blob: Uint8Array; members: GraphMembers } {
    if (this.n === 0) throw rvfError('InvalidArgument', 'an empty graph has no hnswlib file');
    this.native.writeIndexSync(path);
    const graph = compactHnswlibFile(readFileSync(path), this.dimension);
    if (graph.count !== this.n || graph.m !== this.m) {
      throw rvfError(
        'PlatformUnsupported',
        `hnswlib saved ${graph.count} elements at M ${graph.m}, expected ${this.n}`,
      );
    }
    const { count, maxLevel, entryPoint, mult } = graph;
    const header = { ...this.blobBase(), count, maxLevel, entryPoint, mult };
    const digest = vectorDigest(this.store.flat, this.dimension, graph.labels, digestContext(header));
    return {
      blob: encodeRvhn({ ...header, digest }, graph.body),
      members: {
        metric: this.metric,
        m: this.m,
        efConstruction: this.efConstruction,
        labels: graph.labels,
        deleted: graph.deleted,
      },
    };
  }

  private blobBase() {
    return {
      metric: this.metric,
      dimension: this.dimension,
      m: this.m,
      efConstruction: this.efConstruction,
      efSearch: this.efDefault,
      capacity: this.capacity,
    };
  }

  private emptyBlob(): Uint8Array {
    const empty = { ...this.blobBase(), count: 0, maxLevel: -1, entryPoint: 0, mult: 1 / Math.log(this.m) };
    return encodeRvhn({ ...empty, digest: [0, 0] }, new Uint32Array(0));
  }

  /**
   * An index over hnswlib's own file (written by saveTo, or by writeLoadFile from a blob),
   * read on libuv's thread pool: the event loop only sets up the ordinal states.
   */
  static async fromNativeFile(
    path: string,
    store: VectorStore,
    members: GraphMembers,
    opts: { efSearch?: number } = {},
  ): Promise<HnswIndex> {
    const mod = requireNative();
    const native = new mod.HierarchicalNSW(spaceFor(members.metric), store.dimension);
    await loadingErrorsAsync(async () => {
      await native.readIndex(path);
    });
    const params = {
      m: members.m,
      efConstruction: members.efConstruction,
      efSearch: opts.efSearch ?? HNSW_DEFAULTS.efSearch,
    };
    return HnswIndex.fromMembers(native, store, members, params);
  }

  /**
   * An index over a graph hnswlib has already loaded (the end of every load path), each
   * member live or deleted as `members` says.
   */
  static fromMembers(
    native: NativeHnsw,
    store: VectorStore,
    members: GraphMembers,
    params: { m: number; efConstruction: number; efSearch: number },
  ): HnswIndex {
    const { labels, deleted } = members;
    const states = new OrdinalFlags(store.count);
    let deletedCount = 0;
    for (let i = 0; i < labels.length; i++) {
      states.set(labels[i]!, deleted[i] ? DELETED : LIVE);
      deletedCount += deleted[i]!;
    }
    return new HnswIndex(native, store, members.metric, params, states, labels.length, deletedCount);
  }

  /** Loads a blob written by serialize() against the store holding the same vectors. */
  static deserialize(bytes: Uint8Array, store: VectorStore, opts: { efSearch?: number } = {}): HnswIndex {
    const load = prepareLoad(bytes, store, opts);
    if (load instanceof HnswIndex) return load;
    loadingErrors(() =>
      withTempFile((path) => {
        writeLoadChunks(load, path);
        load.native.readIndexSync(path);
      }),
    );
    return load.finish();
  }

  /**
   * deserialize() without holding the event loop: the hnswlib file is written a chunk at a
   * time with async writes, and hnswlib reads it on a worker thread. Other work (queries,
   * writes, a branch) runs in between, so a store opened in the background stays responsive.
   */
  static async deserializeAsync(
    bytes: Uint8Array,
    store: VectorStore,
    opts: AsyncLoadOptions = {},
  ): Promise<HnswIndex> {
    const pause = opts.yieldTo ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    await pause();
    const load = prepareLoad(bytes, store, opts);
    if (load instanceof HnswIndex) return load;
    await loadingErrorsAsync(() =>
      withTempFileAsync(async (path) => {
        const fh = await open(path, 'wx', 0o600);
        try {
          for (const chunk of load.chunks()) {
            await pause();
            for (let done = 0; done < chunk.byteLength; )
              done += (await fh.write(chunk, done, chunk.byteLength - done)).bytesWritten;
          }
        } finally {
          await fh.close();
        }
        load.verifyDigest();
        await load.native.readIndex(path);
      }),
    );
    return load.finish();
  }

  private insertStored(ordinal: number): void {
    const state = this.states.get(ordinal);
    if (state === ABSENT) this.ensureCapacity(this.n + 1);
    this.native.addPoint(this.nativeVector(this.store.flat, ordinal * this.dimension), ordinal);
    if (state === ABSENT) this.n++;
    else if (state === DELETED) this.deletedCount--;
    this.states.set(ordinal, LIVE);
  }

  private ensureCapacity(needed: number): void {
    let cap = this.native.getMaxElements();
    if (needed <= cap) return;
    while (cap < needed) cap *= 2;
    this.native.resizeIndex(cap);
  }

  /**
   * The vector as hnswlib-node takes it, in one reused array: the add-on copies it before
   * returning, and a fresh 128-element array per query was most of a query's garbage.
   */
  private nativeVector(v: Float32Array, off: number): number[] {
    // Filled with a non-integer so the array holds doubles from the start (no transition later).
    this.scratch ??= new Array<number>(this.dimension).fill(0.5);
    return this.metric === 'cosine'
      ? normalizedArray(v, off, this.dimension, this.scratch)
      : plainArray(v, off, this.dimension, this.scratch);
  }
}

/** The checked pieces of a saved graph, ready to become an hnswlib index. */
interface PreparedLoad {
  native: NativeHnsw;
  /** The hnswlib file, chunk by chunk (each chunk views a reused buffer). */
  chunks(): Generator<Uint8Array, void, undefined>;
  /** Refuses a graph built over other vectors; call after every chunk was produced. */
  verifyDigest(): void;
  /** Which ordinals the graph holds and which it marks deleted (for fromNativeFile). */
  members(): GraphMembers;
  finish(): HnswIndex;
}

/** Decodes and checks a blob; an empty graph is returned as a ready index. */
function prepareLoad(
  bytes: Uint8Array,
  store: VectorStore,
  opts: { efSearch?: number },
): PreparedLoad | HnswIndex {
  const { header, body } = decodeRvhn(bytes);
  const dim = store.dimension;
  if (header.dimension !== dim) {
    throw rvfError('DimensionMismatch', `HNSW blob has dimension ${header.dimension}, store has ${dim}`);
  }
  const efSearch = opts.efSearch ?? header.efSearch;
  if (header.count === 0) {
    if (body.length !== 0) {
      throw rvfError('InvalidManifest', 'HNSW blob: an empty graph with a non-empty body', { offset: 56 });
    }
    const { m, efConstruction } = header;
    return HnswIndex.create(dim, header.metric, { store, m, efConstruction, efSearch, maxElements: 16 });
  }
  const mod = requireNative();
  // Never let a stored capacity make hnswlib allocate more than a doubling ahead.
  const capacity = Math.min(Math.max(header.capacity, header.count), Math.max(16, 2 * header.count));
  const shape: GraphShape = { ...header, capacity };
  const checked = checkGraph(shape, body, store.count, RVHN_HEADER_BYTES);
  const digest = new VectorDigest(dim, digestContext(header));
  const native = new mod.HierarchicalNSW(spaceFor(header.metric), dim);
  const members = (): GraphMembers => {
    const { labels, starts } = checked;
    const deleted = new Uint8Array(labels.length);
    for (let i = 0; i < deleted.length; i++) deleted[i] = (body[starts[i]! + 1]! >>> 8) & 1;
    return { metric: header.metric, m: header.m, efConstruction: header.efConstruction, labels, deleted };
  };
  return {
    native,
    chunks: () =>
      hnswlibFileChunks(shape, body, checked, dim, store.flat, header.metric === 'cosine', digest),
    verifyDigest() {
      // Checked before hnswlib sees the file: a stale graph is refused, never loaded.
      checkDigest(header.digest, digest);
    },
    members,
    finish() {
      const params = { m: header.m, efConstruction: header.efConstruction, efSearch };
      return HnswIndex.fromMembers(native, store, members(), params);
    },
  };
}

/** Which ordinals a saved graph holds (in hnswlib's internal order) and which it marks deleted. */
export interface GraphMembers {
  metric: Metric;
  m: number;
  efConstruction: number;
  labels: Uint32Array;
  deleted: Uint8Array;
}

/**
 * Checks a blob against `store` and writes the hnswlib file it stands for to `path`, ready for
 * fromNativeFile. Synchronous: the graph worker runs it, off the event loop. Returns undefined
 * for an empty graph (there is no file to load; create a fresh index instead).
 */
export function writeLoadFile(bytes: Uint8Array, store: VectorStore, path: string): GraphMembers | undefined {
  const load = prepareLoad(bytes, store, {});
  if (load instanceof HnswIndex) return undefined;
  writeLoadChunks(load, path);
  return load.members();
}

/** Writes a prepared load's hnswlib file to `path`, then refuses it if the digest differs. */
function writeLoadChunks(load: PreparedLoad, path: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    for (const chunk of load.chunks()) {
      for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done);
    }
  } finally {
    closeSync(fd);
  }
  load.verifyDigest();
}

/** Our own checks and file-system failures are already RvfErrors; anything else is hnswlib. */
function asLoadingError(err: unknown): unknown {
  return err instanceof RvfError
    ? err
    : rvfError('InvalidManifest', 'hnswlib refused the rebuilt index', {}, err);
}

function loadingErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw asLoadingError(err);
  }
}

async function loadingErrorsAsync(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw asLoadingError(err);
  }
}

/** A new, empty HNSW index (see HnswIndex.create); needs the native add-on. */
export function createHnsw(dimension: number, metric: Metric, opts: HnswOptions = {}): HnswIndex {
  return HnswIndex.create(dimension, metric, opts);
}

/**
 * Rebuilds an index from serialize() output and the vectors it was built over. Throws RvfError:
 * ContentHashMismatch when the vectors changed (stale index) or a header field that shapes the
 * graph was damaged, TruncatedSegment / InvalidMagic / InvalidVersion / InvalidManifest /
 * MetricUnsupported / DimensionMismatch for damaged or mismatched bytes, PlatformUnsupported
 * without the add-on, IoFailed / DiskFull when the scratch file cannot be written.
 */
export function deserializeHnsw(
  bytes: Uint8Array,
  vectors: VectorStore,
  opts: { efSearch?: number } = {},
): HnswIndex {
  return HnswIndex.deserialize(bytes, vectors, opts);
}

/** Options of loading a saved graph in steps, without blocking the event loop. */
export interface AsyncLoadOptions {
  efSearch?: number;
  /**
   * Awaited between steps of the load (default: one turn of the event loop). A host can
   * hold the load back here while its own foreground work runs.
   */
  yieldTo?: () => Promise<void>;
}

/** deserializeHnsw without holding the event loop (see HnswIndex.deserializeAsync). */
export function deserializeHnswAsync(
  bytes: Uint8Array,
  vectors: VectorStore,
  opts: AsyncLoadOptions = {},
): Promise<HnswIndex> {
  return HnswIndex.deserializeAsync(bytes, vectors, opts);
}
