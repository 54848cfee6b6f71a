import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { rvfError } from '@rvfjs/types';
import { type ObjectStore, putConditional } from './bucket.js';
import { newObjectId, objectKey } from './layout.js';
import type { ObjectRef } from './manifest.js';
import { addRefs } from './refs.js';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Opens a local file to read, failing as RvfStore.open does (ManifestNotFound, IoFailed). */
export async function openLocalFile(path: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw rvfError('ManifestNotFound', `${path} does not exist`, { path });
    throw rvfError('IoFailed', `cannot open ${path}: ${(e as Error).message}`, { path }, e);
  }
}

/** Reads `length` bytes of an open file at `position`. */
export async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0)
      throw rvfError(
        'TruncatedSegment',
        `file ended at ${position + done} while reading ${length} bytes at ${position}`,
        {
          offset: position + done,
        },
      );
    done += bytesRead;
  }
  return out;
}

/**
 * Uploads bytes [from, to) of a local file as new objects of at most `partBytes` each, for
 * namespace `name`: each object's reference marker is written before the object, so an
 * object is never without a count. The objects are not yet in any manifest: a caller that
 * fails before writing one leaks them (see audit()), which is the safe side.
 */
export async function uploadFileRange(
  store: ObjectStore,
  name: string,
  fh: fs.FileHandle,
  from: number,
  to: number,
  partBytes: number,
): Promise<ObjectRef[]> {
  const added: ObjectRef[] = [];
  for (let at = from; at < to; at += partBytes) {
    const bytes = await readAt(fh, at, Math.min(partBytes, to - at));
    const id = newObjectId();
    await addRefs(store, name, [id]);
    // If-None-Match: an object, once written, is never written again.
    const put = await putConditional(store, objectKey(store, id), bytes, { ifNoneMatch: '*' });
    if (put !== 'won') {
      throw rvfError(
        'IoFailed',
        `${store.url}: upload of object ${id} (${bytes.length} bytes) did not complete`,
        {
          namespace: name,
        },
      );
    }
    added.push({ id, size: bytes.length, sha256: sha256(bytes) });
  }
  return added;
}
