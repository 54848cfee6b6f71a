import { VectorStore } from '@rvfjs/index';
import { bitmapHas } from '@rvfjs/wire';
import type { IdKey } from './ids.js';
import { LiveIds } from './live-ids.js';
import { MetadataColumn } from './metadata-column.js';

/** Copies records `first .. first + count - 1` of a block to `dst` at float index `at`. */
export type VectorCopier = (dst: Float32Array, at: number, first: number, count: number) => void;

/** Ids below this go in the dense array, given the entry count. */
const denseBound = (entries: number): number => Math.max(4096, 4 * entries);

/**
 * User id → ordinal. Most stores use small dense integer ids, so ids below a bound that
 * grows with the entry count live in a typed array (no hashing, no rehash on growth);
 * the rest go in a Map. A branch's index starts as an overlay on its parent's (no copy, so
 * branching stays constant-time): parent entries count only below the fork point, because
 * the parent's later ids get ordinals past it. A parent that is itself a branch may move an
 * id it inherited to a new ordinal after the fork (see VectorTable's superseded ordinals);
 * the overlay then finds the ordinal the id had at the fork one level further down.
 */
export class IdIndex {
  private readonly sparse = new Map<IdKey, number>();
  /** dense[id] = ordinal + 1, 0 when absent. */
  private dense = new Int32Array(0);
  private size = 0;
  /** The largest numeric id ever set here (-1: none): ids above it are new. */
  private maxId = -1;

  constructor(
    private readonly base?: IdIndex,
    /** Parent ordinals at or above this were assigned after the fork. */
    private readonly limit = 0,
  ) {}

  get(id: IdKey): number | undefined {
    return this.ownGet(id) ?? this.atFork(id);
  }

  /** The ordinal the base had for `id` when this index forked from it (see the class note). */
  private atFork(id: IdKey): number | undefined {
    if (!this.base) return undefined;
    const b = this.base.get(id);
    // Past the fork point: an id new to the base since, or one the base has moved since,
    // whose ordinal at the fork its own base still holds.
    return b === undefined || b < this.limit ? b : this.base.atFork(id);
  }

  has(id: IdKey): boolean {
    return this.get(id) !== undefined;
  }

  /** True for a branch's overlay index. */
  get hasBase(): boolean {
    return this.base !== undefined;
  }

  set(id: IdKey, ordinal: number): void {
    if (typeof id === 'number' && id > this.maxId) this.maxId = id;
    if (typeof id === 'number' && id < this.dense.length) {
      if (this.dense[id] === 0) this.size++;
      this.dense[id] = ordinal + 1;
      return;
    }
    // Grow the dense range while ids stay within a few times the entry count.
    if (typeof id === 'number' && id < denseBound(this.size + 1)) {
      this.grow(id);
      this.set(id, ordinal);
      return;
    }
    if (!this.sparse.has(id)) this.size++;
    this.sparse.set(id, ordinal);
  }

  /**
   * Widens the dense range once for a block of ids up to `maxId` that set() would put there
   * (`entries` as it will be after the block), instead of doubling step by step inside it.
   */
  reserve(maxId: number, entries: number): void {
    if (maxId >= this.dense.length && maxId < denseBound(entries)) this.grow(maxId);
  }

  private grow(id: number): void {
    const next = new Int32Array(Math.max(4096, this.dense.length * 2, id + 1));
    next.set(this.dense);
    this.dense = next;
    // Ids that went to the map before the range covered them move over.
    for (const [k, o] of this.sparse) {
      if (typeof k === 'number' && k < next.length) {
        next[k] = o + 1;
        this.sparse.delete(k);
      }
    }
  }

