import { type Metric, metricFromCode, rvfError, segmentTypeName } from '@rvfjs/types';
import { type ByteSource, fileHandleSource } from '@rvfjs/wire';
import {
  branchChild,
  type CowStats,
  childCountCommit,
  childIdentity,
  childState,
  cowStats,
  currentTailHash,
  relinkCommit,
} from './branching.js';
import { type Commit, commit, discardFile, replaceFile, type StoreFile } from './commit.js';
import { type CompactOptions, type CompactResult, checkCompactable, compactedFile } from './compaction.js';
import { type CreateArgs, type CreatedFile, createFile, rootCreateArgs } from './create-file.js';
import { type DeleteResult, idsMatching, planDelete } from './deletion.js';
import type { StoreFileHandle } from './file-system.js';
import { type FilterInput, parseFilter } from './filter.js';
import { freezeCommit } from './freeze.js';
import type { GraphMaintainer } from './graph-maintainer.js';
import { graphIsParents, graphLeftToParent, graphSaveCommit } from './graph-saves.js';
import { hexOf, wallClockNs } from './identity.js';
import { type IdInput, type IdKey, toIdKey, toIdKeys } from './ids.js';
import { type IngestOptions, planIngest } from './ingest.js';
import { loadParentView, type ParentView } from './lineage.js';
import { nodeFileSystem } from './local-file-system.js';
import { acquireWriterLock, type WriterLock } from './lock.js';
import { type MembershipInfo, membershipInfo } from './membership.js';
import type { MetadataInput, MetaScalar } from './metadata.js';
import { exportLines, importRecords } from './ndjson.js';
import { openStoreFile, readSnapshot } from './open-file.js';
import { type IndexProgress, QueryEngine } from './query-engine.js';
import {
  checkK,
  checkQueryOptions,
  type QueryOptions,
  type QueryResult,
  queryResults,
} from './query-results.js';
import { httpFileSystem, isRemotePath, isS3Path, s3FileSystem } from './remote-file-system.js';
import { type SignatureReport, signerFrom, verifySignatures } from './signing.js';
import { identityOf, type Snapshot } from './snapshot.js';
import type {
  BranchOptions,
  CreateOptions,
  IngestResult,
  OpenOptions,
  SegmentInfo,
  StoreStatus,
} from './store-options.js';
import { fenceTornTail } from './tail-fence.js';
import type { VectorTable } from './vector-table.js';
import { toQueryVector, type VectorInput, type VectorsInput } from './vectors-input.js';
import { verifyWitnesses, type WitnessReport } from './witness.js';
import { WriteQueue } from './write-queue.js';

export type { CowStats } from './branching.js';

export type { CompactResult } from './compaction.js';
export type { DeleteResult } from './deletion.js';
export type { IngestOptions } from './ingest.js';
export type { MembershipInfo } from './membership.js';
export type { QueryOptions, QueryResult } from './query-results.js';
export type {
  BranchOptions,
  CreateOptions,
  IngestResult,
  OpenOptions,
  SegmentInfo,
  StoreStatus,
} from './store-options.js';

/** How this handle behaves, as opened or created (not part of the file). */
interface HandleSettings {
  readonly readOnly: boolean;
  readonly clock: () => bigint;
  readonly recover: boolean;
  readonly indexThreshold: number;
  readonly onIndexProgress: IndexProgress | undefined;
  readonly deferIndex: boolean;
  /** Where a branch child's parent is now, if it moved (OpenOptions.parentPath). */
  readonly parentPath: string | undefined;
}

/**
 * An RVF store: one append-only file, the snapshot of it this handle holds, and one commit
 * path (commit.ts). Every write lays out a commit against the current snapshot, makes it
 * durable, and only then swaps in the snapshot the commit returned: a failed write leaves
 * memory as it was. The concepts live in their own files (creating, branching, membership,
 * compaction, tail fencing, query results, the write queue, NDJSON); this class holds the
 * handle's state and delegates to them.
 */
export class RvfStore {
  /** The committed state this handle reads and writes on (replaced whole by each commit). */
  private snap!: Snapshot;
  private closed = false;
  /** Set as close() begins: background work that only serves later reads stops there. */
  private closing = false;
  private readonly queue = new WriteQueue();
  private engine!: QueryEngine;

