/**
 * The commit module: the only code that writes, fsyncs, renames, links or truncates a store's
 * files. Every durable change goes through one of its functions, so the order of writes and
 * fsyncs is decided here and nowhere else:
 *
 * - `commit`: append data segments → fsync → append MANIFEST → fsync; returns the next snapshot.
 * - `reserveFile` (or `openPrivateFile` and a lock), `writePrivateFile`, `publishFile`,
 *   `abandonFile`: creating a file (its first
 *   commits laid out in memory, written and fsynced once under a private name, then linked
 *   into place whole).
 * - `replaceFile`: compaction's rewrite (a private file, fsync, rename over the store).
 * - `cutTail`: fencing a torn tail after a crash (truncate, fsync).
 * - `discardFile`: removing a copy that failed half-way.
 *
 * None of them touches memory the store reads: they return values, and the store swaps its
 * snapshot only when they succeed.
 */

import { randomBytes } from 'node:crypto';
import { type DirectoryEntry, type Manifest, rvfError, SegmentType } from '@rvfjs/types';
import { encodeManifestPayload, encodeSegment, encodeSegmentHeaderFor } from '@rvfjs/wire';
import { ioError, writeAll } from './file-io.js';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';
import { type IdKey, keyToBigint } from './ids.js';
import { acquireWriterLock, type LockOptions, type WriterLock } from './lock.js';
import { type SignedTarget, type Signer, signaturePayloads } from './signing.js';
import type { Snapshot } from './snapshot.js';

/** A store file open for writing, and how commits to it are made durable. */
export interface StoreFile {
  readonly path: string;
  readonly fh: StoreFileHandle;
  readonly fsys: StoreFileSystem;
  /** Signs every segment written (CreateOptions.signingKey). */
  readonly signer: Signer | undefined;
}

export interface PendingSegment {
  segType: number;
  payload: Uint8Array;
  /** The payload's content hash, when already computed (saves a pass over it). */
  contentHash?: Uint8Array;
}

/** One write: the segments to append, the manifest fields that change, and memory's share. */
export interface Commit {
  segments: readonly PendingSegment[];
  epoch: number;
  deletedIds: ReadonlySet<IdKey>;
  totalVectors: number;
  /** Vectors were added or hidden: the reference's saved INDEX_SEG is stale from here. */
  vectorsChanged?: boolean;
  /** Parts of the next snapshot that this write changes besides the manifest. */
  next?: Partial<Pick<Snapshot, 'state' | 'fields' | 'link' | 'parent' | 'lastWitness' | 'table'>>;
}

/** A commit whose bytes are laid out but not yet written (see `layOut` and `writeCommit`). */
export interface LaidOutCommit {
  /** Where its bytes start (the snapshot's file end). */
  start: number;
  /** Data segments then the manifest, in file order. */
  bytes: { data: Uint8Array; manifest: Uint8Array };
  /** The snapshot that holds once the bytes are durable. */
  next: Snapshot;
}

/**
 * Encodes segments for the file from `start` on, numbered from `firstId` (a signing file adds
 * a signature per segment after them): the bytes, their directory entries, and where the
 * manifest that names them goes.
 */
function laySegments(
  start: number,
  firstId: bigint,
  segments: readonly PendingSegment[],
  signer: Signer | undefined,
): { entries: DirectoryEntry[]; data: Uint8Array; offset: number; segId: bigint } {
  const entries: DirectoryEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = start;
  let segId = firstId;
  const targets: SignedTarget[] = [];
  const lay = (s: PendingSegment) => {
    // Header and payload go into the write buffer as they are: one copy, not two.
    const header = encodeSegmentHeaderFor(s.segType, segId, s.payload, s.contentHash);
    entries.push({ segId, offset, payloadLength: s.payload.length, segType: s.segType });
    chunks.push(header, s.payload);
    if (signer) targets.push({ offset, segId, bytes: concat([header, s.payload]) });
    offset += header.length + s.payload.length;
    segId++;
  };
  for (const s of segments) lay(s);
  if (signer) {
    for (const payload of signaturePayloads(signer, targets))
      lay({ segType: SegmentType.RvfjsSignature, payload });
  }
  return { entries, data: concat(chunks), offset, segId };
}

/**
 * Encodes a commit against `snap`: numbers its segments from the snapshot's next id (a
 * signing file adds a signature per segment, listed by the same manifest), builds the
 * manifest naming them, and the snapshot that follows. Writes nothing.
 */
