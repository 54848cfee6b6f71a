import {
  createHnsw,
  deserializeHnswAsync,
  GraphThread,
  GraphWalker,
  graphThreadAvailable,
  type HnswIndex,
  nativeHnswAvailable,
  simdWalksAvailable,
  type VectorStore,
} from '@rvfjs/index';
import type { Metric } from '@rvfjs/types';
import { acquireBuildSlot } from './build-slots.js';
import type { SavedGraphRead } from './lineage.js';
import { PendingOrdinals } from './pending-ordinals.js';
import type { VectorTable } from './vector-table.js';

export interface IndexParams {
  m: number;
  efConstruction: number;
  efSearch: number;
  /** Below this many vectors the exact engine answers everything and no graph is kept. */
  threshold: number;
}

/** Progress of a graph build: `done` of `total` vectors inserted (`onIndexProgress`). */
export type IndexProgress = (done: number, total: number) => void;

/** Where a branch child can get a graph for its inherited vectors: its parent's saved one. */
export interface ParentGraphSeed {
  /** Reads the parent's saved graph (at the pinned state), if it has one, while `wanted` says so. */
  load: SavedGraphRead;
  /** The parent's vectors as the child inherited them (the graph is verified against these). */
  store: VectorStore;
}

/** What the maintainer needs from the store that owns it. */
export interface GraphHost {
  metric: Metric;
  params: IndexParams;
  onProgress?: IndexProgress | undefined;
  /** Awaited before each slice of event-loop index work (the store waits out its writes). */
  yieldTo: () => Promise<void>;
  /** A writer persists a graph the worker finished (undefined for read-only stores). */
  persist?: ((blob: Uint8Array) => Promise<void>) | undefined;
}

/**
 * New or rewritten vectors at most this many (beyond the saved graph) are not worth rewriting
 * the saved graph for: the next open inserts them itself (well under a second of background
 * work) and scans them exactly until then. Past it, closing saves the whole graph again.
 */
export const UNSAVED_TAIL_LIMIT = 1024;

/** Inserts on the event loop go at most this long per turn… */
const SLICE_MS = 4;
/** …and vectors go to the worker in batches of this many (its progress comes per batch). */
const SEND_BATCH = 2048;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Keeps a store's HNSW graph: loads the saved one at open (checked and rebuilt into hnswlib's
 * file on a worker thread, read on the thread pool), builds a missing one on the worker while
 * the event loop keeps serving, inserts small writes itself in slices of a few milliseconds,
 * and decides what closing must save. Between those, `graph` answers for every ordinal except
 * the `pending` ones, which queries scan exactly: no state of the graph ever falls back to
 * scanning the whole store.
 */
export class GraphMaintainer {
  /** The graph queries use (undefined: none yet, everything is exact). */
  graph: HnswIndex | undefined;
  /**
   * The saved graph walked in TypeScript: it answers from just after the open until `graph`
   * (hnswlib) has loaded, and for good where hnswlib is unavailable. Its members' vectors are
   * read from the table as they are now; what it lacks is in `pending`, as for `graph`.
   */
  walker: GraphWalker | undefined;
  /** Ordinals whose current vector the graph does not answer for (new, rewritten, not loaded yet). */
  readonly pending = new PendingOrdinals();
  /** Why the saved graph was not used at open, if it was not. */
  rebuildReason: string | undefined;
  /** True when the graph came from the parent's saved one (a branch with few own edits need not save it). */
  seededFromParent = false;
  /** True when a branch was offered its parent's saved graph at all (used or not). */
  parentGraphOffered = false;