  private constructor(
    readonly path: string,
    /** The file and how to write it; replaced when compaction or a refresh opens a new file. */
    private file: StoreFile,
    private readonly settings: HandleSettings,
    private readonly lock: WriterLock | undefined,
  ) {}

  /** True for a handle opened with `{ readOnly: true }` (a frozen store is refused writes too; see `frozen`). */
  get readOnly(): boolean {
    return this.settings.readOnly;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Creates a store at `path`, which must not exist: the file appears whole (its first commit
   * written and fsynced under a private name, then linked into place) or not at all.
   */
  static async create(path: string, options: CreateOptions): Promise<RvfStore> {
    const clock = options?.clock ?? wallClockNs;
    const args = await rootCreateArgs(path, options, clock);
    return RvfStore.created(path, await createFile(path, args), args, {
      readOnly: false,
      clock,
      recover: false,
      indexThreshold: options.indexThreshold ?? DEFAULT_INDEX_THRESHOLD,
      onIndexProgress: options.onIndexProgress,
      deferIndex: options.deferIndex ?? false,
      parentPath: undefined,
    });
  }

  /** A handle on a file just created (create, branch, derive). */
  private static created(
    path: string,
    file: CreatedFile,
    args: CreateArgs,
    settings: HandleSettings,
  ): RvfStore {
    const store = new RvfStore(
      path,
      { path, fh: file.fh, fsys: args.fileSystem, signer: args.signer },
      settings,
      file.lock,
    );
    store.snap = file.snapshot;
    store.startEngine(undefined, file.snapshot.parent);
    return store;
  }

  /**
   * Opens a store: a local path read-write (taking the writer lock and cutting a torn tail a
   * crash left), or read-only, also at an http(s):// or s3:// URL.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<RvfStore> {
    const readOnly = options.readOnly ?? false;
    if (options.recover && !readOnly)
      throw rvfError('InvalidArgument', 'recover is only available for read-only opens');
    const remote = isRemotePath(path);
    const inS3 = isS3Path(path);
    if ((remote || inS3) && !readOnly) {
      throw rvfError(
        'InvalidArgument',
        `${path}: a store at a URL opens read-only (pass { readOnly: true })`,
      );
    }
    const fsys =
      options.fileSystem ??
      (inS3 ? s3FileSystem(options.s3) : remote ? httpFileSystem(options.http) : nodeFileSystem);
    const signer = readOnly ? undefined : await signerFrom(options.signingKey);
    const fh = await openStoreFile(fsys, path, readOnly);
    let lock: WriterLock | undefined;
    try {
      if (!readOnly) lock = await acquireWriterLock(path, options.lock);
      const store = new RvfStore(
        path,
        { path, fh, fsys, signer },
        {
          readOnly,
          clock: options.clock ?? wallClockNs,
          recover: options.recover ?? false,
          indexThreshold: options.indexThreshold ?? DEFAULT_INDEX_THRESHOLD,
          onIndexProgress: options.onIndexProgress,
          deferIndex: options.deferIndex ?? false,
          parentPath: options.parentPath,
        },
        lock,
      );
      // Opening counts as foreground work: background index loading starts only after it,
      // and after whatever the caller does right away (see WriteQueue.whenIdle).
      await store.queue.foreground(() => store.load(fh, { fence: !readOnly }));
      return store;
    } catch (e) {
      await fh.close().catch(() => undefined);
      await lock?.release();
      throw e;
    }
  }

  /**
   * Waits for queued writes, saves the HNSW graph unless deferred (see CreateOptions.deferIndex),
   * and releases the file and the writer lock. Closing twice is a no-op.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.engine?.maintainer.beginClose();
    await this.queue.drained();
    // Whether a branch child's graph is its parent's is known once the seed has loaded: a
    // child closed right after branch() must not save a whole graph of its own meanwhile.
    if (this.snap.link && !this.settings.deferIndex) await this.graphs.whenLoaded();
    if (
      !this.readOnly &&
      !this.snap.state.frozen &&
      this.engine &&
      !graphIsParents(this.snap, this.graphs) &&
      !graphLeftToParent(this.snap, this.graphs)
    ) {
      // The graph is finished and saved here unless deferred (see CreateOptions.deferIndex).
      const blob = await this.graphs.blobForClose(this.settings.deferIndex).catch(() => undefined);
      if (blob) await this.queue.run(() => this.persistGraph(blob)).catch(() => undefined);
    }
    this.engine?.maintainer.close();
    this.closed = true;
    await this.file.fh.close();
    await this.lock?.release();
  }

  /** Read-only handles: pick up epochs committed since open (or the file a compaction put in place). */
  async refresh(): Promise<boolean> {
    this.assertOpen();
    const { fh, fsys } = this.file;
    const st = await fsys.stat(this.path);
    const mine = await fh.stat();
    // A new file in place (compaction), or a remote file that grew: its handle sees only
    // what was there when it was opened, so it is opened again.
    if (st.ino !== mine.ino || (fh.fd < 0 && st.size !== mine.size)) {
      await fh.close();
      this.file = { ...this.file, fh: await fsys.open(this.path, this.readOnly ? 'r' : 'r+') };
    } else if (st.size === this.snap.fileEnd) {
      return false;
    }
    const before = this.snap.manifestEntry.offset;
    await this.load(this.file.fh);
    return this.snap.manifestEntry.offset !== before || st.ino !== mine.ino;
  }

  // ---------------------------------------------------------------- reading

  /** Components per vector. */
  get dimension(): number {
    return this.snap.manifest.dimension;
  }

  /** The distance metric queries rank by. */
  get metric(): Metric {
    return metricFromCode(this.snap.manifest.metricCode);
  }

  /** The epoch of the last commit (bookkeeping commits, such as freeze and graph saves, keep it). */
  get epoch(): number {
    return this.snap.manifest.epoch;
  }

  /** This file's id (hex), as the reference makes it. */
  get fileId(): string {
    return hexOf(identityOf(this.snap).fileId);
  }

  /** The file id (hex) of the parent this file was branched or derived from; zeros for a root. */
  get parentId(): string {
    return hexOf(identityOf(this.snap).parentId);
  }

  /** 0 for a root file, its parent's depth + 1 for a child. */
  get lineageDepth(): number {
    return identityOf(this.snap).lineageDepth;
  }

  /** True once freeze() has committed: every handle on the file then refuses writes. */
  get frozen(): boolean {
    return this.snap.state.frozen;
  }

  /** The field-name table (names given in the object metadata form). */
  fieldNames(): { fieldId: number; name: string }[] {
    return this.snap.fields.entries();
  }

  /**
   * The `k` nearest visible vectors to `vector`, nearest first, with their metadata unless
   * left out; `filter` restricts them by metadata, `plan` picks the engine (see QueryOptions).
   */
  async query(vector: VectorInput, k: number, options: QueryOptions = {}): Promise<QueryResult[]> {
    this.assertOpen();
    const q = toQueryVector(vector, this.dimension);
    checkK(k);
    const filter = options.filter === undefined ? undefined : parseFilter(options.filter, this.snap.fields);
    checkQueryOptions(options);
    // While a graph loads or builds off the event loop, give the loop one turn per query so
    // that work lands even when queries come back to back (they would otherwise all run on
    // microtasks and starve it). Metadata decoding is not worth it: until idle time comes,
    // results read metadata lazily instead.
    if (this.graphs.inFlight) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.assertOpen();
    }
    const { table, fields } = this.snap;
    const hits = this.engine.search(q, k, filter, options.efSearch, options.plan ?? 'auto');
    return queryResults(hits, table, fields, options.includeMetadata ?? true);
  }

