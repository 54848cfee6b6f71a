import { VectorStore } from '@rvfjs/index';
import type { MetaValue } from '@rvfjs/wire';
import { bitmapHas } from '@rvfjs/wire';
import type { IdKey } from './ids.js';

/**
 * User id → ordinal. A branch's index starts as an overlay on its parent's (no copy, so
 * branching stays constant-time): parent entries count only below the fork point, because
 * ordinals never change once given and the parent's later ids get ordinals past it.
 */
export class IdIndex {
  private readonly own = new Map<IdKey, number>();

  constructor(
    private readonly base?: IdIndex,
    /** Parent ordinals at or above this were assigned after the fork. */
    private readonly limit = 0,
  ) {}

  get(id: IdKey): number | undefined {
    const o = this.own.get(id);
    if (o !== undefined || !this.base) return o;
    const b = this.base.get(id);
    return b !== undefined && b < this.limit ? b : undefined;
  }

  has(id: IdKey): boolean {
    return this.get(id) !== undefined;
  }

  set(id: IdKey, ordinal: number): void {
    this.own.set(id, ordinal);
  }
}

/**
 * What a store can see: user id ↔ dense ordinal, vectors flat by ordinal, metadata by
 * ordinal. Ordinals are assigned in first-appearance order while records are replayed, so a
 * reopened store rebuilds exactly the ordinals its writer had (a saved index relies on
 * that). A re-ingested id keeps its ordinal; its vector and metadata are replaced.
 *
 * A branch child starts from a copy of its parent's table (the parent's view at the pinned
 * manifest): those ordinals are *inherited* and visible only while the child's MEMBERSHIP
 * bitmap has their id. Ordinals the child writes are its *own*, hidden only by its own
 * tombstones. Inherited ordinals keep the parent's numbering, so they are stable across opens.
 */
export class VectorTable {
  ordinalOf = new IdIndex();
  ids: IdKey[] = [];
  /** Vectors by ordinal; shared with the index engines so they live in memory once. */
  readonly store: VectorStore;
  metadata: (MetaValue[] | undefined)[] = [];
  /** Tombstoned own ids (the manifest's deleted list). */
  readonly deleted = new Set<IdKey>();
  /** 1 where the ordinal's current version comes from the parent; absent for a root store. */
  inherited: Uint8Array | undefined;
  /** The child's MEMBERSHIP bitmap (include mode); absent for a root store. */
  membership: Uint8Array | undefined;
  /** Own ordinals (the file's own vector table size, tombstoned included). */
  ownCount = 0;

  constructor(
    readonly dimension: number,
    capacity = 1024,
    store?: VectorStore,
  ) {
    this.store = store ?? new VectorStore(dimension, Math.max(1, capacity));
  }

  /** The flat backing array (re-read after writes: growth replaces it). */
  get vectors(): Float32Array {
    return this.store.flat;
  }

  /** Bumped by every change to vectors, liveness or metadata (caches key on it). */
  version = 0;

  get count(): number {
    return this.ids.length;
  }

  /** Visible vectors; O(1) for a root store, a scan for a branch. */
  get liveCount(): number {
    if (!this.inherited) return this.ids.length - this.deleted.size;
    let n = 0;
    for (let ord = 0; ord < this.ids.length; ord++) if (this.isLive(ord)) n++;
    return n;
  }

  /** True when every ordinal is visible (a root store without tombstones): queries skip the check. */
  get allLive(): boolean {
    return !this.inherited && this.deleted.size === 0;
  }

  /**
   * Inserts or replaces a block of vectors (later records win), copying runs of new
   * consecutive ordinals in one go. Returns the ordinal of each record.
   */
  putBlock(keys: readonly IdKey[], vectors: Float32Array): Uint32Array {
    const d = this.dimension;
    const ords = new Uint32Array(keys.length);
    let runStart = -1; // first record of a run of new, consecutive ordinals
    const flushRun = (end: number) => {
      if (runStart < 0) return;
      this.store.setBlock(ords[runStart]!, vectors.subarray(runStart * d, end * d));
      runStart = -1;
    };
    for (let i = 0; i < keys.length; i++) {
      const fresh = this.ids.length; // claim() hands out this ordinal to a new id
      const ord = this.claim(keys[i]!);
      ords[i] = ord;
      if (ord === fresh) {
        if (runStart < 0) runStart = i;
      } else {
        flushRun(i);
        this.store.set(ord, vectors.subarray(i * d, (i + 1) * d));
      }
    }
    flushRun(keys.length);
    this.version++;
    return ords;
  }

  /** The ordinal for `id`: a new one, or an existing one that becomes this table's own. */
  private claim(id: IdKey): number {
    const known = this.ordinalOf.get(id);
    if (known === undefined) {
      const ord = this.ids.length;
      this.growInheritedFlags(ord + 1);
      this.ids.push(id);
      this.metadata.push(undefined);
      this.ordinalOf.set(id, ord);
      this.ownCount++;
      return ord;
    }
    if (this.inherited?.[known]) {
      this.inherited[known] = 0;
      this.ownCount++;
    }
    return known;
  }

  isOwn(ord: number): boolean {
    return !this.inherited?.[ord];
  }

  vectorOf(ord: number): Float32Array {
    return this.store.view(ord);
  }

  isLive(ord: number): boolean {
    const id = this.ids[ord]!;
    if (this.inherited?.[ord]) return this.membership !== undefined && bitmapHas(this.membership, id);
    return !this.deleted.has(id);
  }

  /**
   * A child's starting table: this table's visible vectors, all marked inherited, gated by
   * `membership`. Hidden parent ordinals are kept (hidden) so numbering stays stable.
   */
  forkForChild(membership: Uint8Array): VectorTable {
    // Vectors are shared copy-on-write: constant time, whichever side writes first copies.
    const child = new VectorTable(this.dimension, 0, this.store.fork());
    child.ids = this.ids.slice();
    child.ordinalOf = new IdIndex(this.ordinalOf, this.count);
    child.metadata = this.metadata.slice();
    child.inherited = new Uint8Array(Math.max(16, this.count * 2));
    child.inherited.fill(1, 0, this.count);
    // A parent vector that the parent itself hides stays hidden even if a bit claims it.
    const gated = membership.slice();
    for (let ord = 0; ord < this.count; ord++) {
      const id = this.ids[ord]!;
      if (!this.isLive(ord) && typeof id === 'number' && id < gated.length * 8)
        gated[id >>> 3]! &= ~(1 << (id & 7));
    }
    child.membership = gated;
    return child;
  }

  /** Keeps the inherited flags as long as the table (a branch only). */
  private growInheritedFlags(n: number): void {
    if (this.inherited && n > this.inherited.length) {
      const next = new Uint8Array(Math.max(n, this.inherited.length * 2));
      next.set(this.inherited);
      this.inherited = next;
    }
  }
}