  /** The graph the file holds matches `graph` up to appended ordinals ('stale': a saved vector changed). */
  private saved: 'none' | 'current' | 'stale' = 'none';
  /** Members of the saved graph (what an open would load). */
  private savedCount = 0;
  private thread: GraphThread | undefined;
  /**
   * How far sendLive has sent the table to the building worker: ordinals below have been
   * sent (a write to one must be sent again), ordinals from here on will be, as they are when
   * reached (a write to one needs no send of its own; sending it twice made hnswlib insert it
   * twice, the second time as an update that re-links it: a tenth of a 100k build).
   */
  private sentBelow = 0;
  /** The worker preparing a saved graph, while it does. */
  private loadThread: GraphThread | undefined;
  /** Ordinals written while the worker was saving its graph (they may be missing from it). */
  private writtenDuringSave: number[] | undefined;
  private loading: Promise<void> | undefined;
  /** Set while the saved graph is being prepared (and, without hnswlib, checked) for walking. */
  private walking: Promise<void> | undefined;
  /** The walker's preparation while it runs (stepped by walkSaved and by hurryWalker). */
  private walkerSteps: Generator<void, GraphWalker> | undefined;
  /** What stopped the preparation, for walkSaved to record. */
  private walkerFailure: unknown;
  /** No hnswlib here: the walker, once prepared, stays the index. */
  private walkerForGood = false;
  /**
   * True while no pending ordinal can come out of the walker (the pending ones are members it
   * lacks, or holds as deleted): its walks then need no filter against them.
   */
  pendingOutsideWalker = true;
  /** True while the walker's layout marks every member not live now (nothing hidden since). */
  walkerKnowsLiveness = false;
  /**
   * A writer's hnswlib load of the saved graph, not started while the walker serves (see
   * attach and needGraph); `release` lets its snapshot of the vectors go unused.
   */
  private deferredLoad: { start: () => void; release: () => void } | undefined;

  private building: Promise<void> | undefined;
  /** Settles once a worker build has its thread (or gave up): builds may wait for a slot. */
  private buildStarted: Promise<void> | undefined;
  /** Settles once every live vector has gone to the worker (the build is not drained before). */
  private sending: Promise<void> | undefined;
  /** Reads the member count from the saved graph's header (16 bytes), for a close during the load. */
  private peekSavedCount: (() => Promise<number | undefined>) | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  /** Set once close has taken over: a build in flight is finished and saved by close itself. */
  private closing = false;
  /** Set by beginClose (see there). */
  private closeStarted = false;

  constructor(
    private readonly table: VectorTable,
    private readonly host: GraphHost,
  ) {}

  /**
   * True while index work is under way (a load, a worker build, inserts on the event loop):
   * queries then give the event loop a turn each, so the work lands even when they come
   * back to back.
   */
  get inFlight(): boolean {
    return (
      this.loading !== undefined ||
      this.walking !== undefined ||
      this.building !== undefined ||
      (this.graph !== undefined && this.pending.size > 0)
    );
  }

  /** True when the file's saved graph can seed others (a branch child) as it is. */
  get savedGraphCurrent(): boolean {
    return this.saved === 'current';
  }

  state(): 'none' | 'building' | 'complete' {
    if (this.inFlight) return nativeHnswAvailable() || this.walking ? 'building' : 'none';
    // Without hnswlib, the saved graph walked in TypeScript is the whole index.
    if (!this.graph) return this.walker ? 'complete' : 'none';
    return this.pending.size > 0 ? 'building' : 'complete';
  }

