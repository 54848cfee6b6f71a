import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { shake256_256, simpleHash } from '@rvfjs/crypto/hashes';
import {
  type CowMap,
  type DirectoryEntry,
  type FileIdentity,
  type Membership,
  rvfError,
  SEGMENT_HEADER_SIZE,
  SegmentType,
} from '@rvfjs/types';
import {
  type BranchPin,
  type ByteSource,
  checkContentHash,
  decodeBranchPinPayload,
  decodeCowMapPayload,
  decodeManifestPayload,
  decodeMembershipPayload,
  decodeSegmentHeader,
  type FoundManifest,
  fileHandleSource,
  findLatestManifest,
  readSegmentAt,
  readSegmentPayload,
} from '@rvfjs/wire';
import { localFileSource } from './file-io.js';
import { hexOf } from './identity.js';
import { type LoadedState, loadState } from './loader.js';
import type { FieldTable } from './metadata.js';
import type { VectorTable } from './vector-table.js';

/** A branch child's link to its parent, as read from its own segments. */
export interface BranchLink {
  cow: CowMap;
  membership: Membership;
  /** Absent in children written by the reference (they pin by parent tail hash only). */
  pin: BranchPin | undefined;
}

export interface ParentView {
  path: string;
  table: VectorTable;
  fields: FieldTable;
  fileId: Uint8Array;
  depth: number;
  /** Reads the parent's saved HNSW graph as of the pinned state, if it saved one (see savedGraphReader). */
  graph?: SavedGraphRead;
}

/**
 * Reads a saved graph; `wanted` is asked again once the file is open and once its bytes are
 * in, and a read no longer wanted ends there with undefined. A child closed right after
 * branch() thus stops reading its parent's graph (megabytes, and a checksum over them on the
 * event loop) instead of finishing it for nobody.
 */
export type SavedGraphRead = (wanted?: () => boolean) => Promise<Uint8Array | undefined>;

/** A lazy reader of the last saved graph a manifest lists (a branch seeds its index from it). */
export function savedGraphReader(
  path: string,
  directory: readonly DirectoryEntry[],
): SavedGraphRead | undefined {
  const entry = directory.filter((e) => e.segType === SegmentType.RvfjsHnswGraph).at(-1);
  if (!entry) return undefined;
  return async (wanted = () => true) => {
    const fh = await fs.open(path, 'r');
    try {
      if (!wanted()) return undefined;
      const file = fileHandleSource(fh, (await fh.stat()).size);
      // The checks after the read (header, content hash) run only if the bytes are still wanted.
      const source: ByteSource = {
        size: file.size,
        read: async (offset, length) => {
          const bytes = await file.read(offset, length);
          if (!wanted()) throw UNWANTED;
          return bytes;
        },
      };
      return await readSegmentPayload(source, entry);
    } catch (e) {
      if (e === UNWANTED) return undefined;
      throw e;
    } finally {
      await fh.close();
    }
  };
}

/** Ends a saved-graph read that is no longer wanted (see savedGraphReader). */
const UNWANTED = new Error('saved graph no longer wanted');

const MAX_DEPTH = 64;

/** Reads the last COW_MAP, MEMBERSHIP and branch pin of a manifest's directory, if it has them. */
export async function readBranchLink(
  source: ByteSource,
  found: FoundManifest,
): Promise<BranchLink | undefined> {
  const last = (t: number) => found.manifest.directory.filter((e) => e.segType === t).at(-1);
  const cowEntry = last(SegmentType.CowMap);
  if (!cowEntry) return undefined;
  const memEntry = last(SegmentType.Membership);
  if (!memEntry)
    throw rvfError('MembershipInvalid', `COW_MAP at offset ${cowEntry.offset} has no MEMBERSHIP segment`);
  const pinEntry = last(SegmentType.RvfjsBranchPin);
  const cow = decodeCowMapPayload((await readSegmentAt(source, cowEntry)).payload, cowEntry.offset + 64);
  const membership = decodeMembershipPayload(
    (await readSegmentAt(source, memEntry)).payload,
    memEntry.offset + 64,
  );
  const pin = pinEntry
    ? decodeBranchPinPayload((await readSegmentAt(source, pinEntry)).payload, pinEntry.offset + 64)
    : undefined;
  if (membership.filterType !== 0 || membership.filterMode !== 0) {
    throw rvfError(
      'MembershipInvalid',
      `membership filter type ${membership.filterType} / mode ${membership.filterMode} is not supported`,
    );
  }
  return { cow, membership, pin };
}

