import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RvfStore } from '@rvfjs/runtime';
import type { ObjectStore } from './bucket.js';
import { checkout } from './checkout.js';
import { type LockOptions, withLocks } from './lock.js';
import { requireManifest, writeManifest } from './manifest.js';
import { dropRefs } from './refs.js';
import { openLocalFile, uploadFileRange } from './upload.js';

/** What compacting a namespace did: the version it wrote, sizes before and after, objects freed. */
export interface NamespaceCompactResult {
  name: string;
  version: number;
  sizeBefore: number;
  sizeAfter: number;
  /** Objects deleted: those of this namespace that nothing else (a branch, a copy) uses. */
  deletedObjects: number;
}

/**
 * Compacts one namespace: its latest version is downloaded, compacted by the runtime (dead
 * vectors dropped, one epoch) and uploaded as the next version, which becomes its only one
 * (the history before it is dropped). Only this namespace's references change: objects a
 * branch or a copy shares keep their other markers and stay, so the other side reads on as
 * before. Holds the namespace's lock; the local copy lives in `workDir` (default: the OS
 * temp folder) and is removed afterwards.
 */
export async function compactNamespace(
  store: ObjectStore,
  name: string,
  options: { workDir?: string; lock?: LockOptions; objectBytes?: number } = {},
): Promise<NamespaceCompactResult> {
  return withLocks(
    store,
    [name],
    async () => {
      const previous = await requireManifest(store, name);
      const latest = previous.manifest.versions.at(-1)!;
      const dir = await fs.mkdtemp(join(options.workDir ?? tmpdir(), 'rvfjs-compact-'));
      try {
        const path = join(dir, 'namespace.rvf');
        await checkout(store, name, path, { version: latest.version });
        const s = await RvfStore.open(path);
        try {
          await s.compact();
        } finally {
          await s.close();
        }
        const fh = await openLocalFile(path);
        let added: Awaited<ReturnType<typeof uploadFileRange>>;
        let size: number;
        try {
          size = (await fh.stat()).size;
          added = await uploadFileRange(store, name, fh, 0, size, options.objectBytes ?? 64 * 1024 * 1024);
        } finally {
          await fh.close();
        }
        const version = latest.version + 1;
        await writeManifest(
          store,
          {
            name,
            lineage: previous.manifest.lineage,
            objects: added,
            versions: [{ version, size, first: 0, end: added.length, publishedAt: new Date().toISOString() }],
          },
          previous,
        );
        const deleted = await dropRefs(
          store,
          name,
          previous.manifest.objects.map((o) => o.id),
        );
        return { name, version, sizeBefore: latest.size, sizeAfter: size, deletedObjects: deleted.length };
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
    options.lock,
  );
}