  /**
   * Takes up a saved graph (this store's own, or for a branch its parent's) right away, off
   * the event loop; without one, builds one on the worker. Opening never waits for either:
   * queries are answered exactly until the graph is in place.
   */
  attach(
    saved: (() => Promise<Uint8Array>) | undefined,
    seed?: ParentGraphSeed,
    peekSavedCount?: () => Promise<number | undefined>,
  ): void {
    this.peekSavedCount = peekSavedCount;
    this.parentGraphOffered = seed !== undefined;
    if (this.table.count < this.host.params.threshold) return;
    // A reader whose saved graph can be walked in WebAssembly never needs hnswlib: it does not
    // load the add-on (a dlopen of about 6 ms, on the path to its first answer).
    if (saved && !this.host.persist && simdWalksAvailable(this.table.vectors)) {
      this.walking = this.walkSaved(saved(), true);
      this.recordSaved(0, this.table.count);
      return;
    }
    // A branch child walks its parent's saved graph the same way, its own vectors scanned
    // beside it: a reader for good, a writer until its writes call for hnswlib (needGraph),
    // rather than loading the graph into hnswlib on a worker right away.
    if (!saved && seed && simdWalksAvailable(this.table.vectors)) {
      const read = seed
        .load(() => !this.closed && !this.closeStarted)
        .then((blob) => {
          if (!blob) throw new Error('parent has no saved index');
          return blob;
        });
      // The graph is the parent's: a child owning few of its vectors saves no copy of it
      // (graphIsParents), and what the walk lacks is pending, not an unsaved tail.
      this.seededFromParent = true;
      this.savedLimit = this.table.count;
      this.walking = this.walkSaved(read, true, seed.store);
      if (this.host.persist && nativeHnswAvailable()) {
        this.deferredLoad = {
          start: () => this.startLoad(this.seedLoad(seed), "parent's saved index not used", false),
          release: () => undefined,
        };
      }
      return;
    }
    const native = nativeHnswAvailable();
    if (!native && !saved) {
      this.rebuildReason = 'native HNSW unavailable; using the exact engine';
      return;
    }
    if (saved) {
      const blob = saved();
      // Where the vectors sit in WebAssembly memory, the saved graph is walked there: about as
      // fast per query as hnswlib, ready within tens of milliseconds instead of after
      // rebuilding hnswlib's file and reading it back, and without hnswlib's second copy of
      // every vector. A reader never needs more. A writer needs hnswlib only to insert into
      // the graph, so it loads it when its writes call for that (see needGraph): a short tail
      // of new vectors is scanned beside the walk and costs no graph work at all.
      const walkOnly = native && simdWalksAvailable(this.table.vectors);
      this.walking = this.walkSaved(blob, !native || walkOnly);
      // The file's graph stands for the table as loaded (until a load shows otherwise).
      this.recordSaved(0, this.table.count);
      if (!native || (walkOnly && !this.host.persist)) return;
      // The graph is checked against the vectors as they are now: writes made until it has
      // loaded go to the live store (copy-on-write) and are re-inserted after.
      const snapshot = this.table.store.fork();
      const reread = saved;
      // `read` undefined: read the graph again when the load starts (see deferredLoad below).
      const load = (read: Promise<Uint8Array> | undefined) => () =>
        this.startLoad(
          async () => {
            try {
              return (await this.loadBlob(await (read ?? reread()), snapshot))?.rebind(this.table.store);
            } finally {
              snapshot.release();
            }
          },
          'saved index not used',
          true,
        );
      // A deferred load reads the graph again when it starts: keeping the walker's read for it
      // would hold a second copy of the graph (about 80 MB at 1M × 128) while the walker serves.
      // (No closure here may refer to `blob`, or every closure of this block would keep it.)
      if (walkOnly) this.deferredLoad = { start: load(undefined), release: () => snapshot.release() };
      else load(blob)();
    } else if (seed) {
      this.startLoad(this.seedLoad(seed), "parent's saved index not used", false);
    } else {
      this.rebuildReason = 'no saved index';
      this.startBuild();
    }
  }

  /** Loads a branch parent's saved graph into hnswlib over the child's vectors. */
  private seedLoad(seed: ParentGraphSeed): () => Promise<HnswIndex | undefined> {
    return async () => {
      const blob = await seed.load(() => !this.closed);
      if (!blob) {
        this.rebuildReason = 'parent has no saved index';
        return undefined;
      }
      const g = (await this.loadBlob(blob, seed.store))?.rebind(this.table.store);
      if (g) this.seededFromParent = true;
      return g;
    };
  }

  /**
   * Members rewritten (`pending`) or deleted (`liveness`) that the walker must not return: an
   * installed walker skips them from now on (the scan of pending ones answers for rewritten
   * ones). One still being prepared may already hold them as they were, so until it is
   * installed and has hidden them (see installWalker) walks must filter them out. Without a
   * walker on the way there is nothing to tell.
   */
  private hideInWalker(ordinals: readonly number[], what: 'pending' | 'liveness'): void {
    const w = this.walker;
    if (w) {
      for (const o of ordinals) w.hide(o);
      return;
    }
    if (what === 'pending') this.pendingOutsideWalker = false;
    else this.walkerKnowsLiveness = false;
    if (this.walking) for (const o of ordinals) this.toHide.push(o);
  }

  /** See hideInWalker. */
  private toHide: number[] = [];

  /** Installs a prepared walker, hiding what was written while it was prepared. */
  private installWalker(w: GraphWalker): void {
    for (const o of this.toHide) w.hide(o);
    this.toHide = [];
    this.walker = w;
    this.pendingOutsideWalker = true;
    this.walkerKnowsLiveness = true;
    if (this.walkerLeftBehind()) this.needGraph(true);
  }

  /**
   * True when a writer's writes have moved its vectors out of the memory the walker's graph
   * is laid out in (a copy-on-write copy, a grown array): its walks would run in JavaScript
   * from then on, so the deferred hnswlib load had better start.
   */
  private walkerLeftBehind(): boolean {
    const w = this.walker;
    if (this.host.persist === undefined || !w?.walksInWasm) return false;
    return !w.walksInWasmOver(this.table.vectors);
  }