  /** The live vector and metadata stored under an id, or undefined. */
  get(id: IdInput): { vector: Float32Array; metadata?: Record<string, MetaScalar> } | undefined {
    this.assertOpen();
    const { table, fields } = this.snap;
    const ord = table.ordinalOf.get(toIdKey(id));
    if (ord === undefined || !table.isLive(ord)) return undefined;
    const metadata = table.metadata.objectOf(ord, fields);
    return { vector: table.vectorOf(ord).slice(), ...(metadata ? { metadata } : {}) };
  }

  /** Counts, sizes, epoch, engine state and damage report of this handle's snapshot. */
  status(): StoreStatus {
    this.assertOpen();
    const { table: t, manifest, state } = this.snap;
    return {
      totalVectors: t.liveCount,
      ownVectors: t.ownCount - t.deleted.size,
      totalSegments: manifest.directory.length,
      fileSize: this.snap.fileEnd,
      currentEpoch: manifest.epoch,
      profileId: manifest.profileId,
      compactionState: 'idle',
      deadSpaceRatio: t.ownCount === 0 ? 0 : t.deleted.size / t.ownCount,
      readOnly: this.readOnly || state.frozen,
      frozen: state.frozen,
      dimension: this.dimension,
      metric: this.metric,
      engine: this.engine.status(),
      damagedSegments: [...this.snap.damaged],
    };
  }

