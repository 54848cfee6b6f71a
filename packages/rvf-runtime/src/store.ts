import { promises as fs } from 'node:fs';
import * as zlib from 'node:zlib';
import { shake256_256, simpleHash } from '@rvfjs/crypto';
import { rvhnCount } from '@rvfjs/index';
import {
  type DirectoryEntry,
  type FileIdentity,
  isKnownSegmentType,
  isMetric,
  type Manifest,
  type Membership,
  type Metric,
  MetricCode,
  metricFromCode,
  RvfError,
  rvfError,
  SegmentType,
  segmentTypeName,
  WitnessType,
} from '@rvfjs/types';
import {
  type ByteSource,
  bitmapCount,
  bitmapSet,
  branchCowMap,
  bytesSource,
  contentHash,
  decodeWitnessPayload,
  deleteJournal,
  encodeBranchPinPayload,
  encodeCowMapPayload,
  encodeFieldNamesPayload,
  encodeJournalPayload,
  encodeManifestPayload,
  encodeMembershipPayload,
  encodeMetadataPayload,
  encodeSegment,
  encodeSegmentHeaderFor,
  encodeStatePayload,
  encodeVecPayload,
  type FoundManifest,
  fileHandleSource,
  findLatestManifest,
  type MetadataCompanion,
  type MetadataRecord,
  type MetaValue,
  readSegmentAt,
  rootIdentityFields,
  type StoreState,
  useCrc32Implementation,
  vecPayloadFingerprints,
  vectorFingerprint,
  walkSegments,
} from '@rvfjs/wire';
import { ioError, localFileSource, writeAll } from './file-io.js';
import { nodeFileSystem, type StoreFileHandle, type StoreFileSystem } from './file-system.js';
import { type Filter, type FilterInput, matches, parseFilter } from './filter.js';
import type { GraphMaintainer } from './graph-maintainer.js';
import { hexOf, makeFileId, relativeParentPath, tailHash, wallClockNs } from './identity.js';
import { type IdInput, type IdKey, keyToBigint, toIdKey, toIdKeys } from './ids.js';
import { type BranchLink, loadLayer, loadParentView, type ParentView, savedGraphReader } from './lineage.js';
import { MAX_BRANCH_ID } from './live-ids.js';
import type { DamagedSegment } from './loader.js';
import { acquireWriterLock, type LockOptions, type WriterLock } from './lock.js';
import {
  FieldTable,
  groupMetadata,
  type MetadataInput,
  type MetaScalar,
  metadataToObject,
} from './metadata.js';
import { lines, parseRecordLine, recordLine } from './ndjson.js';
import { type EngineStatus, type IndexProgress, QueryEngine } from './query-engine.js';
import {
  type HttpStoreOptions,
  httpFileSystem,
  isRemotePath,
  isS3Path,
  type S3StoreOptions,
  s3FileSystem,
} from './remote-file-system.js';
import {
  type SignatureReport,
  type SignedTarget,
  type Signer,
  signaturePayloads,
  signerFrom,
  verifySignatures,
} from './signing.js';
import { VectorTable } from './vector-table.js';
import { flattenVectors, toQueryVector, type VectorInput, type VectorsInput } from './vectors-input.js';
import { verifyWitnesses, type WitnessReport, witnessPayload } from './witness.js';

export interface CreateOptions {
  dimension: number;
  metric?: Metric;
  /** Profile byte of the manifest (0..3), as the reference's create option. */
  profile?: number;
  /** HNSW parameters, persisted in the file (defaults 16 / 200 / 100). */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  /** Below this many vectors queries use the exact engine and no graph is kept (default 1024). */
  indexThreshold?: number;
  /** Called while the HNSW graph is being built or caught up in the background. */
  onIndexProgress?: IndexProgress;
  /**
   * Leave graph work out of close(): by default closing a writer finishes the HNSW graph and
   * saves it (rewriting it only when more than a short tail of vectors is new), so the next
   * open answers from it at once. With `deferIndex` the file keeps whatever graph it had and a
   * later writer builds the rest; queries stay exact where no graph covers them.
   */
  deferIndex?: boolean;
  lock?: LockOptions;
  /** Clock for witness timestamps and the file id (tests pin it). */
  clock?: () => bigint;
  /** A fixed file id (16 bytes) instead of the time-derived one (tests regenerate golden files). */
  fileId?: Uint8Array;
  /**
   * The file system the store writes through (default: the machine's). Tests pass one that
   * records writes and fsyncs, cuts the power or fails a call (see StoreFileSystem).
   */
  fileSystem?: StoreFileSystem;
  /**
   * A 32-byte Ed25519 secret key: every segment this handle writes is then signed, with an
   * RVFJS_SIGNATURE segment in the same commit (see verifySignatures). Manifests are not
   * signed; the reference ignores and keeps the signature segments.
   */
  signingKey?: Uint8Array;
}

export interface OpenOptions {
  readOnly?: boolean;
  /** Read-only only: skip damaged data segments instead of failing, and report them in status(). */
  recover?: boolean;
  lock?: LockOptions;
  clock?: () => bigint;
  /** Where a branch child's parent is now, if it moved (re-links; verified by file id and pin). */
  parentPath?: string;
  indexThreshold?: number;
  onIndexProgress?: IndexProgress;
  /** See CreateOptions.deferIndex. */
  deferIndex?: boolean;
  /** For a store at an http(s):// URL: request headers, the read cache's block size and budget. */
  http?: HttpStoreOptions;
  /** For a store at s3://bucket/key: the client or its endpoint, region and credentials, and the read cache. */
  s3?: S3StoreOptions;
  /**
   * The file system the store writes through (default: the machine's). Tests pass one that
   * records writes and fsyncs, cuts the power or fails a call (see StoreFileSystem).
   */
  fileSystem?: StoreFileSystem;
  /**
   * A 32-byte Ed25519 secret key: every segment this handle writes is then signed, with an
   * RVFJS_SIGNATURE segment in the same commit (see verifySignatures). Manifests are not
   * signed; the reference ignores and keeps the signature segments.
   */
  signingKey?: Uint8Array;
}

export interface BranchOptions {
  lock?: LockOptions;
  clock?: () => bigint;
}

export interface CowStats {
  clusterCount: number;
  /** Clusters in which the child has overridden or hidden at least one inherited vector. */
  localClusters: number;
  inheritedClusters: number;
  clusterSizeBytes: number;
  vectorsPerCluster: number;
  frozen: boolean;
}

export interface MembershipInfo {
  mode: 'include' | 'exclude';
  memberCount: number;
  vectorCount: number;
}

export interface IngestOptions {
  /** Drop invalid rows (wrong length, NaN, ±Infinity) and count them as rejected instead of throwing. */
  skipInvalid?: boolean;
}

export interface QueryOptions {
  filter?: FilterInput | string;
  efSearch?: number;
  /** Attach each hit's metadata (default true). */
  includeMetadata?: boolean;
  /**
   * 'auto' (default) plans by filter selectivity; 'exact' always scans; 'hnsw' uses the graph
   * whenever it is complete (with the filter applied during the walk).
   */
  plan?: 'auto' | 'exact' | 'hnsw';
}

export interface QueryResult {
  id: IdKey;
  distance: number;
  metadata?: Record<string, MetaScalar>;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  epoch: number;
}

export interface DeleteResult {
  deleted: number;
  epoch: number;
}

export interface CompactResult {
  segmentsCompacted: number;
  bytesReclaimed: number;
  epoch: number;
}

export interface StoreStatus {
  /** Vectors a query can see (for a branch: inherited and own). */
  totalVectors: number;
  /** Vectors stored in this file itself, tombstoned ones excluded. */
  ownVectors: number;
  totalSegments: number;
  fileSize: number;
  currentEpoch: number;
  profileId: number;
  compactionState: 'idle';
  deadSpaceRatio: number;
  readOnly: boolean;
  frozen: boolean;
  dimension: number;
  metric: Metric;
  /** Which engine answered the last query, and the state of the HNSW graph. */
  engine: EngineStatus;
  damagedSegments: DamagedSegment[];
}

export interface SegmentInfo {
  id: number;
  offset: number;
  payloadLength: number;
  segType: string;
}