  /** Ordinals ingested (new or rewritten), after their commit. */
  added(ordinals: readonly number[]): void {
    if (this.closed) return;
    // A rewritten vector the saved graph was built over makes that graph stale (its digest
    // covers every member's vector): closing must save a new one.
    if (this.saved === 'current') {
      for (const o of ordinals) if (o < this.savedLimit) this.saved = 'stale';
    }
    if (this.loading || this.walking || (!this.graph && this.walker)) {
      for (const o of ordinals) this.pending.add(o);
      // A rewritten member would come out of the walker with its old place in the graph.
      this.hideInWalker(ordinals, 'pending');
      this.needGraph(this.walkerLeftBehind());
      return;
    }
    if (this.thread && this.building) {
      const sent = this.sentBelow;
      this.sendToThread(sent === Number.POSITIVE_INFINITY ? ordinals : ordinals.filter((o) => o < sent));
      if (this.writtenDuringSave) this.writtenDuringSave.push(...ordinals);
      return;
    }
    const g = this.graph;
    if (!g) {
      // Crossing the threshold: build the first graph on the worker.
      if (this.table.liveCount >= this.host.params.threshold && nativeHnswAvailable()) this.startBuild();
      return;
    }
    for (const o of ordinals) {
      // Its old vector must not answer any more; the new one is inserted below.
      if (g.has(o) && !g.isDeleted(o)) g.markDeleted(o);
      this.pending.add(o);
    }
    // A few go in right away, so a query right after a small ingest already uses them.
    this.drainSlice(performance.now() + SLICE_MS);
    this.scheduleDrain();
  }

  /**
   * Starts a writer's deferred hnswlib load once its writes call for a graph it can insert
   * into: a rewrite of a member the saved graph holds (closing must then save a new graph),
   * a tail longer than closing would leave unsaved, or `now` (closing needs the graph).
   */
  private needGraph(now = false): void {
    const d = this.deferredLoad;
    if (!d) return;
    const tail = this.table.count - this.savedLimit + this.pending.size;
    if (!now && this.saved !== 'stale' && tail <= UNSAVED_TAIL_LIMIT) return;
    this.deferredLoad = undefined;
    d.start();
  }

  /** The first ordinal the saved graph cannot hold (ordinals are dense, appended at the end). */
  private savedLimit = 0;

  /** Ordinals that became invisible. */
  hidden(ordinals: readonly number[]): void {
    if (ordinals.length > 0) this.hideInWalker(ordinals, 'liveness');
    const g = this.graph;
    if (!g || this.loading) return;
    for (const o of ordinals) g.markDeleted(o);
  }

  /** Settles once a load under way (this file's saved graph, or a branch's seed) is done. */
  async whenLoaded(): Promise<void> {
    await this.loading;
  }

  /** Waits until the graph holds every live vector (waitForIndex). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.walking) await this.walking;
      else if (this.loading) await this.loading;
      else if (this.building) await this.building;
      else if (this.graph && this.pending.size > 0) await this.drainAll(nextTurn);
      else return;
    }
  }

  /**
   * What closing should persist: a complete graph's blob, or undefined when the file's saved
   * graph needs no rewrite (none is due, or only a short tail is missing from it). With
   * `defer`, no graph work is done at all: a later writer builds it.
   */
  async blobForClose(defer: boolean): Promise<Uint8Array | undefined> {
    if (defer) return undefined;
    this.closing = true;
    if (
      (this.loading || this.walking || this.deferredLoad) &&
      this.saved === 'current' &&
      this.peekSavedCount
    ) {
      // Closing right after an open need not wait for the load: the saved graph's header
      // says how many vectors it holds, which is enough to see that the tail is short.
      const count = await this.peekSavedCount().catch(() => undefined);
      if (count !== undefined && this.saved === 'current' && this.table.count - count <= UNSAVED_TAIL_LIMIT)
        return undefined;
    }
    // Closing needs the graph after all (a long tail, or a rewrite): load it, then save.
    this.needGraph(true);
    if (this.loading) await this.loading;
    if (!this.graph && !this.building && this.table.liveCount >= this.host.params.threshold) {
      if (!nativeHnswAvailable()) return undefined;
      this.startBuild();
    }
    // A build still waiting for its turn (another store's is running) has to start first.
    if (this.building && !this.thread) await this.buildStarted;
    if (this.building && this.thread) {
      // Finish the worker's build and save it from there: no event-loop work but bookkeeping.
      const thread = this.thread;
      await this.sending;
      await thread.whenDrained();
      if (!thread.failure) {
        try {
          return (await thread.save(this.table.store, { load: false })).blob;
        } catch {
          // Fall through: the event-loop graph below, if any.
        }
      }
    }
    if (this.building) await this.building;
    const g = this.graph;
    if (!g) return undefined;
    const unsaved = g.count - this.savedCount + this.pending.size;
    if (this.saved === 'current' && unsaved <= UNSAVED_TAIL_LIMIT) return undefined;
    await this.drainAll(nextTurn);
    return g.serialize();
  }