/** The manifest a pin names, verified against the pin's SHAKE-256 digest. */
async function pinnedManifest(
  source: ByteSource,
  pin: BranchPin,
  parentPath: string,
): Promise<FoundManifest> {
  const mismatch = (why: string) =>
    rvfError(
      'ParentHashMismatch',
      `parent ${parentPath} no longer holds the state this branch was made from: ${why}`,
      {
        path: parentPath,
      },
    );
  const end = pin.manifestOffset + SEGMENT_HEADER_SIZE + pin.manifestPayloadLength;
  if (end > source.size)
    throw mismatch('the pinned manifest lies beyond its end (was it compacted or replaced?)');
  const raw = await source.read(pin.manifestOffset, end - pin.manifestOffset);
  const digest = shake256_256(raw);
  if (hexOf(digest) !== hexOf(pin.manifestDigest))
    throw mismatch('the pinned manifest differs (was it compacted or replaced?)');
  const header = decodeSegmentHeader(raw, pin.manifestOffset);
  const payload = raw.subarray(SEGMENT_HEADER_SIZE);
  if (checkContentHash(header.contentHash, payload) === 'mismatch')
    throw mismatch('the pinned manifest is damaged');
  const manifest = decodeManifestPayload(payload, pin.manifestOffset + SEGMENT_HEADER_SIZE);
  return { offset: pin.manifestOffset, header, manifest, payload, end };
}

/**
 * Loads what a child inherits: its parent's view at branch time, recursively to any depth.
 * A child we wrote is pinned to the parent's manifest at branch time (later parent writes do
 * not matter); a reference-written child is checked the reference's way, by the parent's
 * tail hash. Either way the parent's file id must be the child's parent_id.
 */
export async function loadParentView(
  childPath: string,
  identity: FileIdentity,
  link: BranchLink,
  options: { parentPath?: string; seen?: Set<string> } = {},
): Promise<ParentView> {
  const parentPath = options.parentPath ?? resolve(dirname(childPath), link.cow.parentPath);
  const seen = options.seen ?? new Set<string>();
  if (seen.size >= MAX_DEPTH)
    throw rvfError('LineageBroken', `lineage of ${childPath} is deeper than ${MAX_DEPTH}`);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(parentPath, 'r');
  } catch {
    throw rvfError(
      'ParentNotFound',
      `parent of ${childPath} not found at ${parentPath} (re-link it with { parentPath })`,
      {
        path: parentPath,
      },
    );
  }
  try {
    const size = (await fh.stat()).size;
    const source = localFileSource(fh, size);
    let found: FoundManifest;
    if (link.pin) {
      found = await pinnedManifest(source, link.pin, parentPath);
    } else {
      found = await findLatestManifest(source);
      const tail = await source.read(Math.max(0, size - 65536), Math.min(size, 65536));
      if (hexOf(simpleHash(tail)) !== hexOf(identity.parentHash)) {
        throw rvfError(
          'ParentHashMismatch',
          `parent ${parentPath} changed since the branch was made (its tail hash differs from the child's parent_hash)`,
          { path: parentPath },
        );
      }
    }
    const parentId = found.manifest.identity?.fileId;
    if (!parentId || hexOf(parentId) !== hexOf(identity.parentId)) {
      throw rvfError(
        'ParentHashMismatch',
        `${parentPath} is not this branch's parent (file id ${parentId ? hexOf(parentId) : 'none'}, expected ${hexOf(identity.parentId)})`,
        { path: parentPath },
      );
    }
    const key = hexOf(parentId);
    if (seen.has(key)) throw rvfError('LineageCyclic', `lineage of ${childPath} loops back to ${parentPath}`);
    seen.add(key);
    const loaded = await loadLayer(parentPath, source, found, seen);
    const graph =
      savedGraphReader(parentPath, found.manifest.directory) ??
      (link.pin ? await graphSavedSincePin(parentPath, source, found.offset) : undefined);
    return {
      path: parentPath,
      table: loaded.table,
      fields: loaded.fields,
      fileId: parentId,
      depth: found.manifest.identity?.lineageDepth ?? 0,
      ...(graph ? { graph } : {}),
    };
  } finally {
    await fh.close();
  }
}

/**
 * A child pinned to a parent manifest that lists no saved graph (the parent's graph was still
 * being built when it branched) can use the one the parent saved after the pin, typically at
 * its close: saving a graph changes no vector. It is only a candidate: a graph of a parent
 * that has changed vectors since the pin fails the digest check against the vectors the child
 * inherited, and the child builds its own instead.
 */
async function graphSavedSincePin(
  parentPath: string,
  source: ByteSource,
  pinnedOffset: number,
): Promise<SavedGraphRead | undefined> {
  const latest = await findLatestManifest(source).catch(() => undefined);
  if (!latest || latest.offset <= pinnedOffset) return undefined;
  return savedGraphReader(
    parentPath,
    latest.manifest.directory.filter((e) => e.offset > pinnedOffset),
  );
}

/** Loads one file's view at a given manifest: its parent's view (if a branch) plus its own records. */
export async function loadLayer(
  path: string,
  source: ByteSource,
  found: FoundManifest,
  seen: Set<string> = new Set(),
  options: { recover?: boolean; parentPath?: string } = {},
): Promise<LoadedState & { link?: BranchLink; parent?: ParentView }> {
  const link = await readBranchLink(source, found);
  if (!link || !found.manifest.identity) return loadState(source, found, options.recover);
  const parent = await loadParentView(path, found.manifest.identity, link, {
    seen,
    ...(options.parentPath ? { parentPath: options.parentPath } : {}),
  });
  const base = parent.table.forkForChild(link.membership.bitmap);
  const loaded = await loadState(source, found, options.recover, base, parent.fields.clone());
  return { ...loaded, link, parent };
}
