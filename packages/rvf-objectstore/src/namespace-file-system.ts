import type { OpenOptions, StoreFileSystem } from '@rvfjs/runtime';
import { RvfStore, sourceFileSystem } from '@rvfjs/runtime';
import { type BlockCacheOptions, blockCachedSource } from '@rvfjs/wire';
import type { ObjectStore } from './bucket.js';
import { checkName } from './layout.js';
import { requireManifest, versionOf } from './manifest.js';
import { versionSource } from './namespace-source.js';

/** Options for reading a namespace: a version to pin, and the block cache. */
export interface NamespaceReadOptions {
  /** A version to pin (default: the latest, and refresh() follows new ones). */
  version?: number;
  /** The read cache: block size and byte budget (defaults 256 KiB and 16 MiB). */
  cache?: BlockCacheOptions;
}

/**
 * A read-only StoreFileSystem whose one file is a namespace's version. Opening it reads the
 * manifest (the latest version unless one is pinned) and reads that version's objects
 * through a block cache. stat() reports the version number as the file's identity, so a
 * store's refresh() opens a new version even when it is the same size as the old one
 * (a compaction can make it so).
 */
export function namespaceFileSystem(
  store: ObjectStore,
  name: string,
  options: NamespaceReadOptions = {},
): StoreFileSystem {
  checkName(name);
  return sourceFileSystem(
    async () => {
      const { manifest } = await requireManifest(store, name);
      const version = versionOf(manifest, options.version);
      return {
        source: blockCachedSource(versionSource(store, manifest, version), options.cache),
        identity: version.version,
      };
    },
    { readOnlyReason: 'a namespace in object storage is read-only here (publish from a local file)' },
  );
}

/** The address a namespace's store reports as its path (messages, status()). */
export const namespacePath = (store: ObjectStore, name: string, version?: number) =>
  `${store.url}/${name}${version === undefined ? '' : `@${version}`}`;

/**
 * Opens a namespace read-only, at its latest version (refresh() then picks up newer ones)
 * or at a pinned earlier one. Answers exactly as the local file the version was published from.
 */
export async function openNamespace(
  store: ObjectStore,
  name: string,
  options: NamespaceReadOptions & Omit<OpenOptions, 'readOnly' | 'fileSystem'> = {},
): Promise<RvfStore> {
  const { version, cache, ...open } = options;
  return RvfStore.open(namespacePath(store, name, version), {
    ...open,
    readOnly: true,
    fileSystem: namespaceFileSystem(store, name, {
      ...(version !== undefined ? { version } : {}),
      ...(cache ? { cache } : {}),
    }),
  });
}