  /** The segments the current manifest lists, in file order. */
  segments(): SegmentInfo[] {
    this.assertOpen();
    return this.snap.manifest.directory.map((e) => ({
      id: Number(e.segId),
      offset: e.offset,
      payloadLength: e.payloadLength,
      segType: segmentTypeName(e.segType),
    }));
  }

  /** Walks every committed witness and reports chains, link kinds and the first broken link. */
  async verifyWitness(): Promise<WitnessReport> {
    this.assertOpen();
    return verifyWitnesses(this.source(), this.snap.manifest.directory);
  }

  /**
   * Checks every RVFJS_SIGNATURE segment against the segment it signs, and reports who signed
   * and how many segments no signature covers. `valid` is false if any signature does not
   * verify (a segment changed after it was signed, or a forged signature), names a segment
   * the directory does not list there, or, with `signer`, was made by another key.
   */
  async verifySignatures(options: { signer?: Uint8Array } = {}): Promise<SignatureReport> {
    this.assertOpen();
    return verifySignatures(this.source(), this.snap.manifest.directory, options.signer);
  }

  // ---------------------------------------------------------------- writing

  /**
   * Inserts or replaces vectors under `ids`, with optional metadata, in one commit. Invalid rows
   * throw, or with `skipInvalid` are counted as rejected; a batch with none accepted writes nothing.
   */
  async ingestBatch(
    vectors: VectorsInput,
    ids: readonly IdInput[] | BigUint64Array,
    metadata?: MetadataInput,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    return this.queue.run(async () => {
      this.assertWritable();
      const plan = planIngest(this.snap, this.settings.clock, vectors, ids, metadata, options);
      if (!plan.commit || !plan.apply) return { accepted: 0, rejected: plan.rejected, epoch: this.epoch };
      const apply = plan.apply;
      await this.write(plan.commit, (next) => {
        const { added, superseded } = apply(next.table);
        // A rewritten inherited id's old member leaves the graph as a deleted one would.
        if (superseded.length > 0) this.graphs.hidden(superseded);
        this.graphs.added(added);
      });
      return { accepted: plan.accepted, rejected: plan.rejected, epoch: plan.commit.epoch };
    });
  }

  /** Hides the given ids in one commit (tombstones; a branch hides inherited ids by membership). */
  async delete(ids: readonly IdInput[] | BigUint64Array): Promise<DeleteResult> {
    return this.queue.run(async () => {
      this.assertWritable();
      return this.commitDelete(toIdKeys(ids));
    });
  }

  /** Deletes every visible vector whose metadata matches `filter`, in one commit. */
  async deleteByFilter(filter: FilterInput | string): Promise<DeleteResult> {
    return this.queue.run(async () => {
      this.assertWritable();
      const keys = idsMatching(this.snap.table, parseFilter(filter, this.snap.fields));
      if (keys.length === 0) return { deleted: 0, epoch: this.epoch };
      return this.commitDelete(keys);
    });
  }

  private async commitDelete(keys: readonly IdKey[]): Promise<DeleteResult> {
    const plan = planDelete(this.snap, this.settings.clock, keys);
    await this.write(plan.commit, (next) => this.graphs.hidden(plan.apply(next.table)));
    return { deleted: plan.removed, epoch: plan.commit.epoch };
  }