  /**
   * The ordinal of each key, handing `next`, `next + 1`, … to keys not seen before (in
   * order; a key repeated in the block gets the ordinal of its first occurrence). `fresh[i]`
   * is set to 1 for keys that were new. For an index without a base (a root table): one
   * tight loop, which matters when a load assigns every ordinal.
   */
  assign(keys: ArrayLike<IdKey>, next: number, fresh: Uint8Array): Uint32Array {
    const out = new Uint32Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      let o = this.ownGet(k);
      if (o === undefined) {
        o = next++;
        this.set(k, o);
        fresh[i] = 1;
      }
      out[i] = o;
    }
    return out;
  }

  /**
   * When `keys` are `first, first + 1, …` and every one is new here (all above any numeric id
   * set so far), gives them ordinals `next, next + 1, …` and returns true; otherwise changes
   * nothing and returns false. How a load replays the usual VEC segment (ids appended in
   * order): a fill of the dense range instead of a lookup and a store per id, in a fresh
   * process where those loops run before V8 has compiled them.
   */
  assignRun(keys: ArrayLike<IdKey>, next: number): boolean {
    const n = keys.length;
    const first = keys[0];
    if (n === 0 || typeof first !== 'number' || !Number.isInteger(first) || first <= this.maxId) return false;
    for (let i = 1; i < n; i++) if (keys[i] !== first + i) return false;
    const last = first + n - 1;
    if (last >= this.dense.length) {
      if (last >= denseBound(this.size + n)) return false;
      this.grow(last);
    }
    const dense = this.dense;
    for (let i = 0; i < n; i++) dense[first + i] = next + i + 1;
    this.size += n;
    this.maxId = last;
    return true;
  }

  private ownGet(id: IdKey): number | undefined {
    if (typeof id === 'number' && id < this.dense.length) {
      const o = this.dense[id]!;
      return o === 0 ? undefined : o - 1;
    }
    return this.sparse.get(id);
  }
}

/** An inherited ordinal's flag (see VectorTable.inherited); own ordinals have 0. */
const INHERITED = 1;
const SUPERSEDED = 2;

/**
 * What a store can see: user id ↔ dense ordinal, vectors flat by ordinal, metadata by
 * ordinal. Ordinals are assigned in first-appearance order while records are replayed, so a
 * reopened store rebuilds exactly the ordinals its writer had (a saved index relies on
 * that). A re-ingested id keeps its ordinal (in a branch, its own one: see below); its
 * vector and metadata are replaced.
 *
 * A branch child starts from a copy of its parent's table (the parent's view at the pinned
 * manifest): those ordinals are *inherited* and visible only while the child's MEMBERSHIP
 * bitmap has their id. Ordinals the child writes are its *own*, hidden only by its own
 * tombstones. Inherited ordinals keep the parent's numbering, so they are stable across opens.
 * A child that rewrites an inherited id gives it a new own ordinal and *supersedes* the
 * inherited one (never visible again): the parent's vectors, shared copy-on-write, are never
 * written, so the child never copies them (50 MB at 100k × 128) for a few edits.
 */
export class VectorTable {
  ordinalOf = new IdIndex();
  /** Ids of ordinals `baseCount` and up (for a root table: all of them). */
  private ownIds: IdKey[] = [];
  /**
   * A branch's ordinals below `baseCount` take their ids from the parent's table, which is
   * safe to share: a table never changes the id of an ordinal it handed out (compaction
   * makes a new table). Sharing it makes forking constant time instead of copying every id.
   */
  private base: VectorTable | undefined;
  private baseCount = 0;
  /** Vectors by ordinal; shared with the index engines so they live in memory once. */
  readonly store: VectorStore;
  /** Metadata by ordinal (decoded on first read; shared copy-on-write with forks). */
  metadata = new MetadataColumn();
  /** Tombstoned own ids (the manifest's deleted list). */
  readonly deleted = new Set<IdKey>();
  /**
   * INHERITED where the ordinal's vector comes from the parent, SUPERSEDED where it did but
   * the child has since written the id at an own ordinal; absent for a root store.
   */
  inherited: Uint8Array | undefined;
  /** The superseded ordinals (a grandchild hides them too). */
  private superseded: number[] = [];
  /** The child's MEMBERSHIP bitmap (include mode); absent for a root store. */
  membership: Uint8Array | undefined;
  /** Own ordinals (the file's own vector table size, tombstoned included). */
  ownCount = 0;
  /** The ids isLive() accepts, kept in step with every change (what branch() copies). */
  live = new LiveIds();

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

