import type { ObjectStore } from './bucket.js';
import { requireManifest, versionOf } from './manifest.js';
import { openNamespace } from './namespace-file-system.js';

/**
 * The records of one version of a namespace as NDJSON lines (each ending in a newline), as
 * RvfStore.export() writes them. The version is fixed when the export starts (the latest
 * unless one is given), so a publish meanwhile does not mix two versions into one export.
 */
export async function* exportNamespace(
  store: ObjectStore,
  name: string,
  options: { version?: number } = {},
): AsyncGenerator<string> {
  const { manifest } = await requireManifest(store, name);
  const version = versionOf(manifest, options.version).version;
  const s = await openNamespace(store, name, { version });
  try {
    yield* s.export();
  } finally {
    await s.close();
  }
}
