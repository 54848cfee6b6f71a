/**
 * Publishing a local working file as a namespace in S3 (Ceph RADOS Gateway on 127.0.0.1)
 * and reading it back: every version answers as the local file it was published from, a
 * new publish uploads only the appended bytes, refresh() follows new versions, export gives
 * the local export, and bad input is a typed error naming it.
 */
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RvfStore } from '@rvfjs/runtime';
import { tempDir } from '@rvfjs/test-kit';
import { ErrorCode } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteObject } from '../src/bucket.js';
import {
  audit,
  checkout,
  describeNamespace,
  exportNamespace,
  listNamespaces,
  type ObjectStore,
  openNamespace,
  publish,
} from '../src/index.js';
import { answers, collect, freshStore, rejection, writeStore } from './helpers.js';

const work = tempDir('rvfjs-ns-');
const local = join(work.dir, 'working.rvf');
const v1Copy = join(work.dir, 'v1.rvf');
let store: ObjectStore;

beforeAll(async () => {
  store = await freshStore('team');
  await writeStore(local, 0, 1500, true);
  copyFileSync(local, v1Copy);
});
afterAll(() => work.cleanup());

describe('a namespace published from a local file', () => {
  it('answers as the local file, and a second publish uploads only what was appended', async () => {
    const first = await publish(store, 'products', local);
    expect(first).toMatchObject({ version: 1, changed: true, size: statSync(local).size });
    expect(first.uploadedBytes).toBe(statSync(local).size);

    const reader = await openNamespace(store, 'products');
    const localReader = await RvfStore.open(local, { readOnly: true });
    expect(reader.status().totalVectors).toBe(1500);
    expect(await answers(reader)).toEqual(await answers(localReader));
    expect(reader.get(42)?.vector).toEqual(localReader.get(42)?.vector);
    await localReader.close();

    // Unchanged file: nothing written.
    expect(await publish(store, 'products', local)).toMatchObject({
      version: 1,
      changed: false,
      uploadedBytes: 0,
    });

    const before = statSync(local).size;
    await writeStore(local, 1500, 300);
    const second = await publish(store, 'products', local);
    expect(second).toMatchObject({ version: 2, changed: true, objects: 1 });
    expect(second.uploadedBytes).toBe(statSync(local).size - before);

    // The open reader picks the new version up.
    expect(await reader.refresh()).toBe(true);
    expect(reader.status().totalVectors).toBe(1800);
    const now = await RvfStore.open(local, { readOnly: true });
    expect(await answers(reader)).toEqual(await answers(now));
    await now.close();
    await reader.close();
  });

  it('opens an earlier version, which answers as the file was then', async () => {
    const old = await openNamespace(store, 'products', { version: 1 });
    const then = await RvfStore.open(v1Copy, { readOnly: true });
    expect(old.status().totalVectors).toBe(1500);
    expect(await answers(old)).toEqual(await answers(then));
    // A pinned version stays put.
    expect(await old.refresh()).toBe(false);
    await old.close();
    await then.close();
  });

  it('exports one version as the local export does', async () => {
    const s = await RvfStore.open(local, { readOnly: true });
    const expected = await collect(s.export());
    await s.close();
    const lines = await collect(exportNamespace(store, 'products'));
    expect(lines).toEqual(expected);
    expect(lines).toHaveLength(1800);
    expect(await collect(exportNamespace(store, 'products', { version: 1 }))).toHaveLength(1500);
  });

  it('a checked-out copy extended by another writer publishes only its new bytes', async () => {
    const copyPath = join(work.dir, 'checkout.rvf');
    expect(await checkout(store, 'products', copyPath)).toMatchObject({ version: 2 });
    const size = statSync(copyPath).size;
    await writeStore(copyPath, 5000, 10);
    const r = await publish(store, 'products', copyPath);
    expect(r).toMatchObject({ version: 3, uploadedBytes: statSync(copyPath).size - size });
    // The first working file no longer extends version 3: its next publish uploads all of it.
    const again = await publish(store, 'products', local);
    expect(again).toMatchObject({ version: 4, uploadedBytes: statSync(local).size });
    const m = await describeNamespace(store, 'products');
    expect(m?.versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    expect(await listNamespaces(store)).toEqual(['products']);
  });

  it('keepVersions drops old versions and deletes the objects only they used', async () => {
    const r = await publish(store, 'products', local, { keepVersions: 1 });
    expect(r.changed).toBe(false);
    await writeStore(local, 6000, 5);
    const kept = await publish(store, 'products', local, { keepVersions: 1 });
    expect(kept).toMatchObject({ version: 5 });
    // Versions 1-3 used objects version 5 does not (4 was a full upload that 5 extends).
    expect(kept.deletedObjects).toBe(3);
    const m = await describeNamespace(store, 'products');
    expect(m?.versions.map((v) => v.version)).toEqual([5]);
    const report = await audit(store);
    expect(report.dangling).toEqual([]);
    expect(report.leakedObjects).toEqual([]);
    expect(report.leakedMarkers).toEqual([]);
    expect(report.objects).toEqual(m!.objects.map((o) => o.id).sort());
    expect((await rejection(openNamespace(store, 'products', { version: 2 }))).message).toMatch(
      /products.*no version 2/,
    );
  });

  it('refuses a missing namespace, a bad name, a missing file and a write, with typed errors', async () => {
    const missing = await rejection(openNamespace(store, 'nope'));
    expect(missing.code).toBe(ErrorCode.ManifestNotFound);
    expect(missing.message).toMatch(/'nope'/);
    const bad = await rejection(publish(store, '../x', local));
    expect(bad.code).toBe(ErrorCode.InvalidArgument);
    expect(bad.message).toMatch(/\.\.\/x/);
    const noFile = await rejection(publish(store, 'other', join(work.dir, 'absent.rvf')));
    expect(noFile.code).toBe(ErrorCode.ManifestNotFound);
    expect(noFile.message).toMatch(/absent\.rvf/);
    const reader = await openNamespace(store, 'products');
    expect((await rejection(reader.ingestBatch([[1, 2, 3, 4, 5, 6, 7, 8]], [99_999]))).code).toBe(
      ErrorCode.ReadOnly,
    );
    await reader.close();
    expect((await rejection(checkout(store, 'products', local))).code).toBe(ErrorCode.PathExists);
  });

  it('a version whose object is gone (deleted under a reader) is a typed error naming the object, never other bytes', async () => {
    await publish(store, 'fragile', v1Copy);
    const m = await describeNamespace(store, 'fragile');
    const key = `${store.prefix}objects/${m!.objects[0]!.id}`;
    await deleteObject(store, key);
    const e = await rejection(openNamespace(store, 'fragile'));
    expect([ErrorCode.ManifestNotFound, ErrorCode.IoFailed]).toContain(e.code);
    expect(e.message).toContain(key);
    expect((await audit(store)).dangling).toEqual([
      { namespace: 'fragile', object: m!.objects[0]!.id, missing: 'object' },
    ]);
  });
});
