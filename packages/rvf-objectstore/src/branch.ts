import { rvfError } from '@rvfjs/types';
import type { ObjectStore } from './bucket.js';
import { checkName } from './layout.js';
import { type LockOptions, withLocks } from './lock.js';
import {
  type NamespaceManifest,
  readManifest,
  requireManifest,
  versionOf,
  writeManifest,
} from './manifest.js';
import { addRefs } from './refs.js';

/** Options of branch(): which source version to branch from, and how to wait for locks. */
export interface BranchOptions {
  /** The source version to branch from (default: its latest). */
  version?: number;
  lock?: LockOptions;
}

const refuseExisting = async (store: ObjectStore, name: string) => {
  if (await readManifest(store, name))
    throw rvfError('PathExists', `namespace '${name}' already exists in ${store.url}`, { namespace: name });
};

/**
 * The frame of every operation that makes a new namespace `dst` from `src` (branch, copy):
 * both locked in key order, `src`'s manifest read and `dst` known not to exist, then `make`
 * writes the new namespace from that manifest.
 */
export async function fromSourceToNew<T>(
  store: ObjectStore,
  src: string,
  dst: string,
  what: 'branch' | 'copy',
  lock: LockOptions | undefined,
  make: (manifest: NamespaceManifest) => Promise<T>,
): Promise<T> {
  checkName(src);
  checkName(dst);
  if (src === dst) {
    throw rvfError('InvalidArgument', `cannot ${what} namespace '${src}' onto itself`, { namespace: src });
  }
  return withLocks(
    store,
    [src, dst],
    async () => {
      const { manifest } = await requireManifest(store, src);
      await refuseExisting(store, dst);
      return make(manifest);
    },
    lock,
  );
}

/**
 * A new namespace `dst` whose first version is `src`'s latest (or given) version: a new
 * manifest naming the same objects, so it costs O(metadata), whatever the size. The branch
 * records where it came from (lineage). Publishing to either side afterwards adds objects to
 * that side only. Locks both namespaces, in key order; markers before the manifest.
 */
export async function branch(
  store: ObjectStore,
  src: string,
  dst: string,
  options: BranchOptions = {},
): Promise<NamespaceManifest> {
  return fromSourceToNew(store, src, dst, 'branch', options.lock, async (manifest) => {
    const v = versionOf(manifest, options.version);
    const objects = manifest.objects.slice(v.first, v.end);
    await addRefs(
      store,
      dst,
      objects.map((o) => o.id),
    );
    return writeManifest(
      store,
      {
        name: dst,
        lineage: { parent: src, parentVersion: v.version, branchedAt: new Date().toISOString() },
        objects,
        versions: [{ version: 1, size: v.size, first: 0, end: objects.length, publishedAt: v.publishedAt }],
      },
      undefined,
    );
  });
}