  /**
   * Rewrites the file with only live vectors (temp file, fsync, rename, as the reference
   * does; see compaction.ts and commit.ts), then reads the new file into a new snapshot.
   */
  async compact(options: CompactOptions = {}): Promise<CompactResult> {
    return this.queue.run(async () => {
      this.assertWritable();
      checkCompactable(this.path, this.snap, options);
      const { parts, result } = await compactedFile(
        this.snap,
        this.source(),
        this.file.signer,
        this.settings.clock,
      );
      const old = this.file.fh;
      const fh = await replaceFile(this.path, this.file.fsys, parts, options.onProgress);
      try {
        await this.load(fh);
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw e;
      }
      await old.close();
      return result;
    });
  }

  /**
   * Makes the store a persistent snapshot: the state record marks it frozen, and any
   * handle on it (including after reopen) refuses writes with SnapshotFrozen. Branch from
   * it to keep working. Returns the epoch (unchanged, as the reference).
   */
  async freeze(): Promise<number> {
    this.assertWritable();
    // A frozen file never changes again, so its graph is finished first (as close() would),
    // and saved with the freeze itself when it is not saved already.
    if (!this.settings.deferIndex) await this.graphs.settle();
    return this.queue.run(async () => {
      this.assertWritable();
      const graph =
        this.settings.deferIndex || graphIsParents(this.snap, this.graphs)
          ? undefined
          : this.graphs.dueSave();
      await this.write(freezeCommit(this.snap, graph?.blob), () => graph?.committed());
      return this.epoch;
    });
  }

  // ---------------------------------------------------------------- lineage

  /**
   * A copy-on-write child in constant file work: the child file holds only the reference's
   * COW_MAP and MEMBERSHIP (so the reference can open it) and a pin to this file's current
   * manifest (so later writes here change nothing for the child). The child sees this
   * store's visible vectors, with metadata, plus its own edits; children nest to any depth.
   * An unfrozen file records that it has children, which makes compact() refuse unless
   * forced; a frozen one is left untouched (see branching.ts for what the reference checks).
   */
  async branch(childPath: string, options: BranchOptions = {}): Promise<RvfStore> {
    return this.queue.run(async () => {
      this.assertOpen();
      const records = !this.readOnly && !this.snap.state.frozen;
      const clock = options.clock ?? this.settings.clock;
      const { created, args } = await branchChild(
        {
          path: this.path,
          file: this.file,
          snap: this.snap,
          records,
          graph: records && !graphIsParents(this.snap, this.graphs) ? this.graphs.dueSave() : undefined,
          savedGraphCurrent: this.graphs.savedGraphCurrent,
          recorded: (next) => {
            this.snap = next;
          },
          takeBack: () => this.write(childCountCommit(this.snap, -1, undefined)),
        },
        childPath,
        clock,
        options.lock,
      );
      return RvfStore.created(childPath, created, args, {
        readOnly: false,
        clock,
        recover: false,
        indexThreshold: this.settings.indexThreshold,
        onIndexProgress: this.settings.onIndexProgress,
        deferIndex: this.settings.deferIndex,
        parentPath: undefined,
      });
    });
  }

  /** The reference's lineage-only child: a new empty store that records this file as its parent. */
  async derive(childPath: string, options: BranchOptions = {}): Promise<RvfStore> {
    this.assertOpen();
    const { parentHash } = await currentTailHash(this.file.fh);
    const clock = options.clock ?? this.settings.clock;
    const args: CreateArgs = {
      dimension: this.dimension,
      metric: this.metric,
      profile: this.snap.manifest.profileId,
      identity: childIdentity(this.snap, childPath, clock, parentHash),
      state: childState(this.snap),
      lock: options.lock,
      fileSystem: this.file.fsys,
      signer: undefined,
    };
    return RvfStore.created(childPath, await createFile(childPath, args), args, {
      readOnly: false,
      clock,
      recover: false,
      indexThreshold: DEFAULT_INDEX_THRESHOLD,
      onIndexProgress: undefined,
      deferIndex: false,
      parentPath: undefined,
    });
  }

