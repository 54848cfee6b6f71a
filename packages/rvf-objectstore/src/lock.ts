import { randomBytes } from 'node:crypto';
import { rvfError } from '@rvfjs/types';
import { deleteObject, getObject, type ObjectStore, putConditional } from './bucket.js';
import { lockKey } from './layout.js';

/** How long a namespace lock lasts unrenewed, and how long to wait for one another writer holds. */
export interface LockOptions {
  /** How long a lock is good for without being renewed (default 60 s); an older one may be broken. */
  ttlMs?: number;
  /** How long to wait for a held lock before failing with LockHeld (default 30 s). */
  waitMs?: number;
}

interface LockBody {
  owner: string;
  expiresAt: number;
}

interface HeldLock {
  name: string;
  etag: string;
  owner: string;
}

const encode = (b: LockBody) => new TextEncoder().encode(JSON.stringify(b));

function decode(bytes: Uint8Array): LockBody | undefined {
  try {
    const b = JSON.parse(new TextDecoder().decode(bytes)) as LockBody;
    return typeof b.owner === 'string' && Number.isFinite(b.expiresAt) ? b : undefined;
  } catch {
    return undefined; // unreadable: treated as expired
  }
}

/**
 * Takes the lock of one namespace: a lock object created with If-None-Match: * (of racing
 * takers exactly one creates it). A lock past its expiry was left by a process that died;
 * it is taken over with If-Match on its ETag, so of several takers again exactly one wins.
 */
async function acquire(store: ObjectStore, name: string, ttlMs: number, waitMs: number): Promise<HeldLock> {
  const key = lockKey(store, name);
  const owner = randomBytes(12).toString('hex');
  const deadline = Date.now() + waitMs;
  let pause = 10;
  for (;;) {
    const body = encode({ owner, expiresAt: Date.now() + ttlMs });
    let outcome = await putConditional(store, key, body, { ifNoneMatch: '*' });
    let seen: LockBody | undefined;
    if (outcome !== 'won') {
      const held = await getObject(store, key);
      seen = held && decode(held.bytes);
      if (seen?.owner === owner) outcome = 'won';
      else if (held && (!seen || seen.expiresAt < Date.now())) {
        outcome = await putConditional(store, key, body, { ifMatch: held.etag });
        if (outcome === 'unknown') {
          const now = await getObject(store, key);
          outcome = now && decode(now.bytes)?.owner === owner ? 'won' : 'lost';
        }
      }
    }
    if (outcome === 'won') {
      const mine = await getObject(store, key);
      if (mine && decode(mine.bytes)?.owner === owner) return { name, etag: mine.etag, owner };
    }
    if (Date.now() > deadline) {
      throw rvfError(
        'LockHeld',
        `namespace '${name}' is locked by another operation (${key}, expires ${seen ? new Date(seen.expiresAt).toISOString() : 'soon'})`,
        { namespace: name },
      );
    }
    await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, 250);
  }
}

/**
 * Pushes a held lock's expiry out by another TTL, with If-Match on the ETag we last wrote: if
 * the lock was taken over meanwhile (we were stalled past the TTL), the renewal fails and the
 * manifest's conditional write is what keeps the outcome safe.
 */
async function renew(store: ObjectStore, lock: HeldLock, ttlMs: number): Promise<void> {
  const key = lockKey(store, lock.name);
  const body = encode({ owner: lock.owner, expiresAt: Date.now() + ttlMs });
  if ((await putConditional(store, key, body, { ifMatch: lock.etag })) === 'lost') return;
  const now = await getObject(store, key);
  if (now && decode(now.bytes)?.owner === lock.owner) lock.etag = now.etag;
}

/** Gives a lock back, unless it expired and someone else has it now. */
async function release(store: ObjectStore, lock: HeldLock): Promise<void> {
  const key = lockKey(store, lock.name);
  const now = await getObject(store, key);
  if (now && decode(now.bytes)?.owner === lock.owner) await deleteObject(store, key);
}

/**
 * Runs `fn` holding the locks of `names`, taken one at a time in key order (so two
 * operations that need the same two namespaces never wait for each other in a cycle), and
 * released in the reverse order however `fn` ends.
 */
export async function withLocks<T>(
  store: ObjectStore,
  names: readonly string[],
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const ttl = options.ttlMs ?? 60_000;
  const wait = options.waitMs ?? 30_000;
  const held: HeldLock[] = [];
  // Renewed every third of the TTL while `fn` runs, so a long upload keeps its locks; a
  // process that dies stops renewing, and its locks expire.
  let renewing: Promise<unknown> = Promise.resolve();
  const heartbeat = setInterval(() => {
    renewing = renewing.then(() => Promise.allSettled(held.map((lock) => renew(store, lock, ttl))));
  }, ttl / 3);
  heartbeat.unref();
  try {
    for (const name of [...new Set(names)].sort()) held.push(await acquire(store, name, ttl, wait));
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await renewing;
    for (const lock of held.reverse()) await release(store, lock).catch(() => undefined);
  }
}
