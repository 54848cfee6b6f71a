import { listNamespaces, objectStore, openNamespace, type S3ConnectOptions } from '@rvfjs/objectstore';
import type { OpenOptions } from '@rvfjs/runtime';
import type { ReadOnlySource } from './registry.js';

/**
 * The namespaces under s3://bucket/prefix as the server's stores, each opened read-only at
 * its latest version (a replica: refreshAll() moves it to newer ones as writers publish).
 */
export function namespaceSource(
  root: string,
  s3: S3ConnectOptions = {},
  openOptions: Omit<OpenOptions, 'readOnly' | 'fileSystem'> = {},
): ReadOnlySource {
  const store = objectStore(root, s3);
  return {
    location: store.url,
    names: () => listNamespaces(store),
    open: (name) => openNamespace(store, name, openOptions),
  };
}
