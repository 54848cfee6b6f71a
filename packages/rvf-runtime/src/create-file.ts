import { existsSync } from 'node:fs';
import { type FileIdentity, isMetric, type Metric, MetricCode, rvfError, SegmentType } from '@rvfjs/types';
import { encodeStatePayload, rootIdentityFields, type StoreState } from '@rvfjs/wire';
import {
  abandonFile,
  layOutFirstCommit,
  type PendingSegment,
  pathExists,
  publishFile,
  type ReservedFile,
  reserveFile,
  writePrivateFile,
} from './commit.js';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';
import { makeFileId } from './identity.js';
import type { BranchLink, ParentView } from './lineage.js';
import { nodeFileSystem } from './local-file-system.js';
import type { LockOptions, WriterLock } from './lock.js';
import { FieldTable } from './metadata.js';
import { type Signer, signerFrom } from './signing.js';
import { DEFAULT_STATE, type Snapshot, sameState } from './snapshot.js';
import type { CreateOptions } from './store-options.js';
import { VectorTable } from './vector-table.js';

/** What creating a file needs beyond its path. */
export interface CreateArgs {
  dimension: number;
  metric: Metric;
  profile: number;
  identity: FileIdentity;
  state: StoreState;
  fileSystem: StoreFileSystem;
  signer: Signer | undefined;
  lock?: LockOptions | undefined;
  /** A branch child's first commit: its link segments, and the tables it starts from. */
  branch?: {
    segments: PendingSegment[];
    table: VectorTable;
    link: BranchLink;
    parent: ParentView;
    fields: FieldTable;
  };
}

/** A created file, published at its path: its handle, its writer lock, its first snapshot. */
export interface CreatedFile {
  fh: StoreFileHandle;
  lock: WriterLock;
  snapshot: Snapshot;
}

/** Validates create() options into what creating a root file needs. */
export async function rootCreateArgs(
  path: string,
  options: CreateOptions,
  clock: () => bigint,
): Promise<CreateArgs> {
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
  return {
    dimension,
    metric,
    profile,
    identity: rootIdentityFields(options.fileId ?? makeFileId(path, clock())),
    state,
    lock: options.lock,
    fileSystem: options.fileSystem ?? nodeFileSystem,
    signer: await signerFrom(options.signingKey),
  };
}

/** Create and branch never overwrite: refused before any lock is taken or byte written. */
export async function refuseExisting(path: string): Promise<void> {
  // One metadata syscall, made inline (see nodeFileSystem).
  if (existsSync(path)) throw pathExists(path);
}

/** Creates a file at a free path: the epoch-0 manifest, then (for a branch) its link in one commit. */
export async function createFile(path: string, args: CreateArgs): Promise<CreatedFile> {
  await refuseExisting(path);
  return writeNewFile(path, await reserveFile(path, args.fileSystem, args.lock), args);
}

/**
 * A new file's first commit, laid out in memory: the state record when it is not the default
 * (so a reopen uses the index parameters), a branch's link, and the epoch-0 manifest naming
 * them (see layOutFirstCommit). Returns the bytes for offset 0 and the snapshot they hold.
 * Writes nothing.
 */
export function layOutNewFile(args: CreateArgs): { bytes: Uint8Array; snapshot: Snapshot } {
  const segments: PendingSegment[] = [];
  if (!sameState(args.state, DEFAULT_STATE))
    segments.push({ segType: SegmentType.RvfjsState, payload: encodeStatePayload(args.state) });
  if (args.branch) segments.push(...args.branch.segments);
  const { bytes, first } = layOutFirstCommit(
    {
      epoch: 0,
      dimension: args.dimension,
      totalVectors: 0n,
      profileId: args.profile,
      metricCode: MetricCode[args.metric],
      directory: [],
      deletedIds: [],
      identity: args.identity,
    },
    segments,
    args.signer,
  );
  const branch = args.branch;
  const snapshot: Snapshot = {
    ...first,
    state: args.state,
    // A branch starts from its parent's table: no empty one.
    table: branch?.table ?? new VectorTable(args.dimension),
    fields: branch?.fields ?? new FieldTable(),
    link: branch?.link,
    parent: branch?.parent,
    lastWitness: undefined,
    adopted: [],
    damaged: [],
  };
  return { bytes, snapshot };
}

/**
 * Writes a new file under its reserved private name, fsyncs it once and publishes it (see
 * commit.ts); on any failure the reservation is undone and nothing appears at `path`.
 */
export async function writeNewFile(
  path: string,
  reserved: ReservedFile,
  args: CreateArgs,
): Promise<CreatedFile> {
  try {
    const { bytes, snapshot } = layOutNewFile(args);
    await writePrivateFile(reserved, path, bytes);
    await publishFile(reserved, path, args.fileSystem);
    return { fh: reserved.fh, lock: reserved.lock, snapshot };
  } catch (e) {
    await abandonFile(reserved, args.fileSystem);
    throw e;
  }
}

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