  /**
   * The graph's blob, when closing would save it and it is complete now (nothing building,
   * loading or waiting to be inserted), for a caller that commits it along with other segments;
   * `committed()` records that the file holds it. A branch uses this, so that the parent's
   * save lands before the child's parent hash is taken rather than after it (see
   * RvfStore.branch). Undefined when no save is due, or the graph is not finished.
   */
  dueSave(): { blob: Uint8Array; committed: () => void } | undefined {
    const g = this.graph;
    if (!g || this.closed || this.loading || this.walking || this.building || this.pending.size > 0)
      return undefined;
    if (this.saved === 'current' && g.count - this.savedCount <= UNSAVED_TAIL_LIMIT) return undefined;
    const count = g.count;
    const limit = this.table.count;
    return { blob: g.serialize(), committed: () => this.recordSaved(count, limit) };
  }

  /** Records that the file now holds a graph of `count` members over ordinals below `limit`. */
  private recordSaved(count: number, limit: number): void {
    this.saved = 'current';
    this.savedCount = count;
    this.savedLimit = limit;
  }

  close(): void {
    this.closed = true;
    this.deferredLoad?.release();
    this.deferredLoad = undefined;
    void this.thread?.terminate();
    void this.loadThread?.terminate();
    this.thread = undefined;
    this.loadThread = undefined;
  }

  // ---------------------------------------------------------------- loading

  /**
   * Prepares the saved graph for walking in TypeScript, a slice per turn of the event loop, and
   * queues what it lacks (the unsaved tail, members it holds as deleted but the table has live)
   * as pending.
   *
   * Whether the graph is stale (built over other vectors) is the vector digest's question.
   * With hnswlib, the worker answers it while it prepares hnswlib's file, and the walker answers
   * queries meanwhile: a stale graph would cost those queries recall, never a wrong distance or
   * a vector that does not exist, and a failed check drops the walker. Without hnswlib
   * (`verify`), the walker is the index for good, so the digest is checked here first, in
   * slices, and queries stay exact until it passes.
   */
  private async walkSaved(
    read: Promise<Uint8Array>,
    verify: boolean,
    /** A branch parent's vectors as the child inherited them, when the graph is the parent's. */
    parentStore?: VectorStore,
  ): Promise<void> {
    const t = this.table;
    // The digest is taken over the vectors as they were at open (a parent's graph: over the
    // parent's vectors as the child inherited them); later writes are pending.
    const snapshot = verify ? (parentStore ?? t.store).fork() : undefined;
    try {
      const blob = await read;
      if (this.closed || this.graph) return;
      this.walkerForGood = verify;
      this.walkerSteps = this.walkerPreparation(blob, snapshot);
      while (!this.stepWalker(0)) {
        await nextTurn();
        // A closing store will not query again: its close should not wait out these slices.
        if (this.closed || this.closeStarted || this.graph) return;
      }
      if (this.walkerFailure !== undefined) throw this.walkerFailure;
    } catch (e) {
      this.walker = undefined;
      // A closing store drops the walk (its read may have stopped short): nothing to report,
      // and a child's graph stays its parent's, so its close saves no copy.
      if (this.closed || this.closeStarted) return;
      // With hnswlib loading it, the load on the worker reports the same failure itself;
      // a walker meant for good reports it here, and where hnswlib exists a graph is built.
      if (parentStore) this.seededFromParent = false;
      if (verify) {
        this.rebuildReason = `saved index not used: ${(e as Error).message}`;
        this.saved = 'none';
        // A writer's deferred load would meet the same graph: drop it and build afresh.
        this.deferredLoad?.release();
        this.deferredLoad = undefined;
        if (!this.closed && nativeHnswAvailable()) this.startBuild();
      }
    } finally {
      this.walkerSteps = undefined;
      this.walkerFailure = undefined;
      this.toHide = [];
      snapshot?.release();
      this.walking = undefined;
    }
  }

