import type { promises as fs } from 'node:fs';
import { rvfError } from '@rvfjs/types';
import type { ObjectStore } from './bucket.js';
import { type LockOptions, withLocks } from './lock.js';
import {
  type NamespaceManifest,
  type ObjectRef,
  readManifest,
  type Version,
  writeManifest,
} from './manifest.js';
import { dropRefs } from './refs.js';
import { openLocalFile, readAt, sha256, uploadFileRange } from './upload.js';

/** Options of publish(): how many versions to keep, the largest object to write, locks. */
export interface PublishOptions {
  /** Keep only the newest this many versions (default: all; versions that extend each other share objects). */
  keepVersions?: number;
  /** Largest object a publish writes; a larger upload becomes several objects (default 64 MiB). */
  objectBytes?: number;
  lock?: LockOptions;
}

/** What publish() wrote: the new version, its size, and what was uploaded or freed. */
export interface PublishResult {
  name: string;
  version: number;
  size: number;
  /** Bytes uploaded: only what was appended since the last version, when the file extends it. */
  uploadedBytes: number;
  /** New objects written. */
  objects: number;
  /** False when the file was exactly the latest version already (nothing written). */
  changed: boolean;
  /** Objects deleted because versions were dropped (keepVersions) and nothing else used them. */
  deletedObjects: number;
}

/** True when the file's first bytes are exactly `objects`, hash for hash. */
async function extendsObjects(fh: fs.FileHandle, size: number, objects: ObjectRef[]): Promise<boolean> {
  let at = 0;
  for (const o of objects) {
    if (at + o.size > size) return false;
    if (sha256(await readAt(fh, at, o.size)) !== o.sha256) return false;
    at += o.size;
  }
  return true;
}

/**
 * The versions to keep and the manifest's object list trimmed to what they use (objects are
 * appended in order, so every kept version lies within the run from the oldest kept one's
 * first object to the end). Returns the objects no kept version uses.
 */
export function keepNewest(
  objects: ObjectRef[],
  versions: Version[],
  keep: number | undefined,
): { objects: ObjectRef[]; versions: Version[]; dropped: ObjectRef[] } {
  if (keep === undefined || versions.length <= keep) return { objects, versions, dropped: [] };
  const kept = versions.slice(-keep);
  const from = Math.min(...kept.map((v) => v.first));
  return {
    objects: objects.slice(from),
    versions: kept.map((v) => ({ ...v, first: v.first - from, end: v.end - from })),
    dropped: objects.slice(0, from),
  };
}

/**
 * Publishes a local .rvf working file as the namespace's next version (creating the
 * namespace on its first publish). An RVF file only grows, so when the file still begins
 * with the latest version's bytes (checked by SHA-256 per object) only what was appended
 * is uploaded, as new objects; otherwise (the file was compacted, or is another file) the
 * whole file is. Order, for a crash at any point to leak and never dangle: reference
 * markers, then the objects, then the manifest (a conditional write), then, for versions
 * dropped by keepVersions, their markers. Holds the namespace's lock throughout.
 */
export async function publish(
  store: ObjectStore,
  name: string,
  localPath: string,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const keep = options.keepVersions;
  if (keep !== undefined && (!Number.isSafeInteger(keep) || keep < 1))
    throw rvfError('InvalidArgument', `keepVersions must be a positive integer, got ${String(keep)}`);
  const partBytes = options.objectBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(partBytes) || partBytes < 1)
    throw rvfError('InvalidArgument', `objectBytes must be a positive integer, got ${String(partBytes)}`);
  const fh = await openLocalFile(localPath);
  try {
    const size = (await fh.stat()).size;
    if (size === 0)
      throw rvfError('InvalidArgument', `${localPath} is empty: nothing to publish`, { path: localPath });
    return await withLocks(
      store,
      [name],
      async () => {
        const previous = await readManifest(store, name);
        const prev: NamespaceManifest | undefined = previous?.manifest;
        const latest = prev?.versions.at(-1);
        const base = latest && prev ? prev.objects.slice(latest.first, latest.end) : [];
        const extend = latest !== undefined && size >= latest.size && (await extendsObjects(fh, size, base));
        if (extend && latest && size === latest.size) {
          return {
            name,
            version: latest.version,
            size,
            uploadedBytes: 0,
            objects: 0,
            changed: false,
            deletedObjects: 0,
          };
        }
        const from = extend && latest ? latest.size : 0;
        const added = await uploadFileRange(store, name, fh, from, size, partBytes);
        const objects = [...(prev?.objects ?? []), ...added];
        const version: Version = {
          version: (latest?.version ?? 0) + 1,
          size,
          first: extend && latest ? latest.first : objects.length - added.length,
          end: objects.length,
          publishedAt: new Date().toISOString(),
        };
        const trimmed = keepNewest(objects, [...(prev?.versions ?? []), version], keep);
        await writeManifest(
          store,
          { name, lineage: prev?.lineage ?? null, objects: trimmed.objects, versions: trimmed.versions },
          previous,
        );
        const deleted = await dropRefs(
          store,
          name,
          trimmed.dropped.map((o) => o.id),
        );
        return {
          name,
          version: version.version,
          size,
          uploadedBytes: size - from,
          objects: added.length,
          changed: true,
          deletedObjects: deleted.length,
        };
      },
      options.lock,
    );
  } finally {
    await fh.close();
  }
}