  /**
   * Records a moved parent's new location. The parent at `parentPath` is verified (file id,
   * and the pinned manifest or tail hash) before a new COW_MAP naming it is committed.
   */
  async relinkParent(parentPath: string): Promise<void> {
    return this.queue.run(async () => {
      this.assertWritable();
      const { link, manifest } = this.snap;
      if (!link || !manifest.identity) throw rvfError('LineageBroken', `${this.path} is not a branch`);
      await loadParentView(this.path, manifest.identity, link, { parentPath });
      await this.write(relinkCommit(this.snap, link, this.path, parentPath));
    });
  }

  /** Copy-on-write statistics of a branch, or undefined for a store that is not one. */
  cowStats(): CowStats | undefined {
    this.assertOpen();
    return cowStats(this.snap);
  }

  /** The branch's membership filter (which inherited ids it can see), or undefined for a root store. */
  membershipFilter(): MembershipInfo | undefined {
    this.assertOpen();
    return membershipInfo(this.snap.table, this.snap.link);
  }

  /** Path of the parent file this branch reads, or undefined. */
  get parentPath(): string | undefined {
    return this.snap.parent?.path;
  }

  // ---------------------------------------------------------------- copies and export

  /**
   * Streams every visible vector as NDJSON (`{ id, vector, metadata? }` + newline per record),
   * all from one epoch: writes on this handle wait until the stream is finished or abandoned.
   */
  async *export(): AsyncGenerator<string> {
    this.assertOpen();
    const release = await this.queue.hold();
    try {
      yield* exportLines(this.snap.table, this.snap.fields);
    } finally {
      release();
    }
  }

  /**
   * Ingests NDJSON records (the export format): from an array of lines, or from a stream of
   * text chunks such as a file read stream. Each batch commits on its own, so a bad record
   * stops the import after the batches before it.
   */
  async import(
    source: AsyncIterable<string | Uint8Array> | readonly string[],
    options: { batchSize?: number } = {},
  ): Promise<{ accepted: number; epoch: number }> {
    const accepted = await importRecords(
      source,
      options.batchSize ?? 10_000,
      async (batch) => (await this.ingestBatch(batch.vectors, batch.ids, batch.metadata)).accepted,
    );
    return { accepted, epoch: this.epoch };
  }

  /**
   * A copy at `dest`. Deep: a new root store holding every visible vector and its metadata,
   * sharing nothing with this one. Shallow: a copy-on-write branch (constant work; it reads
   * this file at today's state).
   */
  async copy(dest: string, options: { deep?: boolean } = {}): Promise<RvfStore> {
    this.assertOpen();
    if (!options.deep) return this.branch(dest);
    const { state } = this.snap;
    const out = await RvfStore.create(dest, {
      dimension: this.dimension,
      metric: this.metric,
      profile: this.snap.manifest.profileId,
      m: state.hnswM,
      efConstruction: state.hnswEfConstruction,
      efSearch: state.hnswEfSearch,
      clock: this.settings.clock,
      fileSystem: this.file.fsys,
    });
    try {
      await out.import(this.export());
    } catch (e) {
      await out.close();
      await discardFile(this.file.fsys, dest);
      throw e;
    }
    return out;
  }

  /**
   * Waits until the HNSW graph covers every vector (it is otherwise caught up in the
   * background), and until metadata an open deferred is decoded, so queries after it run at
   * steady-state speed. (Damaged metadata is left for the first read to report.)
   */
  async waitForIndex(): Promise<void> {
    this.assertOpen();
    await this.graphs.settle();
    try {
      this.table.metadata.materialize();
    } catch {
      // Reported by the first read that needs the metadata.
    }
  }

  // ---------------------------------------------------------------- internals

  /** The shared vector table of the current snapshot. */
  private get table(): VectorTable {
    return this.snap.table;
  }

  private source(): ByteSource {
    return fileHandleSource(this.file.fh, this.snap.fileEnd);
  }

