import type { Metric } from '@rvfjs/types';
import type { StoreFileSystem } from './file-system.js';
import type { DamagedSegment } from './loader.js';
import type { LockOptions } from './lock.js';
import type { EngineStatus, IndexProgress } from './query-engine.js';
import type { HttpStoreOptions, S3StoreOptions } from './remote-file-system.js';

/** The options and answers of RvfStore's API (the concepts' own types live with them). */

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

/** Options of RvfStore.open. */
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

/** Options of branch() and derive(): the child's writer lock and clock. */
export interface BranchOptions {
  lock?: LockOptions;
  clock?: () => bigint;
}

/** What ingestBatch() did: rows accepted and rejected, and the epoch it committed. */
export interface IngestResult {
  accepted: number;
  rejected: number;
  epoch: number;
}

/** What status() reports of a handle. */
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

/** One segment the current manifest lists (see segments()). */
export interface SegmentInfo {
  id: number;
  offset: number;
  payloadLength: number;
  segType: string;
}