// Node's zlib.crc32 (Node ≥ 20.15) is native and several times faster than the portable one;
// segment hashing dominates open time for large stores.
useCrc32Implementation((zlib as { crc32?: (d: Uint8Array, s: number) => number }).crc32);

const DEFAULT_STATE: StoreState = {
  frozen: false,
  frozenEpoch: 0,
  hnswM: 16,
  hnswEfConstruction: 200,
  hnswEfSearch: 100,
  branchCount: 0,
};

/** What creating a file needs beyond its path (see createFile). */
interface CreateArgs {
  dimension: number;
  metric: Metric;
  profile: number;
  identity: FileIdentity;
  state: StoreState;
  clock: () => bigint;
  lock?: LockOptions;
  indexThreshold?: number;
  onIndexProgress?: IndexProgress;
  deferIndex?: boolean;
  fileSystem: StoreFileSystem;
  signer?: Signer | undefined;
  branch?: {
    segments: PendingSegment[];
    table: VectorTable;
    link: BranchLink;
    parent: ParentView;
    fields: FieldTable;
  };
}

/** A file being created: its writer lock, and the private name its bytes go to first. */
interface ReservedFile {
  lock: WriterLock;
  tmp: string;
  fh: StoreFileHandle;
}

const pathExists = (path: string) =>
  rvfError('PathExists', `cannot create ${path}: the path already exists (open it instead)`, { path });

/** Create and branch never overwrite: refused before any lock is taken or byte written. */
async function refuseExisting(path: string): Promise<void> {
  const exists = await fs.stat(path).then(
    () => true,
    () => false,
  );
  if (exists) throw pathExists(path);
}

interface PendingSegment {
  segType: number;
  payload: Uint8Array;
  /** The payload's content hash, when already computed (saves a pass over it). */
  contentHash?: Uint8Array;
}

/**
 * An RVF store: one append-only file, a snapshot of it in memory, and one commit path.
 * Every write is: append data segments → fsync → append MANIFEST → fsync → publish the
 * new snapshot in memory. A failed write leaves the snapshot as it was.
 */
export class RvfStore {
  private table!: VectorTable;
  private fields!: FieldTable;
  private state: StoreState = { ...DEFAULT_STATE };
  private manifest!: Manifest;
  /** The current manifest's own directory entry (it is not in its own directory). */
  private manifestEntry!: DirectoryEntry;
  private nextSegId = 1n;
  private fileEnd = 0;
  private lastWitnessPayload: Uint8Array | undefined;
  private damaged: DamagedSegment[] = [];
  private closed = false;
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** Foreground operations in flight (see whenIdle). */
  private busy = 0;
  private engine!: QueryEngine;
  private indexThreshold = 1024;
  private onIndexProgress: IndexProgress | undefined;
  private deferIndex = false;
  private link: BranchLink | undefined;
  private parent: ParentView | undefined;
  private parentPathOverride: string | undefined;
  /** False while the file is still private (being created): one fsync before it is published. */
  private syncEachCommit = true;
  /** Complete segments found after the manifest at open that the next commit will list. */
  private adopted: DirectoryEntry[] = [];
  /** Signs every segment this handle writes (CreateOptions.signingKey). */
  private signer: Signer | undefined;

  private constructor(
    readonly path: string,
    private fh: StoreFileHandle,
    readonly readOnly: boolean,
    private readonly lock: WriterLock | undefined,
    private readonly clock: () => bigint,
    private readonly recover: boolean,
    private readonly fsys: StoreFileSystem,
  ) {}

  // ---------------------------------------------------------------- lifecycle