  /**
   * The saved graph's preparation for walking, one slice per step: parsing it (and laying it
   * out for WebAssembly walks), queueing what it lacks as pending, and without hnswlib
   * (`snapshot` given) checking its digest.
   */
  private *walkerPreparation(
    blob: Uint8Array,
    snapshot: VectorStore | undefined,
  ): Generator<void, GraphWalker> {
    const t = this.table;
    // Given the vectors, the graph is laid out beside them for walks run in WebAssembly, with
    // the members deleted since it was saved marked there like its own deleted ones. (In a
    // branch child walking its parent's graph, the members the child has rewritten are among
    // them: their ids moved to own ordinals, outside the graph, which the scan of pending
    // ones answers for; see VectorTable's superseded ordinals.)
    const hidden = t.allLive ? undefined : (o: number) => !t.isLive(o);
    // Set first: a delete while the layout is made (between its slices) clears it.
    this.walkerKnowsLiveness = true;
    const walker = yield* GraphWalker.prepare(blob, t.count, undefined, t.vectors, hidden);
    // Slices of plain-function work: V8 optimises a running loop in a function, not in a
    // generator (see checkGraph in @rvfjs/index). A graph of every ordinal, none deleted
    // (a store as its writer closed it), leaves none to ask about.
    const all = walker.holdsAll(t.count);
    for (let from = 0; from < t.count && !all; from += 65_536) {
      if (from > 0) yield;
      this.queueUnwalked(walker, from, Math.min(t.count, from + 65_536));
    }
    if (snapshot) yield* walker.verify(snapshot.flat);
    return walker;
  }

  /** Queues as pending the live ordinals `from`..`to` that `walker` cannot return (or skips). */
  private queueUnwalked(walker: GraphWalker, from: number, to: number): void {
    const t = this.table;
    for (let ord = from; ord < to; ord++) {
      if (t.isLive(ord) && (!walker.has(ord) || walker.isDeleted(ord))) this.pending.add(ord);
    }
  }

  /**
   * Runs the walker's preparation until `deadline` (performance.now(); 0: one step), and
   * installs the walker when it is done. True when nothing is left to prepare. A failure
   * propagates (walkSaved records it).
   */
  private stepWalker(deadline: number): boolean {
    const steps = this.walkerSteps;
    if (!steps) return true;
    try {
      for (;;) {
        const r = steps.next();
        if (r.done) {
          this.walkerSteps = undefined;
          // Without hnswlib the walker is the index for good; with it, only until hnswlib has it.
          if (!this.closed && !this.graph && (this.walkerForGood || this.loading))
            this.installWalker(r.value);
          return true;
        }
        if (performance.now() >= deadline) return false;
      }
    } catch (e) {
      this.walkerSteps = undefined;
      this.walkerFailure = e;
      return true;
    }
  }

  /**
   * Called by a query that would otherwise scan every vector while the saved graph is being
   * prepared for walking: the query spends up to `budgetMs` (a small multiple of what the
   * scan would cost) on the preparation, and is walked if that finishes it. Under
   * back-to-back queries the walker is then ready after one or two of them rather than
   * after as many scans as the preparation has slices.
   */
  hurryWalker(budgetMs: number): void {
    if (this.walkerSteps && !this.graph) this.stepWalker(performance.now() + budgetMs);
  }

  /**
   * Called as a store's close begins: a walker still being prepared is abandoned at its next
   * slice, since no query will use it and close would otherwise wait out slices of it.
   */
  beginClose(): void {
    this.closeStarted = true;
  }

  /** True while the saved graph is being prepared for walking (see hurryWalker). */
  get preparingWalker(): boolean {
    return this.walkerSteps !== undefined;
  }

