import { fromSourceToNew } from './branch.js';
import type { ObjectStore } from './bucket.js';
import { copyObject } from './bucket.js';
import { newObjectId, objectKey } from './layout.js';
import type { LockOptions } from './lock.js';
import { type NamespaceManifest, writeManifest } from './manifest.js';
import { parallel } from './parallel.js';
import { addRefs } from './refs.js';

/** Options of copy(): shallow (shared objects) or deep (duplicated), and how to wait for locks. */
export interface CopyOptions {
  /** Duplicate every object (default false: the copy shares them, O(metadata)). */
  deep?: boolean;
  lock?: LockOptions;
}

/**
 * `dst` becomes a namespace with the same versions as `src` and no lineage (a copy is not a
 * branch). Shallow (the default): a new manifest naming the same objects. Deep: every object
 * is duplicated first (server-side copies), so the copy shares nothing with its source.
 * Locks both namespaces in key order; markers before objects, objects before the manifest.
 */
export async function copy(
  store: ObjectStore,
  src: string,
  dst: string,
  options: CopyOptions = {},
): Promise<NamespaceManifest> {
  return fromSourceToNew(store, src, dst, 'copy', options.lock, async (manifest) => {
    let objects = manifest.objects;
    if (options.deep) {
      objects = await parallel(manifest.objects, 8, async (o) => {
        const id = newObjectId();
        await addRefs(store, dst, [id]);
        await copyObject(store, objectKey(store, o.id), objectKey(store, id));
        return { ...o, id };
      });
    } else {
      await addRefs(
        store,
        dst,
        objects.map((o) => o.id),
      );
    }
    return writeManifest(
      store,
      { name: dst, lineage: null, objects, versions: manifest.versions },
      undefined,
    );
  });
}
