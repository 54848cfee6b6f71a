import { deleteObject, listKeys, type ObjectStore, putObject } from './bucket.js';
import { objectKey, refKey, refsPrefix } from './layout.js';
import { parallel } from './parallel.js';

/** Requests in flight at once when adding or dropping many markers. */
const CONCURRENCY = 16;

/**
 * Counts `name` as a user of each object: one marker per (object, namespace), so adding one
 * is an idempotent PUT, with no read-modify-write to race on. Called before the manifest
 * that references the objects is written: a crash in between leaks a marker (and keeps an
 * object alive), it never leaves a manifest naming an object nothing counts.
 */
export async function addRefs(store: ObjectStore, name: string, ids: Iterable<string>): Promise<void> {
  await parallel([...new Set(ids)], CONCURRENCY, (id) =>
    putObject(store, refKey(store, id, name), new Uint8Array()),
  );
}

/**
 * Stops counting `name` as a user of each object, and deletes each object whose count is
 * now zero. Called after the manifest that referenced them is gone or replaced, and while
 * `name` is locked. Why the zero check is safe: any other namespace that references the
 * object has a marker of its own (added before its manifest existed); any operation about
 * to add one holds the lock of a namespace that references it (the source of a branch or
 * copy), and so a marker of that namespace is there too. Returns the ids deleted.
 */
export async function dropRefs(store: ObjectStore, name: string, ids: Iterable<string>): Promise<string[]> {
  const deleted = await parallel([...new Set(ids)], CONCURRENCY, async (id) => {
    await deleteObject(store, refKey(store, id, name));
    if ((await listKeys(store, refsPrefix(store, id))).length > 0) return undefined;
    await deleteObject(store, objectKey(store, id));
    return id;
  });
  return deleted.filter((id): id is string => id !== undefined);
}