  private async loadBlob(blob: Uint8Array, store: VectorStore): Promise<HnswIndex | undefined> {
    const efSearch = this.host.params.efSearch;
    const thread = GraphThread.start();
    this.loadThread = thread;
    if (!thread) {
      // No worker here: the event-loop loader, in slices between other work.
      return deserializeHnswAsync(blob, store, { efSearch, yieldTo: this.host.yieldTo });
    }
    try {
      return await thread.load(blob, store, efSearch);
    } finally {
      this.loadThread = undefined;
      void thread.terminate();
    }
  }

  /** `own`: the graph being loaded is this file's saved one (not a branch parent's). */
  private startLoad(load: () => Promise<HnswIndex | undefined>, failure: string, own: boolean): void {
    const run = async () => {
      let g: HnswIndex | undefined;
      try {
        g = await load();
      } catch (e) {
        this.rebuildReason = `${failure}: ${(e as Error).message}`;
      }
      this.loading = undefined;
      if (this.closed) return;
      if (!g) {
        // Whatever made the load fail (a stale or damaged graph) rules out walking it too.
        this.walker = undefined;
        if (own) this.saved = 'none';
        this.startBuild();
        return;
      }
      this.graph = g;
      this.walker = undefined;
      // What the file holds: the loaded members; anything else is the tail.
      if (own) this.savedCount = g.count;
      // Writes made while loading: their vectors may differ from what the graph was built over.
      const during = this.pending.takeAll();
      for (const o of during) {
        if (g.has(o) && !g.isDeleted(o)) g.markDeleted(o);
        if (this.table.isLive(o)) this.pending.add(o);
      }
      this.catchUp(g);
      this.scheduleDrain();
    };
    this.loading = run();
  }

  /**
   * Queues what the graph lacks: ordinals it does not hold, and liveness it does not know.
   * (A branch's rewrites of inherited ids are at own ordinals the parent's graph does not
   * hold, and the inherited ordinals they superseded are not live.)
   */
  private catchUp(g: HnswIndex): void {
    const t = this.table;
    for (let ord = 0; ord < t.count; ord++) {
      const live = t.isLive(ord);
      if (!g.has(ord)) {
        if (live) this.pending.add(ord);
      } else if (!live) {
        g.markDeleted(ord);
      } else if (g.isDeleted(ord)) {
        this.pending.add(ord);
      }
    }
  }

  // ---------------------------------------------------------------- building

  /**
   * Builds a graph over every live vector on a worker thread; when it has caught up, the graph
   * comes back to the event loop (and a writer persists it). Without a worker, the event loop
   * builds it in slices.
   */
  private startBuild(): void {
    if (this.building || this.closed) return;
    if (!graphThreadAvailable()) {
      this.buildOnEventLoop();
      return;
    }
    let started = () => {};
    this.buildStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const build = async () => {
      // Builds take turns for the cores (see build-slots.ts); queries stay exact meanwhile.
      const release = await acquireBuildSlot();
      try {
        if (this.closed) return;
        const thread = GraphThread.start();
        if (!thread) {
          this.buildOnEventLoop();
          return;
        }
        this.thread = thread;
        const { params, metric } = this.host;
        thread.build({
          dimension: this.table.dimension,
          metric,
          m: params.m,
          efConstruction: params.efConstruction,
          efSearch: params.efSearch,
          capacity: this.table.count,
        });
        if (this.host.onProgress) {
          const report = this.host.onProgress;
          thread.onProgress = (inserted, sent) => report(inserted, sent);
        }
        const sending = this.sendLive(thread);
        this.sending = sending;
        started();
        await sending;
        await this.handOff(thread);
      } finally {
        started();
        release();
      }
    };
    this.building = build()
      .catch((e: unknown) => {
        // A build that cannot run leaves the store exact (a failure never escapes as an
        // unhandled rejection: it would end the process).
        this.rebuildReason = `graph build failed: ${(e as Error).message}`;
      })
      .finally(() => {
        this.building = undefined;
      });
  }

  private buildOnEventLoop(): void {
    this.graph = this.newGraph();
    this.catchUp(this.graph);
    this.scheduleDrain();
  }