  static async create(path: string, options: CreateOptions): Promise<RvfStore> {
    const { dimension } = options ?? ({} as CreateOptions);
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > 0xffff) {
      throw rvfError(
        'InvalidArgument',
        `dimension must be an integer from 1 to 65535, got ${String(dimension)}`,
      );
    }
    const metric = options.metric ?? 'l2';
    if (!isMetric(metric))
      throw rvfError('MetricUnsupported', `unknown metric '${String(metric)}' (l2, inner_product, cosine)`);
    const profile = options.profile ?? 0;
    if (!Number.isInteger(profile) || profile < 0 || profile > 255)
      throw rvfError('InvalidArgument', `profile ${profile} is not a u8`);
    const state: StoreState = {
      ...DEFAULT_STATE,
      // hnswlib takes M from 2 to 10000; anything else would fail only at the first build.
      hnswM: positiveInt(options.m, DEFAULT_STATE.hnswM, 'm', 2, 10_000),
      hnswEfConstruction: positiveInt(
        options.efConstruction,
        DEFAULT_STATE.hnswEfConstruction,
        'efConstruction',
      ),
      hnswEfSearch: positiveInt(options.efSearch, DEFAULT_STATE.hnswEfSearch, 'efSearch'),
    };
    const clock = options.clock ?? wallClockNs;
    return RvfStore.createFile(path, {
      dimension,
      metric,
      profile,
      identity: rootIdentityFields(options.fileId ?? makeFileId(path, clock())),
      state,
      clock,
      ...(options.lock ? { lock: options.lock } : {}),
      ...(options.indexThreshold !== undefined ? { indexThreshold: options.indexThreshold } : {}),
      ...(options.onIndexProgress ? { onIndexProgress: options.onIndexProgress } : {}),
      ...(options.deferIndex ? { deferIndex: true } : {}),
      fileSystem: options.fileSystem ?? nodeFileSystem,
      signer: signerFrom(options.signingKey),
    });
  }

  /** Creates a file: the epoch-0 manifest, then (for a branch) its link segments in one commit. */
  private static async createFile(path: string, args: CreateArgs): Promise<RvfStore> {
    await refuseExisting(path);
    return RvfStore.publishFile(path, await RvfStore.reserveFile(path, args.fileSystem, args.lock), args);
  }

  /**
   * The first half of creating a file: its writer lock and a private file to write it under.
   * Nothing is visible at `path` yet; `publishFile` finishes, `abandonFile` undoes. (Callers
   * check `path` is free first; the link that publishes refuses a path taken since.)
   */
  private static async reserveFile(
    path: string,
    fsys: StoreFileSystem,
    lockOptions?: LockOptions,
  ): Promise<ReservedFile> {
    const lock = await acquireWriterLock(path, lockOptions);
    const tmp = `${path}.create-${Buffer.from(lock.writerId).toString('hex')}.tmp`;
    try {
      return { lock, tmp, fh: await fsys.open(tmp, 'wx+') };
    } catch (e) {
      await lock.release();
      throw ioError(e, `cannot create ${path}`);
    }
  }

  private static async abandonFile(file: ReservedFile, fsys: StoreFileSystem): Promise<void> {
    await file.fh.close().catch(() => undefined);
    await fsys.remove(file.tmp).catch(() => undefined);
    await file.lock.release();
  }

  /**
   * The file appears whole or not at all: its first commit is written under the private
   * name and hard-linked into place (which also refuses an existing path), so a crash
   * mid-create never leaves an empty or half-written file that neither open nor create
   * would accept.
   */
  private static async publishFile(path: string, file: ReservedFile, args: CreateArgs): Promise<RvfStore> {
    const { fh, lock, tmp } = file;
    const fsys = args.fileSystem;
    try {
      const store = new RvfStore(path, fh, false, lock, args.clock, false, fsys);
      store.indexThreshold = args.indexThreshold ?? store.indexThreshold;
      store.onIndexProgress = args.onIndexProgress;
      store.deferIndex = args.deferIndex ?? false;
      store.signer = args.signer;
      store.syncEachCommit = false; // nobody can see the file yet: one fsync before the link
      await store.initEmpty(args);
      if (args.branch) {
        await store.commit(args.branch.segments, { epoch: 0, deletedIds: new Set(), totalVectors: 0 });
        store.table = args.branch.table;
        store.fields = args.branch.fields;
        store.link = args.branch.link;
        store.parent = args.branch.parent;
      }
      store.syncEachCommit = true;
      try {
        await fh.sync();
        await fsys.link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw pathExists(path);
        throw ioError(e, `cannot create ${path}`);
      }
      // Published: from here the file is the caller's store even if tidying up fails.
      await fsys.remove(tmp).catch(() => undefined);
      await fsys.syncDir(path).catch(() => undefined);
      store.startEngine(undefined, args.branch?.parent);
      return store;
    } catch (e) {
      await RvfStore.abandonFile(file, fsys);
      throw e;
    }
  }

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
    const signer = readOnly ? undefined : signerFrom(options.signingKey);
    let fh: StoreFileHandle;
    try {
      fh = await fsys.open(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw rvfError('ManifestNotFound', `${path} does not exist`, { path });
      // A file system that already said what is wrong (a remote 404, say) is taken at its word.
      throw RvfError.is(e) ? e : ioError(e, `cannot open ${path}`);
    }
    let lock: WriterLock | undefined;
    try {
      if (!readOnly) lock = await acquireWriterLock(path, options.lock);
      const store = new RvfStore(
        path,
        fh,
        readOnly,
        lock,
        options.clock ?? wallClockNs,
        options.recover ?? false,
        fsys,
      );
      store.parentPathOverride = options.parentPath;
      store.indexThreshold = options.indexThreshold ?? store.indexThreshold;
      store.onIndexProgress = options.onIndexProgress;
      store.deferIndex = options.deferIndex ?? false;
      store.signer = signer;
      // Opening counts as foreground work: background index loading starts only after it,
      // and after whatever the caller does right away (see whenIdle).
      store.busy++;
      try {
        await store.load({ fence: !readOnly });
      } finally {
        store.busy--;
      }
      return store;
    } catch (e) {
      await fh.close().catch(() => undefined);
      await lock?.release();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writeQueue.catch(() => undefined);
    // Whether a branch child's graph is its parent's is known once the seed has loaded: a
    // child closed right after branch() must not save a whole graph of its own meanwhile.
    if (this.link && !this.deferIndex) await this.graphs.whenLoaded();
    if (!this.readOnly && !this.state.frozen && this.engine && !this.graphIsParents()) {
      // The graph is finished and saved here unless deferred (see CreateOptions.deferIndex).
      const blob = await this.graphs.blobForClose(this.deferIndex).catch(() => undefined);
      if (blob) await this.exclusive(() => this.persistGraph(blob)).catch(() => undefined);
    }
    this.engine?.maintainer.close();
    this.closed = true;
    await this.fh.close();
    await this.lock?.release();
  }

  /** Read-only handles: pick up epochs committed since open (or the file a compaction put in place). */
  async refresh(): Promise<boolean> {
    this.assertOpen();
    const st = await this.fsys.stat(this.path);
    const mine = await this.fh.stat();
    // A new file in place (compaction), or a remote file that grew: its handle sees only
    // what was there when it was opened, so it is opened again.
    if (st.ino !== mine.ino || (this.fh.fd < 0 && st.size !== mine.size)) {
      await this.fh.close();
      this.fh = await this.fsys.open(this.path, this.readOnly ? 'r' : 'r+');
    } else if (st.size === this.fileEnd) {
      return false;
    }
    const before = this.manifestEntry.offset;
    await this.load();
    return this.manifestEntry.offset !== before || st.ino !== mine.ino;
  }

  // ---------------------------------------------------------------- reading

  get dimension(): number {
    return this.manifest.dimension;
  }

  get metric(): Metric {
    return metricFromCode(this.manifest.metricCode);
  }

  get epoch(): number {
    return this.manifest.epoch;
  }

  get fileId(): string {
    return hexOf(this.identity.fileId);
  }

  get parentId(): string {
    return hexOf(this.identity.parentId);
  }

  get lineageDepth(): number {
    return this.identity.lineageDepth;
  }

  get frozen(): boolean {
    return this.state.frozen;
  }

  private get identity(): FileIdentity {
    return this.manifest.identity ?? rootIdentityFields(new Uint8Array(16));
  }

  /** The field-name table (names given in the object metadata form). */
  fieldNames(): { fieldId: number; name: string }[] {
    return this.fields.entries();
  }

  async query(vector: VectorInput, k: number, options: QueryOptions = {}): Promise<QueryResult[]> {
    this.assertOpen();
    const q = toQueryVector(vector, this.dimension);
    if (!Number.isInteger(k) || k < 1)
      throw rvfError('InvalidArgument', `k must be a positive integer, got ${String(k)}`);
    const filter = options.filter === undefined ? undefined : parseFilter(options.filter, this.fields);
    if (options.plan !== undefined && !['auto', 'exact', 'hnsw'].includes(options.plan)) {
      throw rvfError(
        'InvalidArgument',
        `plan must be 'auto', 'exact' or 'hnsw', got ${String(options.plan)}`,
      );
    }
    if (options.efSearch !== undefined && (!Number.isInteger(options.efSearch) || options.efSearch < 1)) {
      throw rvfError(
        'InvalidArgument',
        `efSearch must be a positive integer, got ${String(options.efSearch)}`,
      );
    }
    // While a graph loads or builds off the event loop, give the loop one turn per query so
    // that work lands even when queries come back to back (they would otherwise all run on
    // microtasks and starve it). Metadata decoding is not worth it: until idle time comes,
    // results read metadata lazily instead.
    if (this.graphs.inFlight) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.assertOpen();
    }
    const table = this.table;
    const hits = this.engine.search(q, k, filter, options.efSearch, options.plan ?? 'auto');
    const withMeta = options.includeMetadata ?? true;
    const fields = this.fields;
    // Metadata not decoded yet (a fresh open) stays so until a result's metadata is read;
    // the results then read a copy-on-write snapshot, so later writes do not show through.
    const snapshot = table.metadata.pending ? table.metadata.fork() : undefined;
    return hits.map(({ ordinal, distance }): QueryResult => {
      const id = table.idOf(ordinal);
      if (!withMeta) return { id, distance };
      if (snapshot) return lazyMetadataResult(id, distance, fields, () => snapshot.get(ordinal));
      // Decoded metadata is converted right away: copying a record's cached object form
      // costs far less than a lazy getter's closure per result.
      const metadata = table.metadata.objectOf(ordinal, fields);
      return metadata === undefined ? { id, distance } : { id, distance, metadata };
    });
  }

  /** The live vector and metadata stored under an id, or undefined. */
  get(id: IdInput): { vector: Float32Array; metadata?: Record<string, MetaScalar> } | undefined {
    this.assertOpen();
    const key = toIdKey(id);
    const ord = this.table.ordinalOf.get(key);
    if (ord === undefined || !this.table.isLive(ord)) return undefined;
    const metadata = this.table.metadata.objectOf(ord, this.fields);
    return {
      vector: this.table.vectorOf(ord).slice(),
      ...(metadata ? { metadata } : {}),
    };
  }

  status(): StoreStatus {
    this.assertOpen();
    const t = this.table;
    return {
      totalVectors: t.liveCount,
      ownVectors: t.ownCount - t.deleted.size,
      totalSegments: this.manifest.directory.length,
      fileSize: this.fileEnd,
      currentEpoch: this.manifest.epoch,
      profileId: this.manifest.profileId,
      compactionState: 'idle',
      deadSpaceRatio: t.ownCount === 0 ? 0 : t.deleted.size / t.ownCount,
      readOnly: this.readOnly || this.state.frozen,
      frozen: this.state.frozen,
      dimension: this.dimension,
      metric: this.metric,
      engine: this.engine.status(),
      damagedSegments: [...this.damaged],
    };
  }

  segments(): SegmentInfo[] {
    this.assertOpen();
    return this.manifest.directory.map((e) => ({
      id: Number(e.segId),
      offset: e.offset,
      payloadLength: e.payloadLength,
      segType: segmentTypeName(e.segType),
    }));
  }

  /** Walks every committed witness and reports chains, link kinds and the first broken link. */
  async verifyWitness(): Promise<WitnessReport> {
    this.assertOpen();
    return verifyWitnesses(this.source(), this.manifest.directory);
  }

  /**
   * Checks every RVFJS_SIGNATURE segment against the segment it signs, and reports who signed
   * and how many segments no signature covers. `valid` is false if any signature does not
   * verify (a segment changed after it was signed, or a forged signature), names a segment
   * the directory does not list there, or, with `signer`, was made by another key.
   */
  async verifySignatures(options: { signer?: Uint8Array } = {}): Promise<SignatureReport> {
    this.assertOpen();
    return verifySignatures(this.source(), this.manifest.directory, options.signer);
  }

  // ---------------------------------------------------------------- writing

  async ingestBatch(
    vectors: VectorsInput,
    ids: readonly IdInput[] | BigUint64Array,
    metadata?: MetadataInput,
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    return this.exclusive(async () => {
      this.assertWritable();
      const dim = this.dimension;
      const keys = toIdKeys(ids);
      const rowCount = Array.isArray(vectors) ? vectors.length : (vectors as Float32Array).length / dim;
      if (Number.isInteger(rowCount) && rowCount !== keys.length) {
        throw rvfError('DimensionMismatch', `${rowCount} vectors but ${keys.length} ids`);
      }
      const flat = flattenVectors(vectors, dim, options);
      // Names go into a copy, taken up only if the commit succeeds. The ids already in use
      // are collected (a scan of every record) only if a new name needs an id.
      const fields = this.fields.clone();
      let used: Set<number> | undefined;
      const grouped = groupMetadata(metadata, keys.length, fields, {
        has: (id) => {
          used ??= this.usedFieldIds();
          return used.has(id);
        },
      });
      const acceptedKeys = flat.keptRows.map((r) => keys[r]!);
      const acceptedMeta = flat.keptRows.map((r) => grouped.perVector[r]);
      if (flat.count === 0) return { accepted: 0, rejected: flat.rejectedRows.length, epoch: this.epoch };

      const epoch = this.epoch + 1;
      const vecPayload = encodeVecPayload({
        dimension: dim,
        ids: BigUint64Array.from(acceptedKeys, keyToBigint),
        vectors: flat.flat,
      });
      // commit() numbers segments from nextSegId in order, and the VEC segment goes first.
      const vecCompanion = { segId: this.nextSegId, contentHash: contentHash(vecPayload) };
      const segs: PendingSegment[] = [
        { segType: SegmentType.Vec, payload: vecPayload, contentHash: vecCompanion.contentHash },
      ];
      if (grouped.namesAdded)
        segs.push({
          segType: SegmentType.RvfjsFieldNames,
          payload: encodeFieldNamesPayload(fields.entries()),
        });
      // Metadata is written when the batch has some, or when it replaces vectors that had some.
      const needsMeta = acceptedKeys.some((key, i) => {
        const ord = this.table.ordinalOf.get(key);
        return (
          acceptedMeta[i] !== undefined || (ord !== undefined && this.table.metadata.get(ord) !== undefined)
        );
      });
      if (needsMeta) {
        const fingerprints = vecPayloadFingerprints(vecPayload);
        const records: MetadataRecord[] = acceptedKeys.map((key, i) => ({
          id: keyToBigint(key),
          fingerprint: fingerprints[i]!,
          fields: acceptedMeta[i] ?? [],
        }));
        segs.push({
          segType: SegmentType.RvfjsMetadata,
          payload: encodeMetadataPayload(records, vecCompanion),
        });
      }
      const action = `ingest:count=${flat.count},epoch=${epoch}`;
      const witness = this.witness(WitnessType.Computation, action);
      segs.push({ segType: SegmentType.Witness, payload: witness });

      // Re-ingesting a deleted id makes it visible again (the reference keeps it hidden).
      const deleted = new Set(this.table.deleted);
      for (const key of acceptedKeys) deleted.delete(key);
      await this.commit(segs, {
        epoch,
        deletedIds: deleted,
        totalVectors: this.table.ownCount + this.countNotOwned(acceptedKeys),
        vectorsChanged: true,
      });

      const t = this.table;
      const ords = t.putBlock(acceptedKeys, flat.flat);
      ords.forEach((ord, i) => {
        t.metadata.set(ord, acceptedMeta[i]);
        t.undelete(acceptedKeys[i]!);
      });
      this.graphs.added(Array.from(ords));
      // Kept as it was otherwise, so caches keyed on the field table (result objects) stay.
      if (grouped.namesAdded) this.fields = fields;
      this.lastWitnessPayload = witness;
      return { accepted: flat.count, rejected: flat.rejectedRows.length, epoch };
    });
  }

  async delete(ids: readonly IdInput[] | BigUint64Array): Promise<DeleteResult> {
    return this.exclusive(async () => {
      this.assertWritable();
      const keys = toIdKeys(ids);
      return this.commitDelete(keys);
    });
  }

  async deleteByFilter(filter: FilterInput | string): Promise<DeleteResult> {
    return this.exclusive(async () => {
      this.assertWritable();
      const f: Filter = parseFilter(filter, this.fields);
      const t = this.table;
      const keys: IdKey[] = [];
      for (let ord = 0; ord < t.count; ord++)
        if (t.isLive(ord) && matches(f, t.metadata.get(ord))) keys.push(t.idOf(ord));
      if (keys.length === 0) return { deleted: 0, epoch: this.epoch };
      return this.commitDelete(keys);
    });
  }

  private async commitDelete(keys: IdKey[]): Promise<DeleteResult> {
    const t = this.table;
    const removed = [...new Set(keys)].filter((k) => {
      const ord = t.ordinalOf.get(k);
      return ord !== undefined && t.isLive(ord);
    });
    const epoch = this.epoch + 1;
    const journal = encodeJournalPayload(deleteJournal(epoch, keys.map(keyToBigint)));
    const witness = this.witness(WitnessType.DataProvenance, `delete:count=${removed.length},epoch=${epoch}`);
    const deleted = new Set(t.deleted);
    const ownRemoved = removed.filter((k) => t.isOwn(t.ordinalOf.get(k)!));
    for (const k of ownRemoved) deleted.add(k);
    const segs: PendingSegment[] = [
      { segType: SegmentType.Journal, payload: journal },
      { segType: SegmentType.Witness, payload: witness },
    ];
    // A branch hides inherited ids by clearing their membership bits (as the reference does).
    let membership: Uint8Array | undefined;
    if (t.membership) {
      membership = t.membership.slice();
      for (const k of keys) if (typeof k === 'number') bitmapSet(membership, k, false);
      if (!sameBytes(membership, t.membership)) segs.push(this.membershipSegment(membership));
    }
    await this.commit(segs, { epoch, deletedIds: deleted, totalVectors: t.ownCount, vectorsChanged: true });
    t.hide(ownRemoved, membership, removed);
    this.graphs.hidden(removed.map((k) => t.ordinalOf.get(k)!));
    this.lastWitnessPayload = witness;
    return { deleted: removed.length, epoch };
  }

  /**
   * Rewrites the file with only live vectors (temp file, fsync, rename, as the reference
   * does). Segments rvfjs does not own are copied byte-for-byte with their ids; witnesses
   * are kept so the chain goes on; our own extensions are written afresh for the live set.
   */
  async compact(
    options: {
      force?: boolean;
      /** Called as the new file is written: bytes written so far, of the file's total. */
      onProgress?: (done: number, total: number) => void;
    } = {},
  ): Promise<CompactResult> {
    return this.exclusive(async () => {
      this.assertWritable();
      if (this.state.branchCount > 0 && !options.force) {
        throw rvfError(
          'LineageBroken',
          `${this.path} has ${this.state.branchCount} branch child(ren) pinned to its current layout; compacting would break them (pass { force: true } to compact anyway)`,
        );
      }
      const t = this.table;
      const source = this.source();
      const dim = this.dimension;
      const live: number[] = [];
      for (let ord = 0; ord < t.count; ord++) if (t.isOwn(ord) && !t.deleted.has(t.idOf(ord))) live.push(ord);
      live.sort((a, b) => cmpKeys(t.idOf(a), t.idOf(b)));
      const purged = t.ownCount - live.length;
      const epoch = this.epoch + 1;

      const parts: Uint8Array[] = [];
      const directory: DirectoryEntry[] = [];
      let offset = 0;
      let nextId = 1n;
      const placed: SignedTarget[] = [];
      const place = (segType: number, segId: bigint, bytes: Uint8Array) => {
        directory.push({ segId, offset, payloadLength: bytes.length - 64, segType });
        parts.push(bytes);
        placed.push({ offset, segId, bytes });
        offset += bytes.length;
        if (segId >= nextId) nextId = segId + 1n;
      };
      const fresh = (segType: number, payload: Uint8Array) =>
        place(segType, nextId, encodeSegment(segType, nextId, payload));

      let vecCompanion: MetadataCompanion | undefined;
      if (live.length > 0) {
        const vecs = new Float32Array(live.length * dim);
        for (let i = 0; i < live.length; i++) vecs.set(t.vectorOf(live[i]!), i * dim);
        const vecPayload = encodeVecPayload({
          dimension: dim,
          ids: BigUint64Array.from(live, (o) => keyToBigint(t.idOf(o))),
          vectors: vecs,
        });
        vecCompanion = { segId: nextId, contentHash: contentHash(vecPayload) };
        fresh(SegmentType.Vec, vecPayload);
      }
      const rewritten = new Set<number>([
        SegmentType.Vec,
        SegmentType.Manifest,
        SegmentType.Journal,
        SegmentType.RvfjsMetadata,
        SegmentType.RvfjsFieldNames,
        SegmentType.RvfjsState,
        SegmentType.RvfjsHnswGraph,
        // The reference's saved graph would be stale; it rebuilds without one.
        SegmentType.Index,
        // Signatures name their segments' offsets, which compaction changes; a signing
        // handle signs the new file below.
        SegmentType.RvfjsSignature,
      ]);
      // Listed segments and those adopted at open (foreign ones, the reference's compaction witness).
      // A branch's link is read from the last COW_MAP, MEMBERSHIP and pin: keep only those.
      const listed = [...this.manifest.directory, ...this.adopted];
      const lastOfType = new Map<number, DirectoryEntry>();
      for (const e of listed) lastOfType.set(e.segType, e);
      const linkTypes = new Set<number>([
        SegmentType.CowMap,
        SegmentType.Membership,
        SegmentType.RvfjsBranchPin,
      ]);
      for (const entry of listed) {
        if (rewritten.has(entry.segType)) continue;
        if (linkTypes.has(entry.segType) && lastOfType.get(entry.segType) !== entry) continue;
        // Verified before it is copied: compaction must not launder a damaged segment.
        place(entry.segType, entry.segId, (await readSegmentAt(source, entry)).raw);
      }
      if (this.fields.size > 0)
        fresh(SegmentType.RvfjsFieldNames, encodeFieldNamesPayload(this.fields.entries()));
      const metaRecords: MetadataRecord[] = [];
      for (const ord of live) {
        const m = t.metadata.get(ord);
        if (m) {
          const id = keyToBigint(t.idOf(ord));
          metaRecords.push({ id, fingerprint: vectorFingerprint(id, t.vectorOf(ord)), fields: m });
        }
      }
      if (metaRecords.length > 0)
        fresh(SegmentType.RvfjsMetadata, encodeMetadataPayload(metaRecords, vecCompanion));
      const state = { ...this.state, branchCount: 0 };
      if (!sameState(state, DEFAULT_STATE)) fresh(SegmentType.RvfjsState, encodeStatePayload(state));
      const action = `compact:segments_compacted=${purged},bytes_reclaimed=${purged * dim * 4},epoch=${epoch}`;
      const witness = this.witness(WitnessType.Computation, action);
      fresh(SegmentType.Witness, witness);
      if (this.signer) {
        for (const payload of signaturePayloads(this.signer, [...placed]))
          fresh(SegmentType.RvfjsSignature, payload);
      }
      const manifest: Manifest = {
        ...this.manifest,
        epoch,
        totalVectors: BigInt(live.length),
        directory,
        deletedIds: [],
      };
      const mPayload = encodeManifestPayload(manifest);
      parts.push(encodeSegment(SegmentType.Manifest, nextId, mPayload));

      const tmp = `${this.path}.compact.tmp`;
      const fsys = this.fsys;
      let out: StoreFileHandle | undefined;
      try {
        await fsys.remove(tmp);
        out = await fsys.open(tmp, 'wx');
        const total = parts.reduce((n, p) => n + p.length, 0);
        let at = 0;
        options.onProgress?.(0, total);
        for (const p of parts) {
          // In slices of 4 MiB, so progress moves through the one large VEC segment too.
          for (let i = 0; i < p.length; i += COMPACT_SLICE) {
            const slice = p.subarray(i, Math.min(p.length, i + COMPACT_SLICE));
            await writeAll(out, slice, at);
            at += slice.length;
            options.onProgress?.(at, total);
          }
        }
        await out.sync();
        await out.close();
        out = undefined;
        await fsys.rename(tmp, this.path);
      } catch (e) {
        // Before the rename the old file is untouched; the rename itself is atomic.
        await out?.close().catch(() => undefined);
        await fsys.remove(tmp).catch(() => undefined);
        throw ioError(e, `compaction of ${this.path}`);
      }
      // The new file is in place (a crash from here on leaves either it or, if its name was
      // not yet durable, the old file, both complete): this handle now reads and writes it.
      await fsys.syncDir(this.path).catch(() => undefined);
      await this.fh.close();
      this.fh = await fsys.open(this.path, 'r+');
      await this.load();
      return { segmentsCompacted: purged, bytesReclaimed: purged * dim * 4, epoch };
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
    if (!this.deferIndex) await this.graphs.settle();
    return this.exclusive(async () => {
      this.assertWritable();
      const state = { ...this.state, frozen: true, frozenEpoch: this.epoch };
      const segs: PendingSegment[] = [
        { segType: SegmentType.RvfjsState, payload: encodeStatePayload(state) },
      ];
      // A branch also records it where the reference looks (COW_MAP frozen / snapshot_epoch).
      const cow = this.link ? { ...this.link.cow, frozen: true, snapshotEpoch: this.epoch } : undefined;
      if (cow) segs.push({ segType: SegmentType.CowMap, payload: encodeCowMapPayload(cow) });
      const graph = this.deferIndex || this.graphIsParents() ? undefined : this.graphs.dueSave();
      if (graph) segs.push({ segType: SegmentType.RvfjsHnswGraph, payload: graph.blob });
      await this.commit(segs, {
        epoch: this.epoch,
        deletedIds: this.table.deleted,
        totalVectors: this.table.ownCount,
      });
      // Memory follows the file only once the commit is durable.
      if (this.link && cow) this.link = { ...this.link, cow };
      this.state = state;
      graph?.committed();
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
   * forced; a frozen one is left untouched (see recordChild for what the reference checks).
   */
  async branch(childPath: string, options: BranchOptions = {}): Promise<RvfStore> {
    return this.exclusive(async () => {
      this.assertOpen();
      // Everything that can refuse the branch is checked before this file records a child.
      await refuseExisting(childPath);
      // Only visible ids need a bit; hidden ones are simply not members. The table keeps
      // its visible ids as a bitmap, so this costs the bitmap's size, not a pass over vectors.
      const t = this.table;
      const members = t.live.toMembership();
      if ('unrepresentable' in members) {
        throw rvfError(
          'MembershipInvalid',
          `cannot branch: id ${members.unrepresentable} is too large for a dense membership bitmap (ids must be < ${MAX_BRANCH_ID})`,
        );
      }
      const { bitmap, capacity } = members;
      // The child's lock and private file are made while this file records the child (the
      // two wait on different fsyncs); the child is published only once the record is durable.
      // A frozen file is not written at all: it can neither change nor be compacted, so its
      // children need no record, and the reference, which checks each child against a hash
      // of this file's tail, opens every one of them.
      const [reserved, recorded] = await Promise.allSettled([
        RvfStore.reserveFile(childPath, this.fsys, options.lock),
        this.state.frozen ? Promise.resolve() : this.recordChild(),
      ]);
      if (reserved.status === 'rejected') {
        // No child after all: take the record back, so compact() is not refused for it.
        if (recorded.status === 'fulfilled' && !this.state.frozen)
          await this.recordChild(-1).catch(() => undefined);
        throw reserved.reason;
      }
      if (recorded.status === 'rejected') {
        await RvfStore.abandonFile(reserved.value, this.fsys);
        throw recorded.reason;
      }
      const file = reserved.value;
      let args: CreateArgs;
      try {
        args = await this.childArgs(childPath, bitmap, capacity, options);
      } catch (e) {
        await RvfStore.abandonFile(file, this.fsys);
        throw e;
      }
      return RvfStore.publishFile(childPath, file, args);
    });
  }

  /**
   * Bookkeeping, not data (so a frozen store may do it too): one more child pins this file.
   *
   * A new child also gets the graph save this file owes, if its graph is finished and unsaved,
   * in the same commit. The reference checks a child against a hash of its parent's last
   * 64 KiB as they were at the branch, so any later append to the parent (closing would save
   * the graph) makes the reference refuse the child. A graph still building when the branch
   * is made is saved when it is done, as always; such children open here, and in the
   * reference only if the parent has finished its graph before branching (waitForIndex).
   */
  private async recordChild(change: 1 | -1 = 1): Promise<void> {
    if (this.readOnly) return;
    const state = { ...this.state, branchCount: this.state.branchCount + change };
    const graph = change === 1 && !this.graphIsParents() ? this.graphs.dueSave() : undefined;
    await this.commit(
      [
        { segType: SegmentType.RvfjsState, payload: encodeStatePayload(state) },
        ...(graph ? [{ segType: SegmentType.RvfjsHnswGraph, payload: graph.blob }] : []),
      ],
      {
        epoch: this.epoch,
        deletedIds: this.table.deleted,
        totalVectors: this.table.ownCount,
      },
    );
    this.state = state;
    graph?.committed();
  }

  /** A branch child's first contents: its link to this file as it is now, and its table. */
  private async childArgs(
    childPath: string,
    bitmap: Uint8Array,
    capacity: number,
    options: BranchOptions,
  ): Promise<CreateArgs> {
    const t = this.table;
    const { source, parentHash } = await this.currentTailHash();
    const manifestRaw = await source.read(this.manifestEntry.offset, 64 + this.manifestEntry.payloadLength);
    const cow = branchCowMap({
      dimension: this.dimension,
      parentVectorCount: t.count,
      baseFileId: this.identity.fileId,
      baseFileHash: parentHash,
      parentPath: relativeParentPath(childPath, this.path),
    });
    const pin = {
      parentEpoch: this.epoch,
      manifestOffset: this.manifestEntry.offset,
      manifestPayloadLength: this.manifestEntry.payloadLength,
      manifestDigest: shake256_256(manifestRaw),
      parentFileId: this.identity.fileId,
    };
    const clock = options.clock ?? this.clock;
    // The child seeds its index from this file's saved graph, read lazily in the background.
    const parentGraph = this.graphs.savedGraphCurrent
      ? savedGraphReader(this.path, this.manifest.directory)
      : undefined;
    const childState = { ...this.state, frozen: false, frozenEpoch: 0, branchCount: 0 };
    const link: BranchLink = { cow, membership: membershipOf(bitmap, BigInt(capacity)), pin };
    const segments: PendingSegment[] = [
      { segType: SegmentType.CowMap, payload: encodeCowMapPayload(cow) },
      { segType: SegmentType.Membership, payload: encodeMembershipPayload(link.membership) },
      { segType: SegmentType.RvfjsBranchPin, payload: encodeBranchPinPayload(pin) },
    ];
    if (!sameState(childState, DEFAULT_STATE))
      segments.push({ segType: SegmentType.RvfjsState, payload: encodeStatePayload(childState) });
    return {
      dimension: this.dimension,
      metric: this.metric,
      profile: this.manifest.profileId,
      identity: this.childIdentity(childPath, clock, parentHash),
      state: childState,
      clock,
      indexThreshold: this.indexThreshold,
      ...(this.onIndexProgress ? { onIndexProgress: this.onIndexProgress } : {}),
      ...(this.deferIndex ? { deferIndex: true } : {}),
      ...(options.lock ? { lock: options.lock } : {}),
      fileSystem: this.fsys,
      signer: this.signer,
      branch: {
        segments,
        table: t.forkForChild(bitmap, true),
        link,
        parent: {
          path: this.path,
          table: t,
          fields: this.fields,
          fileId: this.identity.fileId,
          depth: this.lineageDepth,
          ...(parentGraph ? { graph: parentGraph } : {}),
        },
        fields: this.fields.clone(),
      },
    };
  }

  /** The reference's lineage-only child: a new empty store that records this file as its parent. */
  async derive(childPath: string, options: BranchOptions = {}): Promise<RvfStore> {
    this.assertOpen();
    const { parentHash } = await this.currentTailHash();
    const clock = options.clock ?? this.clock;
    return RvfStore.createFile(childPath, {
      dimension: this.dimension,
      metric: this.metric,
      profile: this.manifest.profileId,
      identity: this.childIdentity(childPath, clock, parentHash),
      state: { ...this.state, frozen: false, frozenEpoch: 0, branchCount: 0 },
      clock,
      ...(options.lock ? { lock: options.lock } : {}),
      fileSystem: this.fsys,
    });
  }

  /**
   * Records a moved parent's new location. The parent at `parentPath` is verified (file id,
   * and the pinned manifest or tail hash) before a new COW_MAP naming it is committed.
   */
  async relinkParent(parentPath: string): Promise<void> {
    return this.exclusive(async () => {
      this.assertWritable();
      if (!this.link || !this.manifest.identity)
        throw rvfError('LineageBroken', `${this.path} is not a branch`);
      await loadParentView(this.path, this.manifest.identity, this.link, { parentPath });
      const cow = { ...this.link.cow, parentPath: relativeParentPath(this.path, parentPath) };
      await this.commit([{ segType: SegmentType.CowMap, payload: encodeCowMapPayload(cow) }], {
        epoch: this.epoch,
        deletedIds: this.table.deleted,
        totalVectors: this.table.ownCount,
      });
      this.link = { ...this.link, cow };
      if (this.parent) this.parent = { ...this.parent, path: parentPath };
    });
  }

  /** parent_hash as the reference computes it: simple_hash of this file's last 64 KiB, now. */
  private async currentTailHash(): Promise<{ source: ByteSource; parentHash: Uint8Array }> {
    const size = (await this.fh.stat()).size;
    const source = fileHandleSource(this.fh, size);
    return {
      source,
      parentHash: tailHash(await source.read(Math.max(0, size - 65536), Math.min(size, 65536))),
    };
  }

  /** The identity of a new child of this file (branch or derive). */
  private childIdentity(childPath: string, clock: () => bigint, parentHash: Uint8Array): FileIdentity {
    return {
      fileId: makeFileId(childPath, clock()),
      parentId: this.identity.fileId,
      parentHash,
      lineageDepth: this.lineageDepth + 1,
    };
  }

  /** Copy-on-write statistics of a branch, or undefined for a store that is not one. */
  cowStats(): CowStats | undefined {
    this.assertOpen();
    if (!this.link || !this.parent) return undefined;
    const { cow } = this.link;
    const vpc = cow.vectorsPerCluster;
    const t = this.table;
    const local = new Set<number>();
    for (let ord = 0; ord < this.parent.table.count; ord++) {
      if (t.isOwn(ord) || !t.isLive(ord)) local.add(Math.floor(ord / vpc));
    }
    return {
      clusterCount: cow.entries.length,
      localClusters: local.size,
      inheritedClusters: cow.entries.length - local.size,
      clusterSizeBytes: cow.clusterSizeBytes,
      vectorsPerCluster: vpc,
      frozen: cow.frozen || this.state.frozen,
    };
  }

  /** The branch's membership filter (which inherited ids it can see), or undefined for a root store. */
  membershipFilter(): MembershipInfo | undefined {
    this.assertOpen();
    const bitmap = this.table.membership;
    if (!bitmap || !this.link) return undefined;
    return {
      mode: 'include',
      memberCount: bitmapCount(bitmap),
      vectorCount: Number(this.link.membership.vectorCount),
    };
  }

  /** Path of the parent file this branch reads, or undefined. */
  get parentPath(): string | undefined {
    return this.parent?.path;
  }

  // ---------------------------------------------------------------- copies and export

  /**
   * Streams every visible vector as NDJSON (`{ id, vector, metadata? }` + newline per record),
   * all from one epoch: writes on this handle wait until the stream is finished or abandoned.
   */
  async *export(): AsyncGenerator<string> {
    this.assertOpen();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await new Promise<void>((entered) => {
      void this.exclusive(async () => {
        entered();
        await gate;
      });
    });
    try {
      const t = this.table;
      for (let ord = 0; ord < t.count; ord++) {
        if (!t.isLive(ord)) continue;
        const meta = t.metadata.get(ord);
        yield `${recordLine(t.idOf(ord), t.vectorOf(ord), meta ? metadataToObject(meta, this.fields) : undefined)}\n`;
      }
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
    const batchSize = options.batchSize ?? 10_000;
    let vectors: number[][] = [];
    let ids: IdKey[] = [];
    let metas: (Record<string, MetaScalar> | undefined)[] = [];
    let accepted = 0;
    const flush = async () => {
      if (ids.length === 0) return;
      const hasMeta = metas.some((m) => m !== undefined);
      accepted += (await this.ingestBatch(vectors, ids, hasMeta ? metas : undefined)).accepted;
      vectors = [];
      ids = [];
      metas = [];
    };
    let lineNo = 0;
    const input = Array.isArray(source)
      ? (source as readonly string[])
      : lines(source as AsyncIterable<string | Uint8Array>);
    for await (const line of input) {
      lineNo++;
      if (line.trim() === '') continue;
      const rec = parseRecordLine(line, lineNo);
      vectors.push(rec.vector);
      ids.push(rec.id);
      metas.push(rec.metadata);
      if (ids.length >= batchSize) await flush();
    }
    await flush();
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
    const out = await RvfStore.create(dest, {
      dimension: this.dimension,
      metric: this.metric,
      profile: this.manifest.profileId,
      m: this.state.hnswM,
      efConstruction: this.state.hnswEfConstruction,
      efSearch: this.state.hnswEfSearch,
      clock: this.clock,
      fileSystem: this.fsys,
    });
    try {
      await out.import(this.export());
    } catch (e) {
      await out.close();
      await this.fsys.remove(dest);
      throw e;
    }
    return out;
  }

  // ---------------------------------------------------------------- internals

  private source(): ByteSource {
    return fileHandleSource(this.fh, this.fileEnd);
  }

  private async initEmpty(args: {
    dimension: number;
    metric: Metric;
    profile: number;
    identity: FileIdentity;
    state: StoreState;
  }): Promise<void> {
    const manifest: Manifest = {
      epoch: 0,
      dimension: args.dimension,
      totalVectors: 0n,
      profileId: args.profile,
      metricCode: MetricCode[args.metric],
      directory: [],
      deletedIds: [],
      identity: args.identity,
    };
    const payload = encodeManifestPayload(manifest);
    const bytes = encodeSegment(SegmentType.Manifest, 1n, payload);
    try {
      await writeAll(this.fh, bytes, 0);
      if (this.syncEachCommit) await this.fh.sync();
    } catch (e) {
      throw ioError(e, `cannot write ${this.path}`);
    }
    this.manifest = manifest;
    this.manifestEntry = {
      segId: 1n,
      offset: 0,
      payloadLength: payload.length,
      segType: SegmentType.Manifest,
    };
    this.nextSegId = 2n;
    this.fileEnd = bytes.length;
    this.table = new VectorTable(args.dimension);
    this.fields = new FieldTable();
    this.state = args.state;
    // Non-default index parameters are persisted right away, so a reopen uses them.
    if (!sameState(args.state, DEFAULT_STATE)) {
      await this.commit([{ segType: SegmentType.RvfjsState, payload: encodeStatePayload(args.state) }], {
        epoch: 0,
        deletedIds: new Set(),
        totalVectors: 0,
      });
    }
  }

  /**
   * Reads the latest manifest and everything it names, then starts the background work (graph
   * load or build, metadata decoding). With `fence`, a writer's torn tail is cut first: the
   * background work may commit (a graph save), and must not find, or race, a tail being cut.
   */
  private async load(opts: { fence?: boolean } = {}): Promise<void> {
    const size = (await this.fh.stat()).size;
    const source = localFileSource(this.fh, size);
    let found: FoundManifest;
    try {
      found = await findLatestManifest(source);
    } catch (e) {
      if (RvfError.is(e)) {
        const head = size >= 4 ? await source.read(0, 4) : new Uint8Array(0);
        const looksRvf =
          head.length === 4 && head[0] === 0x53 && head[1] === 0x46 && head[2] === 0x56 && head[3] === 0x52;
        throw rvfError(
          'ManifestNotFound',
          looksRvf
            ? `${this.path}: no intact MANIFEST segment found; the file is damaged (${e.message})`
            : `${this.path} is not an RVF file (${size} bytes, no RVF segment at offset 0 and no manifest)`,
          { path: this.path },
        );
      }
      throw e;
    }
    const loaded = await loadLayer(this.path, localFileSource(this.fh, found.end), found, new Set(), {
      recover: this.recover,
      ...(this.parentPathOverride ? { parentPath: this.parentPathOverride } : {}),
    });
    this.link = loaded.link;
    this.parent = loaded.parent;
    this.manifest = found.manifest;
    this.manifestEntry = {
      segId: found.header.segmentId,
      offset: found.offset,
      payloadLength: found.header.payloadLength,
      segType: SegmentType.Manifest,
    };
    this.table = loaded.table;
    this.fields = loaded.fields;
    this.state = loaded.state ?? { ...DEFAULT_STATE };
    this.damaged = loaded.damaged;
    let maxId = 0n;
    for (const e of found.manifest.directory) if (e.segId > maxId) maxId = e.segId;
    this.nextSegId = maxId + 1n;
    this.fileEnd = size;
    this.lastWitnessPayload = loaded.lastWitness
      ? (await readSegmentAt(localFileSource(this.fh, found.end), loaded.lastWitness)).payload.slice()
      : undefined;
    const graphEntry = loaded.latest.get(SegmentType.RvfjsHnswGraph);
    // Read in the background with the rest of the graph load; a damaged one is rebuilt.
    // Shared memory: the walker reads it here while the worker prepares hnswlib's file from it.
    const graph = graphEntry
      ? async () =>
          (await readSegmentAt(fileHandleSource(this.fh, found.end), graphEntry, { shared: true })).payload
      : undefined;
    // The graph's member count, from its header (RVHN; count at byte 12) without reading the
    // rest: a close that comes before the load finishes decides from it.
    const peek = graphEntry
      ? async () => rvhnCount(await fileHandleSource(this.fh, found.end).read(graphEntry.offset + 64, 16))
      : undefined;
    if (opts.fence) await this.fenceTornTail();
    this.startEngine(graph, this.parent, peek);
    void this.decodeMetadataWhenIdle(this.table);
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
        if (this.closed || this.table !== table) return;
        table.metadata.advance();
      }
    } catch {
      // Reported by the next foreground read (see above).
    }
  }

  /**
   * After a crash the file may end in a torn segment or in complete segments of a commit
   * whose manifest never landed. Before appending, cut the tail back so new commits never
   * sit behind bytes a reader could misparse or resurrect. Two kinds of complete trailing
   * segments are kept and listed by the next commit: segments of types nobody here knows
   * (appended by another tool), and the witness the reference writes just after its
   * compaction manifest (its action names the current epoch).
   */
  private async fenceTornTail(): Promise<void> {
    const size = (await this.fh.stat()).size;
    const manifestEnd = this.manifestEntry.offset + 64 + this.manifestEntry.payloadLength;
    this.adopted = [];
    if (size > manifestEnd) {
      const tail = await fileHandleSource(this.fh, size).read(manifestEnd, size - manifestEnd);
      let keep = 0;
      for await (const item of walkSegments(bytesSource(tail), { verifyHashes: true })) {
        if (item.kind !== 'segment' || item.offset !== keep || item.hash === 'mismatch') break;
        const h = item.header;
        const payload = tail.subarray(item.offset + 64, item.offset + 64 + h.payloadLength);
        const foreign = !isKnownSegmentType(h.segType);
        const referenceWitness =
          h.segType === SegmentType.Witness && witnessEpoch(payload) === this.manifest.epoch;
        if (!foreign && !referenceWitness) break;
        this.adopted.push({
          segId: h.segmentId,
          offset: manifestEnd + item.offset,
          payloadLength: h.payloadLength,
          segType: h.segType,
        });
        if (referenceWitness) this.lastWitnessPayload = payload.slice();
        if (h.segmentId >= this.nextSegId) this.nextSegId = h.segmentId + 1n;
        keep = item.offset + 64 + h.payloadLength;
      }
      const cut = manifestEnd + keep;
      if (cut < size) {
        await this.fh.truncate(cut);
        await this.fh.sync();
      }
    }
    this.fileEnd = (await this.fh.stat()).size;
  }

  /** The one commit path: data → fsync → manifest → fsync → publish. */
  private async commit(
    segs: PendingSegment[],
    next: { epoch: number; deletedIds: ReadonlySet<IdKey>; totalVectors: number; vectorsChanged?: boolean },
  ): Promise<void> {
    const start = this.fileEnd;
    const entries: DirectoryEntry[] = [];
    const chunks: Uint8Array[] = [];
    let offset = start;
    let segId = this.nextSegId;
    const targets: SignedTarget[] = [];
    const lay = (s: PendingSegment) => {
      // Header and payload go into the write buffer as they are: one copy, not two.
      const header = encodeSegmentHeaderFor(s.segType, segId, s.payload, s.contentHash);
      entries.push({ segId, offset, payloadLength: s.payload.length, segType: s.segType });
      chunks.push(header, s.payload);
      if (this.signer) targets.push({ offset, segId, bytes: concat([header, s.payload]) });
      offset += header.length + s.payload.length;
      segId++;
    };
    for (const s of segs) lay(s);
    // Each segment's signature, in the same commit (listed by the same manifest).
    if (this.signer) {
      for (const payload of signaturePayloads(this.signer, targets))
        lay({ segType: SegmentType.RvfjsSignature, payload });
    }
    const manifest: Manifest = {
      ...this.manifest,
      epoch: next.epoch,
      totalVectors: BigInt(next.totalVectors),
      // The reference validates its saved INDEX_SEG only by the id set, so after we change
      // vectors it would answer from a stale graph: stop listing it, and it rebuilds.
      directory: [
        ...(next.vectorsChanged
          ? this.manifest.directory.filter((e) => e.segType !== SegmentType.Index)
          : this.manifest.directory),
        this.manifestEntry,
        ...this.adopted,
        ...entries,
      ],
      deletedIds: [...next.deletedIds].map(keyToBigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    };
    const mPayload = encodeManifestPayload(manifest);
    const mBytes = encodeSegment(SegmentType.Manifest, segId, mPayload);
    const data = concat(chunks);
    try {
      if (data.length > 0) {
        await writeAll(this.fh, data, start);
        if (this.syncEachCommit) await this.fh.sync();
      }
      await writeAll(this.fh, mBytes, offset);
      if (this.syncEachCommit) await this.fh.sync();
    } catch (e) {
      // Leave no torn tail behind if we can help it; the snapshot in memory is unchanged.
      await this.fh.truncate(start).catch(() => undefined);
      throw ioError(e, `commit to ${this.path}`);
    }
    this.manifest = manifest;
    this.manifestEntry = { segId, offset, payloadLength: mPayload.length, segType: SegmentType.Manifest };
    this.adopted = [];
    this.nextSegId = segId + 1n;
    this.fileEnd = offset + mBytes.length;
  }

  private startEngine(
    savedGraph: (() => Promise<Uint8Array>) | undefined,
    parent?: ParentView,
    peekSavedCount?: () => Promise<number | undefined>,
  ): void {
    this.engine?.maintainer.close();
    const engine: QueryEngine = new QueryEngine(
      this.table,
      this.metric,
      {
        m: this.state.hnswM,
        efConstruction: this.state.hnswEfConstruction,
        efSearch: this.state.hnswEfSearch,
        threshold: this.indexThreshold,
      },
      {
        onProgress: this.onIndexProgress,
        yieldTo: () => this.whenIdle(),
        // A graph finished after a compaction or refresh replaced this engine numbers the old
        // ordinals: it is dropped, not written into the new file.
        persist: this.readOnly
          ? undefined
          : (blob) =>
              this.exclusive(async () => (this.engine === engine ? this.persistGraph(blob) : undefined)),
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

  /**
   * A branch whose graph came from its parent's and that owns few of its vectors does not
   * save a copy: reopening seeds it from the parent again, which keeps the child file small.
   */
  private graphIsParents(): boolean {
    return (
      this.link !== undefined && this.graphs.seededFromParent && this.table.ownCount * 4 < this.table.count
    );
  }

  /** Persists the HNSW graph (bookkeeping: the epoch does not change). */
  private async persistGraph(blob: Uint8Array): Promise<void> {
    // A frozen file is never appended to (its children's parent hash covers its tail).
    if (this.closed || this.state.frozen) return;
    await this.commit([{ segType: SegmentType.RvfjsHnswGraph, payload: blob }], {
      epoch: this.epoch,
      deletedIds: this.table.deleted,
      totalVectors: this.table.ownCount,
    });
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

  private witness(type: number, action: string): Uint8Array {
    return witnessPayload(this.lastWitnessPayload, type, this.clock(), action);
  }

  private membershipSegment(bitmap: Uint8Array): PendingSegment {
    const capacity = this.link?.membership.vectorCount ?? BigInt(bitmap.length * 8);
    return {
      segType: SegmentType.Membership,
      payload: encodeMembershipPayload(membershipOf(bitmap, capacity)),
    };
  }

  private countNotOwned(keys: readonly IdKey[]): number {
    const seen = new Set<IdKey>();
    for (const k of keys) {
      const ord = this.table.ordinalOf.get(k);
      if (ord === undefined || !this.table.isOwn(ord)) seen.add(k);
    }
    return seen.size;
  }

  private usedFieldIds(): Set<number> {
    const used = new Set<number>();
    for (const m of this.table.metadata.all()) if (m) for (const f of m) used.add(f.fieldId);
    return used;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const tracked = async () => {
      this.busy++;
      try {
        return await fn();
      } finally {
        this.busy--;
      }
    };
    const run = this.writeQueue.then(tracked, tracked);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * A later turn of the event loop on which no write, branch or compaction is running:
   * background index work waits here, so foreground operations are not slowed by it.
   */
  private async whenIdle(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.busy === 0 || this.closed) return;
      await this.writeQueue;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw rvfError('StoreClosed', `${this.path} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw rvfError('ReadOnly', `${this.path} was opened read-only`);
    if (this.state.frozen) {
      throw rvfError(
        'SnapshotFrozen',
        `${this.path} is a frozen snapshot (epoch ${this.state.frozenEpoch}); branch from it to write`,
      );
    }
  }
}

/** Bytes compaction writes between two progress reports. */
const COMPACT_SLICE = 4 * 1024 * 1024;

function positiveInt(
  v: number | undefined,
  fallback: number,
  name: string,
  min = 1,
  max = 0xffffffff,
): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw rvfError('InvalidArgument', `${name} must be an integer from ${min} to ${max}, got ${v}`);
  return v;
}

function sameState(a: StoreState, b: StoreState): boolean {
  return (
    a.frozen === b.frozen &&
    a.frozenEpoch === b.frozenEpoch &&
    a.hnswM === b.hnswM &&
    a.hnswEfConstruction === b.hnswEfConstruction &&
    a.hnswEfSearch === b.hnswEfSearch
  );
}

/** Dense bitmaps above this many ids would be larger than a branch should ever write. */

function membershipOf(bitmap: Uint8Array, capacity: bigint): Membership {
  return {
    version: 1,
    filterType: 0,
    filterMode: 0,
    vectorCount: capacity,
    memberCount: BigInt(bitmapCount(bitmap)),
    filterOffset: 96n,
    generationId: 0,
    filterHash: simpleHash(bitmap),
    bloomOffset: 0n,
    bloomSize: 0,
    bitmap,
  };
}

/** The epoch a witness action ends with (`...,epoch=7`), or -1. */
function witnessEpoch(payload: Uint8Array): number {
  try {
    const m = /epoch=(\d+)$/.exec(decodeWitnessPayload(payload).action);
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cmpKeys(a: IdKey, b: IdKey): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A query result whose `metadata` object is built on first read (then kept), for metadata
 * not decoded yet: a query right after open does not decode every record's. An accessor in
 * the literal keeps the object's shape fast (defining the property afterwards measured
 * several times slower per query).
 */
function lazyMetadataResult(
  id: IdKey,
  distance: number,
  names: FieldTable,
  read: () => MetaValue[] | undefined,
): QueryResult {
  let obj: Record<string, MetaScalar> | undefined;
  let built = false;
  return {
    id,
    distance,
    get metadata() {
      if (!built) {
        const f = read();
        obj = f ? metadataToObject(f, names) : undefined;
        built = true;
      }
      return obj;
    },
  };
}
