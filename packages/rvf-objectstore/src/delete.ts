import { deleteObject, type ObjectStore } from './bucket.js';
import { manifestKey } from './layout.js';
import { type LockOptions, withLocks } from './lock.js';
import { requireManifest } from './manifest.js';
import { dropRefs } from './refs.js';

/** What deleting a namespace released: its references, and the objects nothing else used. */
export interface DeleteNamespaceResult {
  name: string;
  /** Objects the namespace referenced. */
  released: number;
  /** Of those, objects deleted because nothing else referenced them. */
  deletedObjects: number;
}

/**
 * Deletes a namespace: its manifest first (so from then on nothing can open it), then its
 * reference markers, deleting each object whose count reaches zero. Objects a branch or a
 * shallow copy still uses stay. A crash part way leaks markers or objects, never more.
 */
export async function deleteNamespace(
  store: ObjectStore,
  name: string,
  options: { lock?: LockOptions } = {},
): Promise<DeleteNamespaceResult> {
  return withLocks(
    store,
    [name],
    async () => {
      const { manifest } = await requireManifest(store, name);
      await deleteObject(store, manifestKey(store, name));
      const ids = manifest.objects.map((o) => o.id);
      const deleted = await dropRefs(store, name, ids);
      return { name, released: ids.length, deletedObjects: deleted.length };
    },
    options.lock,
  );
}