  /**
   * The one way a write reaches memory: commit `c` (commit.ts), then, in the same turn,
   * update the shared table (`inMemory`) and swap in the snapshot the commit returned.
   */
  private async write(c: Commit, inMemory?: (next: Snapshot) => void): Promise<void> {
    const next = await commit(this.file, this.snap, c);
    inMemory?.(next);
    this.snap = next;
  }

  /**
   * Reads the latest manifest of `fh` and everything it names into a new snapshot, swaps it
   * in (with `fh` as this handle's file), and starts the background work (graph load or
   * build, metadata decoding). With `fence`, a writer's torn tail is cut first: the
   * background work may commit (a graph save), and must not find, or race, a tail being cut.
   */
  private async load(fh: StoreFileHandle, opts: { fence?: boolean } = {}): Promise<void> {
    const opened = await readSnapshot(this.path, fh, {
      recover: this.settings.recover,
      parentPath: this.settings.parentPath,
    });
    const snap = opts.fence ? await fenceTornTail(fh, opened.snapshot) : opened.snapshot;
    if (fh !== this.file.fh) this.file = { ...this.file, fh };
    this.snap = snap;
    this.startEngine(opened.savedGraph, snap.parent, opened.peekSavedCount);
    void this.decodeMetadataWhenIdle(snap.table);
  }

  /**
   * Decodes the metadata an open deferred, in the background a few thousand records at a time, so
   * results soon carry plain metadata objects instead of per-result getters (which cost a
   * closure each). A read before it finishes decodes the rest itself, as before. A failure
   * is left for that read to report: the column stays pending and throws again there.
   */
  private async decodeMetadataWhenIdle(table: VectorTable): Promise<void> {
    try {
      while (table.metadata.pending) {
        await this.whenIdle();
        if (this.closed || this.closing || this.snap.table !== table) return;
        table.metadata.advance();
      }
    } catch {
      // Reported by the next foreground read (see above).
    }
  }

  private startEngine(
    savedGraph: (() => Promise<Uint8Array>) | undefined,
    parent?: ParentView,
    peekSavedCount?: () => Promise<number | undefined>,
  ): void {
    this.engine?.maintainer.close();
    const { state, table } = this.snap;
    const engine: QueryEngine = new QueryEngine(
      table,
      this.metric,
      {
        m: state.hnswM,
        efConstruction: state.hnswEfConstruction,
        efSearch: state.hnswEfSearch,
        threshold: this.settings.indexThreshold,
      },
      {
        onProgress: this.settings.onIndexProgress,
        yieldTo: () => this.whenIdle(),
        // A graph finished after a compaction or refresh replaced this engine numbers the old
        // ordinals: it is dropped, not written into the new file.
        persist: this.readOnly
          ? undefined
          : (blob) =>
              this.queue.run(async () => (this.engine === engine ? this.persistGraph(blob) : undefined)),
      },
    );
    this.engine = engine;
    const seed = parent?.graph ? { load: parent.graph, store: parent.table.store } : undefined;
    this.graphs.attach(savedGraph, seed, peekSavedCount);
  }

  /** The engine's graph keeper: loading, building and saving the HNSW graph. */
  private get graphs(): GraphMaintainer {
    return this.engine.maintainer;
  }

  /** Persists the HNSW graph (bookkeeping: the epoch does not change). */
  private async persistGraph(blob: Uint8Array): Promise<void> {
    // A frozen file is never appended to (its children's parent hash covers its tail).
    if (this.closed || this.snap.state.frozen) return;
    await this.write(graphSaveCommit(this.snap, blob));
  }

  /** A later turn of the event loop on which no write, branch or compaction is running. */
  private whenIdle(): Promise<void> {
    return this.queue.whenIdle(() => this.closed);
  }

  private assertOpen(): void {
    if (this.closed) throw rvfError('StoreClosed', `${this.path} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw rvfError('ReadOnly', `${this.path} was opened read-only`);
    const { state } = this.snap;
    if (state.frozen) {
      throw rvfError(
        'SnapshotFrozen',
        `${this.path} is a frozen snapshot (epoch ${state.frozenEpoch}); branch from it to write`,
      );
    }
  }
}

/** Below this many vectors queries use the exact engine and no graph is kept. */
const DEFAULT_INDEX_THRESHOLD = 1024;
