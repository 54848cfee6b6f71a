import { promises as fs } from 'node:fs';
import { type FileIdentity, isMetric, type Metric, MetricCode, rvfError, SegmentType } from '@rvfjs/types';
import { encodeStatePayload, rootIdentityFields, type StoreState } from '@rvfjs/wire';
import {
  abandonFile,
  type Commit,
  layOut,
  layOutFirstManifest,
  type PendingSegment,
  pathExists,
  publishFile,
  type ReservedFile,
  reserveFile,
  writePrivateFile,
} from './commit.js';
import { nodeFileSystem, type StoreFileHandle, type StoreFileSystem } from './file-system.js';
import { makeFileId } from './identity.js';
import type { BranchLink, ParentView } from './lineage.js';
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
export function rootCreateArgs(path: string, options: CreateOptions, clock: () => bigint): CreateArgs {
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
    signer: signerFrom(options.signingKey),
  };
}

/** Create and branch never overwrite: refused before any lock is taken or byte written. */
export async function refuseExisting(path: string): Promise<void> {
  const exists = await fs.stat(path).then(
    () => true,
    () => false,
  );
  if (exists) throw pathExists(path);
}

/** Creates a file at a free path: the epoch-0 manifest, then (for a branch) its link in one commit. */
export async function createFile(path: string, args: CreateArgs): Promise<CreatedFile> {
  await refuseExisting(path);
  return writeNewFile(path, await reserveFile(path, args.fileSystem, args.lock), args);
}

/**
 * A new file's first commits, laid out in memory: the epoch-0 manifest, the state record when
 * it is not the default (so a reopen uses the index parameters), and for a branch its link in
 * one more commit. Returns the bytes for offset 0 and the snapshot they hold. Writes nothing.
 */
export function layOutNewFile(args: CreateArgs): { bytes: Uint8Array; snapshot: Snapshot } {
  const first = layOutFirstManifest({
    epoch: 0,
    dimension: args.dimension,
    totalVectors: 0n,
    profileId: args.profile,
    metricCode: MetricCode[args.metric],
    directory: [],
    deletedIds: [],
    identity: args.identity,
  });
  const chunks = [first.bytes];
  let snapshot: Snapshot = {
    ...first.first,
    state: args.state,
    // A branch starts from its parent's table (set by its link commit below): no empty one.
    table: args.branch?.table ?? new VectorTable(args.dimension),
    fields: args.branch?.fields ?? new FieldTable(),
    link: undefined,
    parent: undefined,
    lastWitness: undefined,
    adopted: [],
    damaged: [],
  };
  const add = (c: Commit) => {
    const laid = layOut(snapshot, c, args.signer);
    chunks.push(laid.bytes.data, laid.bytes.manifest);
    snapshot = laid.next;
  };
  if (!sameState(args.state, DEFAULT_STATE)) {
    add({
      segments: [{ segType: SegmentType.RvfjsState, payload: encodeStatePayload(args.state) }],
      epoch: 0,
      deletedIds: new Set(),
      totalVectors: 0,
    });
  }
  if (args.branch) {
    const { segments, table, fields, link, parent } = args.branch;
    add({
      segments,
      epoch: 0,
      deletedIds: new Set(),
      totalVectors: 0,
      next: { table, fields, link, parent },
    });
  }
  return { bytes: concatBytes(chunks), snapshot };
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

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
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
