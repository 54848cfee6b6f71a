import { promises as fs } from 'node:fs';
import { rvfError } from '@rvfjs/types';
import type { ObjectStore } from './bucket.js';
import { requireManifest, versionOf } from './manifest.js';
import { versionSource } from './namespace-source.js';

/** Bytes per read while downloading. */
const PIECE = 8 * 1024 * 1024;

/**
 * Downloads a version of a namespace into a new local file (which must not exist): the
 * working file a writer opens, appends to and publishes again, which then uploads only what
 * it appended. Returns the version downloaded.
 */
export async function checkout(
  store: ObjectStore,
  name: string,
  localPath: string,
  options: { version?: number } = {},
): Promise<{ version: number; size: number }> {
  const { manifest } = await requireManifest(store, name);
  const v = versionOf(manifest, options.version);
  const source = versionSource(store, manifest, v);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(localPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw rvfError('PathExists', `${localPath} already exists`, { path: localPath });
    throw rvfError('IoFailed', `cannot create ${localPath}: ${(e as Error).message}`, { path: localPath }, e);
  }
  try {
    for (let at = 0; at < v.size; at += PIECE) {
      const bytes = await source.read(at, Math.min(PIECE, v.size - at));
      await fh.write(bytes, 0, bytes.length, at);
    }
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(localPath, { force: true });
    throw e;
  }
  await fh.close();
  return { version: v.version, size: v.size };
}
