/**
 * The losing side of every race, against Ceph RADOS Gateway on 127.0.0.1: of writers racing
 * to replace or create a manifest exactly one wins and the others get a typed error (never
 * a silent overwrite); racing branches onto one name leave one branch and no leak; racing
 * publishes to one namespace are serialized by its lock; a lock left by a dead process is
 * taken over once it expires, and a live one makes a waiter fail with LockHeld.
 */
import { join } from 'node:path';
import { tempDir } from '@rvfjs/test-kit';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteObject } from '../src/bucket.js';
import {
  audit,
  branch,
  describeNamespace,
  type ObjectStore,
  openNamespace,
  publish,
  putConditional,
  readManifest,
  writeManifest,
} from '../src/index.js';
import { withLocks } from '../src/lock.js';
import { freshStore, writeStore } from './helpers.js';

const work = tempDir('rvfjs-races-');
let store: ObjectStore;

beforeAll(async () => {
  store = await freshStore('r');
  await writeStore(join(work.dir, 'base.rvf'), 0, 300, true);
  await publish(store, 'base', join(work.dir, 'base.rvf'));
});
afterAll(() => work.cleanup());

const outcomes = async (ps: Promise<unknown>[]) =>
  Promise.all(
    ps.map((p) =>
      p.then(
        () => 'won' as const,
        (e: unknown) => {
          if (!RvfError.is(e)) throw e;
          return e;
        },
      ),
    ),
  );

describe('races', () => {
  it('of 12 writers replacing one manifest generation, one wins; the others get UpdateConflict', async () => {
    const previous = (await readManifest(store, 'base'))!;
    const results = await outcomes(
      Array.from({ length: 12 }, (_, i) =>
        writeManifest(
          store,
          {
            ...previous.manifest,
            versions: previous.manifest.versions.map((v) => ({ ...v, publishedAt: `w${i}` })),
          },
          previous,
        ),
      ),
    );
    const winners = results.filter((r) => r === 'won');
    expect(winners).toHaveLength(1);
    for (const r of results) if (r !== 'won') expect(r.code).toBe(ErrorCode.UpdateConflict);
    const now = (await readManifest(store, 'base'))!;
    expect(now.manifest.generation).toBe(previous.manifest.generation + 1);
    // A writer that lost re-reads: the stale ETag never matches again.
    expect((await outcomes([writeManifest(store, previous.manifest, previous)]))[0]).toMatchObject({
      code: ErrorCode.UpdateConflict,
    });
  });

  it('of 10 creators of one key (If-None-Match), exactly one wins', async () => {
    const key = `${store.prefix}probe/once`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        putConditional(store, key, new TextEncoder().encode(`${i}`), { ifNoneMatch: '*' }),
      ),
    );
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    expect(results.filter((r) => r === 'won' || r === 'lost' || r === 'unknown')).toHaveLength(10);
  });

  it('of 6 racing branches onto one name, one is made, the rest get PathExists, and nothing leaks', async () => {
    const results = await outcomes(Array.from({ length: 6 }, () => branch(store, 'base', 'twin')));
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    for (const r of results) if (r !== 'won') expect(r.code).toBe(ErrorCode.PathExists);
    const r = await audit(store);
    expect(r.dangling).toEqual([]);
    expect(r.leakedMarkers).toEqual([]);
    expect(r.leakedObjects).toEqual([]);
  });

  it('4 writers publishing different files to one namespace at once all get a version, one at a time', async () => {
    const files = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const p = join(work.dir, `w${i}.rvf`);
        await writeStore(p, i * 1000, 100 + i, true);
        return p;
      }),
    );
    const results = await Promise.all(files.map((f) => publish(store, 'contended', f)));
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3, 4]);
    const m = (await describeNamespace(store, 'contended'))!;
    expect(m.versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    // The last version is the file of whoever published last.
    const last = results.find((r) => r.version === 4)!;
    const reader = await openNamespace(store, 'contended');
    expect(reader.status().totalVectors).toBe(100 + files.indexOf(files[results.indexOf(last)]!));
    await reader.close();
    const r = await audit(store);
    expect(r.dangling).toEqual([]);
    expect(r.leakedObjects).toEqual([]);
  });

  it('a lock past its expiry is taken over; a live one fails a waiter with LockHeld naming the namespace', async () => {
    const key = `${store.prefix}locks/base`;
    const stale = new TextEncoder().encode(
      JSON.stringify({ owner: 'dead-process', expiresAt: Date.now() - 1000 }),
    );
    expect(await putConditional(store, key, stale, { ifNoneMatch: '*' })).toBe('won');
    // Taken over: the publish goes through.
    expect((await publish(store, 'base', join(work.dir, 'base.rvf'))).changed).toBe(false);
    const live = new TextEncoder().encode(
      JSON.stringify({ owner: 'someone', expiresAt: Date.now() + 60_000 }),
    );
    expect(await putConditional(store, key, live, { ifNoneMatch: '*' })).toBe('won');
    const e = await publish(store, 'base', join(work.dir, 'base.rvf'), { lock: { waitMs: 300 } }).then(
      () => undefined,
      (err: unknown) => err as RvfError,
    );
    expect(e?.code).toBe(ErrorCode.LockHeld);
    expect(e?.message).toMatch(/'base'/);
    await deleteObject(store, key);
  });

  it('an operation that outlives the TTL renews its lock, so no one takes it over meanwhile', async () => {
    let inside = false;
    const long = withLocks(
      store,
      ['slow'],
      async () => {
        inside = true;
        await new Promise((r) => setTimeout(r, 1500)); // five TTLs
        inside = false;
      },
      { ttlMs: 300 },
    );
    while (!inside) await new Promise((r) => setTimeout(r, 10));
    const e = await withLocks(store, ['slow'], async () => 'got it', { ttlMs: 300, waitMs: 1000 }).then(
      () => undefined,
      (err: unknown) => err as RvfError,
    );
    expect(e?.code).toBe(ErrorCode.LockHeld);
    await long;
    // Released at the end: the next taker gets it at once.
    expect(await withLocks(store, ['slow'], async () => 'got it', { waitMs: 100 })).toBe('got it');
  });
});