  /**
   * Sends every live vector to the worker, a batch per turn of the event loop: copying 50 MB
   * in one go would hold the loop for tens of milliseconds. Each batch reads the vectors as
   * they are then, so a write in between is never sent stale.
   */
  private async sendLive(thread: GraphThread): Promise<void> {
    const t = this.table;
    const batch: number[] = [];
    this.sentBelow = 0;
    // The bound is read again each step: what is written meanwhile is sent when reached.
    for (let ord = 0; ord < t.count && !this.closed && this.thread === thread; ord++) {
      if (t.isLive(ord)) batch.push(ord);
      if (batch.length === SEND_BATCH) {
        this.sendToThread(batch);
        batch.length = 0;
        this.sentBelow = ord + 1;
        await nextTurn();
      }
    }
    if (batch.length > 0 && this.thread === thread) this.sendToThread(batch);
    // From here on every write is sent by added() itself.
    this.sentBelow = Number.POSITIVE_INFINITY;
  }

  /** Copies these ordinals' current vectors to the worker, a batch per message. */
  private sendToThread(ordinals: readonly number[]): void {
    const thread = this.thread!;
    const dim = this.table.dimension;
    const flat = this.table.vectors;
    for (let first = 0; first < ordinals.length; first += SEND_BATCH) {
      const n = Math.min(SEND_BATCH, ordinals.length - first);
      const ords = new Uint32Array(n);
      const vectors = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const o = ordinals[first + i]!;
        ords[i] = o;
        vectors.set(flat.subarray(o * dim, (o + 1) * dim), i * dim);
      }
      thread.add(ords, vectors);
    }
  }

  /** Waits for the worker to catch up, then brings its graph over to the event loop. */
  private async handOff(thread: GraphThread): Promise<void> {
    for (;;) {
      await thread.whenDrained();
      if (this.closing) return;
      if (thread.failure || this.closed) break;
      this.writtenDuringSave = [];
      let result: { blob: Uint8Array; index: HnswIndex | undefined };
      try {
        result = await thread.save(this.table.store, { load: true, efSearch: this.host.params.efSearch });
      } catch (e) {
        this.rebuildReason = `graph worker failed: ${(e as Error).message}`;
        break;
      }
      const written = this.writtenDuringSave;
      this.writtenDuringSave = undefined;
      if (this.closing) return;
      if (this.closed) break;
      const g = result.index!;
      this.graph = g;
      this.thread = undefined;
      void thread.terminate();
      // Vectors written after the save was asked for may be missing from the graph, or stale.
      for (const o of written) {
        if (g.has(o) && !g.isDeleted(o)) g.markDeleted(o);
        this.pending.add(o);
      }
      this.catchUp(g);
      if (this.host.persist && written.length === 0) {
        const count = g.count;
        const limit = this.table.count;
        await this.host
          .persist(result.blob)
          .then(() => this.recordSaved(count, limit))
          .catch(() => undefined);
      }
      this.scheduleDrain();
      return;
    }
    // The worker failed: build on the event loop instead (exact answers meanwhile).
    if (this.thread === thread) this.thread = undefined;
    void thread.terminate();
    if (this.closed || this.closing) return;
    this.rebuildReason ??= `graph worker failed: ${thread.failure?.message ?? 'unknown'}`;
    this.graph = this.newGraph();
    this.catchUp(this.graph);
    this.scheduleDrain();
  }

  private newGraph(): HnswIndex {
    const { params, metric } = this.host;
    return createHnsw(this.table.dimension, metric, {
      store: this.table.store,
      m: params.m,
      efConstruction: params.efConstruction,
      efSearch: params.efSearch,
      maxElements: Math.max(1024, this.table.count),
    });
  }

  // ---------------------------------------------------------------- event-loop inserts

  /** Inserts pending ordinals until `deadline`. */
  private drainSlice(deadline: number): void {
    const g = this.graph;
    if (!g) return;
    const t = this.table;
    let n = 0;
    while (this.pending.size > 0) {
      const o = this.pending.shift();
      if (t.isLive(o)) g.add(o, t.vectorOf(o));
      else if (g.has(o)) g.markDeleted(o);
      if ((++n & 7) === 0 && performance.now() > deadline) break;
    }
  }

  private scheduleDrain(): void {
    if (this.draining || this.pending.size === 0 || !this.graph) return;
    this.draining = this.drainAll(this.host.yieldTo).finally(() => {
      this.draining = undefined;
    });
  }

  private async drainAll(pause: () => Promise<void>): Promise<void> {
    const total = this.pending.size;
    while (this.pending.size > 0 && !this.closed && this.graph) {
      await pause();
      this.drainSlice(performance.now() + SLICE_MS);
      this.host.onProgress?.(total - Math.min(total, this.pending.size), total);
    }
  }
}
