import { type FileHandle, open } from 'node:fs/promises';
import { rvfError } from '@rvfjs/types';

/**
 * Opens a store's file for reading bytes directly (inspect, verify), failing the way
 * RvfStore.open does: a missing file is ManifestNotFound, anything else IoFailed.
 */
export async function openStoreFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw rvfError('ManifestNotFound', `${path} does not exist`, { path });
    }
    throw rvfError('IoFailed', `cannot open ${path}: ${(e as Error).message}`, { path }, e);
  }
}