  get count(): number {
    return this.baseCount + this.ownIds.length;
  }

  /** The user id stored at an ordinal. */
  idOf(ord: number): IdKey {
    return ord < this.baseCount ? this.base!.idOf(ord) : this.ownIds[ord - this.baseCount]!;
  }

  /** Visible vectors; O(1) for a root store, a scan for a branch. */
  get liveCount(): number {
    if (!this.inherited) return this.count - this.deleted.size;
    let n = 0;
    for (let ord = 0; ord < this.count; ord++) if (this.isLive(ord)) n++;
    return n;
  }

  /** True when every ordinal is visible (a root store without tombstones): queries skip the check. */
  get allLive(): boolean {
    return !this.inherited && this.deleted.size === 0;
  }

  /**
   * Inserts or replaces a block of vectors (later records win), copying runs of new
   * consecutive ordinals in one go. `vectors` is the block's floats, or a function that
   * copies records `first .. first + count - 1` to `dst` at float index `at` (a decoder
   * writing straight into the store). Returns the ordinal of each record.
   */
  putBlock(keys: ArrayLike<IdKey>, vectors: Float32Array | VectorCopier): Uint32Array {
    const d = this.dimension;
    const copy: VectorCopier =
      typeof vectors === 'function'
        ? vectors
        : (dst, at, first, count) => dst.set(vectors.subarray(first * d, (first + count) * d), at);
    const fresh = new Uint8Array(keys.length);
    let ords: Uint32Array;
    if (!this.inherited && !this.ordinalOf.hasBase) {
      let maxId = -1;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (typeof k === 'number' && k > maxId) maxId = k;
      }
      const entries = this.count + keys.length;
      this.ordinalOf.reserve(maxId, entries);
      this.live.reserve(maxId, entries);
      if (this.deleted.size === 0 && this.ordinalOf.assignRun(keys, this.count)) {
        // New ids in order (the usual VEC segment): every record is a new, visible ordinal.
        const start = this.count; // grows with ownIds below
        ords = new Uint32Array(keys.length);
        for (let i = 0; i < keys.length; i++) {
          ords[i] = start + i;
          this.ownIds.push(keys[i]!);
        }
        this.live.addRun(keys[0] as number, keys.length, entries);
        this.ownCount += keys.length;
        this.store.fillBlock(start, keys.length, (dst, at) => copy(dst, at, 0, keys.length));
        return ords;
      }
      ords = this.ordinalOf.assign(keys, this.count, fresh);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (fresh[i]) {
          this.ownIds.push(k);
          this.ownCount++;
        }
        this.live.set(k, !this.deleted.has(k), this.count);
      }
    } else {
      ords = new Uint32Array(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const before = this.count; // claim() hands out this ordinal to a new id
        ords[i] = this.claim(keys[i]!);
        if (ords[i] === before) fresh[i] = 1;
        this.noteLiveness(ords[i]!);
      }
    }
    // New ordinals are consecutive: copy each run of them in one go, others one by one.
    for (let i = 0; i < keys.length; ) {
      if (!fresh[i]) {
        const first = i;
        this.store.fillBlock(ords[i]!, 1, (dst, at) => copy(dst, at, first, 1));
        i++;
        continue;
      }
      let end = i + 1;
      while (end < keys.length && fresh[end]) end++;
      const first = i;
      this.store.fillBlock(ords[first]!, end - first, (dst, at) => copy(dst, at, first, end - first));
      i = end;
    }
    return ords;
  }

  /**
   * The ordinal for `id`: its own one if it has one, else a new one, superseding the
   * inherited ordinal of an id the parent had.
   */
  private claim(id: IdKey): number {
    const known = this.ordinalOf.get(id);
    if (known !== undefined && !this.inherited?.[known]) return known;
    if (known !== undefined) {
      this.inherited![known] = SUPERSEDED;
      this.superseded.push(known);
    }
    const ord = this.count;
    this.growInheritedFlags(ord + 1);
    this.ownIds.push(id);
    this.ordinalOf.set(id, ord);
    this.ownCount++;
    return ord;
  }

  /**
   * One per id the table holds a vector for, visible or hidden: its ordinals less the
   * superseded ones (a branch's rewritten id holds two ordinals). What "how many vectors"
   * means in ratios and in the reference's COW_MAP.
   */
  get idCount(): number {
    return this.count - this.superseded.length;
  }

  /** How many inherited ordinals the child has superseded so far (see supersededSince). */
  get supersededCount(): number {
    return this.superseded.length;
  }

  /** The ordinals superseded since supersededCount was `count` (a write's, for the index). */
  supersededSince(count: number): number[] {
    return this.superseded.slice(count);
  }

  isOwn(ord: number): boolean {
    return !this.inherited?.[ord];
  }

  vectorOf(ord: number): Float32Array {
    return this.store.view(ord);
  }

  /** Tombstones an own id (a load replaying the manifest's deleted list). */
  markDeleted(key: IdKey): void {
    this.deleted.add(key);
    this.noteKey(key);
  }

  /** A re-ingested id is visible again. */
  undelete(key: IdKey): void {
    if (this.deleted.delete(key)) this.noteKey(key);
  }

  /**
   * Hides ids after a committed delete: own ones get tombstones, inherited ones leave the
   * (already updated) membership bitmap.
   */
  hide(ownKeys: readonly IdKey[], membership: Uint8Array | undefined, allKeys: readonly IdKey[]): void {
    for (const k of ownKeys) this.deleted.add(k);
    if (membership) this.membership = membership;
    for (const k of allKeys) this.noteKey(k);
  }

  private noteKey(key: IdKey): void {
    const ord = this.ordinalOf.get(key);
    if (ord !== undefined) this.noteLiveness(ord);
  }

  private noteLiveness(ord: number): void {
    this.live.set(this.idOf(ord), this.isLive(ord), this.count);
  }

  isLive(ord: number): boolean {
    const from = this.inherited?.[ord];
    if (from === SUPERSEDED) return false;
    const id = this.idOf(ord);
    if (from === INHERITED) return this.membership !== undefined && bitmapHas(this.membership, id);
    return !this.deleted.has(id);
  }

  /**
   * A child's starting table: this table's visible vectors, all marked inherited, gated by
   * `membership`. Hidden parent ordinals are kept (hidden) so numbering stays stable.
   * `exact` says the bitmap is this table's own live set (a branch being made now), which
   * needs no gating: then forking costs the bitmap's size, not a pass over the vectors.
   */
  forkForChild(membership: Uint8Array, exact = false): VectorTable {
    // Vectors are shared copy-on-write: constant time, whichever side writes first copies.
    const child = new VectorTable(this.dimension, 0, this.store.fork());
    child.base = this;
    child.baseCount = this.count;
    child.ordinalOf = new IdIndex(this.ordinalOf, this.count);
    child.metadata = this.metadata.fork();
    child.inherited = new Uint8Array(Math.max(16, this.count * 2));
    child.inherited.fill(INHERITED, 0, this.count);
    // Ordinals this table superseded hold an old vector of an id it still shows elsewhere:
    // the bitmap cannot hide them (it names the id), so the flag does.
    for (const ord of this.superseded) child.inherited[ord] = SUPERSEDED;
    child.superseded = this.superseded.slice();
    // A parent vector that the parent itself hides stays hidden even if a bit claims it.
    const gated = membership.slice();
    child.membership = gated;
    if (exact) {
      child.live = new LiveIds(gated.slice(), this.live.size);
      return child;
    }
    // A bitmap from a file may also name ids the parent never had: they are not live either.
    const live = new LiveIds();
    for (let ord = 0; ord < this.count; ord++) {
      if (child.inherited[ord] === SUPERSEDED) continue;
      const id = this.idOf(ord);
      if (typeof id !== 'number' || id >= gated.length * 8) continue;
      if (!this.isLive(ord)) gated[id >>> 3]! &= ~(1 << (id & 7));
      else if (bitmapHas(gated, id)) live.set(id, true, this.count);
    }
    child.live = live;
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
