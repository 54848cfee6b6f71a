import { listKeys, type ObjectStore } from './bucket.js';
import { namespacesPrefix } from './layout.js';
import { type NamespaceManifest, readManifest } from './manifest.js';

/** The names of every namespace under the root, sorted. */
export async function listNamespaces(store: ObjectStore): Promise<string[]> {
  const prefix = namespacesPrefix(store);
  return (await listKeys(store, prefix))
    .filter((k) => k.endsWith('/manifest.json'))
    .map((k) => k.slice(prefix.length, -'/manifest.json'.length))
    .filter((n) => !n.includes('/'))
    .sort();
}

/** A namespace's manifest (versions, objects, lineage), or undefined when it does not exist. */
export async function describeNamespace(
  store: ObjectStore,
  name: string,
): Promise<NamespaceManifest | undefined> {
  return (await readManifest(store, name))?.manifest;
}