export function layOut(snap: Snapshot, c: Commit, signer: Signer | undefined): LaidOutCommit {
  const start = snap.fileEnd;
  const { entries, data, offset, segId } = laySegments(start, snap.nextSegId, c.segments, signer);
  const manifest: Manifest = {
    ...snap.manifest,
    epoch: c.epoch,
    totalVectors: BigInt(c.totalVectors),
    // The reference validates its saved INDEX_SEG only by the id set, so after we change
    // vectors it would answer from a stale graph: stop listing it, and it rebuilds.
    directory: [
      ...(c.vectorsChanged
        ? snap.manifest.directory.filter((e) => e.segType !== SegmentType.Index)
        : snap.manifest.directory),
      snap.manifestEntry,
      ...snap.adopted,
      ...entries,
    ],
    deletedIds: [...c.deletedIds].map(keyToBigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  };
  const mPayload = encodeManifestPayload(manifest);
  const mBytes = encodeSegment(SegmentType.Manifest, segId, mPayload);
  return {
    start,
    bytes: { data, manifest: mBytes },
    next: {
      ...snap,
      ...c.next,
      manifest,
      manifestEntry: { segId, offset, payloadLength: mPayload.length, segType: SegmentType.Manifest },
      adopted: [],
      nextSegId: segId + 1n,
      fileEnd: offset + mBytes.length,
    },
  };
}

/**
 * Makes a laid-out commit durable: data → fsync → manifest → fsync (a data segment is on disk
 * before any manifest names it). On failure the tail is cut back, if the disk lets us, and the
 * error is typed; the caller's snapshot still describes the file.
 */
export async function writeCommit(file: StoreFile, laid: LaidOutCommit): Promise<Snapshot> {
  const { fh } = file;
  const { data, manifest } = laid.bytes;
  try {
    if (data.length > 0) {
      await writeAll(fh, data, laid.start);
      await fh.sync();
    }
    await writeAll(fh, manifest, laid.start + data.length);
    await fh.sync();
  } catch (e) {
    // Leave no torn tail behind if we can help it; a reopen fences whatever is left.
    await fh.truncate(laid.start).catch(() => undefined);
    throw ioError(e, `commit to ${file.path}`);
  }
  return laid.next;
}

/** The one commit path: lays the commit out against `snap` and makes it durable. */
export function commit(file: StoreFile, snap: Snapshot, c: Commit): Promise<Snapshot> {
  return writeCommit(file, layOut(snap, c, file.signer));
}

/** The manifest part of a new file's first snapshot (see layOutFirstCommit). */
export type FirstManifest = Pick<Snapshot, 'manifest' | 'manifestEntry' | 'nextSegId' | 'fileEnd'>;

/**
 * A new file's whole first commit, for offset 0: `segments` (none for a plain create), then
 * one epoch-0 manifest naming them. A new file is written whole and fsynced once before
 * anyone can see it (see writePrivateFile), so it needs no manifest of its own before its
 * segments: the reference writes one (spec §11.1) and then a second, while this file opens
 * the same in both with one manifest fewer, which keeps a branch child no larger than the
 * reference's.
 */
export function layOutFirstCommit(
  manifest: Manifest,
  segments: readonly PendingSegment[],
  signer: Signer | undefined,
): { bytes: Uint8Array; first: FirstManifest } {
  const { entries, data, offset, segId } = laySegments(0, 1n, segments, signer);
  const named = { ...manifest, directory: entries };
  const payload = encodeManifestPayload(named);
  const mBytes = encodeSegment(SegmentType.Manifest, segId, payload);
  const bytes = new Uint8Array(data.length + mBytes.length);
  bytes.set(data);
  bytes.set(mBytes, data.length);
  return {
    bytes,
    first: {
      manifest: named,
      manifestEntry: { segId, offset, payloadLength: payload.length, segType: SegmentType.Manifest },
      nextSegId: segId + 1n,
      fileEnd: bytes.length,
    },
  };
}

/** A new file's private name, and a handle on it: its bytes are written there first. */
export interface PrivateFile {
  readonly tmp: string;
  readonly fh: StoreFileHandle;
}

/** A file being created: its writer lock, and the private file its bytes go to first. */
export interface ReservedFile extends PrivateFile {
  readonly lock: WriterLock;
}

export const pathExists = (path: string) =>
  rvfError('PathExists', `cannot create ${path}: the path already exists (open it instead)`, { path });

/**
 * A private file beside `path` (`<path>.create-<random>.tmp`) to write a new file under. Nobody
 * else uses the name, so it may be written before the lock on `path` is held; only linking it
 * to `path` (publishFile) needs the lock.
 */
export async function openPrivateFile(path: string, fsys: StoreFileSystem): Promise<PrivateFile> {
  const tmp = `${path}.create-${randomBytes(16).toString('hex')}.tmp`;
  try {
    return { tmp, fh: await fsys.open(tmp, 'wx+') };
  } catch (e) {
    throw ioError(e, `cannot create ${path}`);
  }
}

/** Closes and removes a private file that will not be published. */
export async function discardPrivateFile(file: PrivateFile, fsys: StoreFileSystem): Promise<void> {
  await file.fh.close().catch(() => undefined);
  await fsys.remove(file.tmp).catch(() => undefined);
}

/**
 * The first step of creating a file: its writer lock, then a private file to write it under.
 * Nothing is visible at `path` yet; `publishFile` finishes, `abandonFile` undoes. (Callers
 * check `path` is free first; the link that publishes refuses a path taken since.)
 */
export async function reserveFile(
  path: string,
  fsys: StoreFileSystem,
  lockOptions?: LockOptions,
): Promise<ReservedFile> {
  const lock = await acquireWriterLock(path, lockOptions);
  try {
    return { lock, ...(await openPrivateFile(path, fsys)) };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/**
 * Writes a new file's whole contents (its first commits, laid out in memory) under its private
 * name, and fsyncs them once: nobody can see the file yet, so its commits need no fsync each.
 */
export async function writePrivateFile(file: PrivateFile, path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeAll(file.fh, bytes, 0);
    await file.fh.sync();
  } catch (e) {
    throw ioError(e, `cannot create ${path}`);
  }
}

/**
 * The file appears whole or not at all: its bytes were written and fsynced under the private
 * name (writePrivateFile), and, with the lock on `path` held, it is hard-linked into place
 * (which also refuses an existing path), so a crash mid-create never leaves an empty or
 * half-written file that neither open nor create would accept. The folder is fsynced so that
 * the new name survives a power cut.
 */
export async function publishFile(
  reserved: ReservedFile,
  path: string,
  fsys: StoreFileSystem,
): Promise<void> {
  try {
    await fsys.link(reserved.tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw pathExists(path);
    throw ioError(e, `cannot create ${path}`);
  }
  // Published: from here the file is the caller's store even if tidying up fails.
  await fsys.remove(reserved.tmp).catch(() => undefined);
  await fsys.syncDir(path).catch(() => undefined);
}

/** Undoes reserveFile: closes and removes the private file and releases the lock. */
export async function abandonFile(reserved: ReservedFile, fsys: StoreFileSystem): Promise<void> {
  await discardPrivateFile(reserved, fsys);
  await reserved.lock.release();
}

/** Bytes compaction writes between two progress reports. */
const REPLACE_SLICE = 4 * 1024 * 1024;

/**
 * Replaces the file at `path` with `parts` (compaction): they are written to a private file,
 * fsynced, and renamed over `path`, as the reference does. Before the rename the old file is
 * untouched and the rename itself is atomic, so a crash leaves one whole file or the other.
 * Returns a read-write handle on the new file; the caller closes its old one.
 */
export async function replaceFile(
  path: string,
  fsys: StoreFileSystem,
  parts: readonly Uint8Array[],
  onProgress?: (done: number, total: number) => void,
): Promise<StoreFileHandle> {
  const tmp = `${path}.compact.tmp`;
  let out: StoreFileHandle | undefined;
  try {
    await fsys.remove(tmp);
    out = await fsys.open(tmp, 'wx');
    const total = parts.reduce((n, p) => n + p.length, 0);
    let at = 0;
    onProgress?.(0, total);
    for (const p of parts) {
      // In slices, so progress moves through one large VEC segment too.
      for (let i = 0; i < p.length; i += REPLACE_SLICE) {
        const slice = p.subarray(i, Math.min(p.length, i + REPLACE_SLICE));
        await writeAll(out, slice, at);
        at += slice.length;
        onProgress?.(at, total);
      }
    }
    await out.sync();
    await out.close();
    out = undefined;
    await fsys.rename(tmp, path);
  } catch (e) {
    await out?.close().catch(() => undefined);
    await fsys.remove(tmp).catch(() => undefined);
    throw ioError(e, `compaction of ${path}`);
  }
  // The new file is in place (a crash from here on leaves either it or, if its name was not
  // yet durable, the old file, both complete).
  await fsys.syncDir(path).catch(() => undefined);
  return fsys.open(path, 'r+');
}

/** Cuts the file back to `length` and makes the cut durable (tail fencing). */
export async function cutTail(fh: StoreFileHandle, length: number): Promise<void> {
  await fh.truncate(length);
  await fh.sync();
}

/** Removes a file this handle made but could not finish (a deep copy that failed). */
export async function discardFile(fsys: StoreFileSystem, path: string): Promise<void> {
  await fsys.remove(path);
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
