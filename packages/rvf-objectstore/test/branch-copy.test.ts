/**
 * Branches and copies of namespaces in S3 (Ceph RADOS Gateway on 127.0.0.1): a branch and a
 * shallow copy write only a manifest (no object is written), a branch records its lineage and
 * a copy does not, a deep copy duplicates every object, a delete removes objects only when
 * nothing else references them, and compacting one side leaves the other reading as before.
 */
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RvfStore } from '@rvfjs/runtime';
import { tempDir } from '@rvfjs/test-kit';
import { ErrorCode } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  audit,
  branch,
  checkout,
  compactNamespace,
  copy,
  deleteNamespace,
  describeNamespace,
  type ObjectStore,
  openNamespace,
  publish,
} from '../src/index.js';
import { answers, freshStore, rejection, writeStore } from './helpers.js';

const work = tempDir('rvfjs-branch-');
const main = join(work.dir, 'main.rvf');
let store: ObjectStore;

async function expectClean(): Promise<string[]> {
  const r = await audit(store);
  expect(r.dangling).toEqual([]);
  expect(r.leakedObjects).toEqual([]);
  expect(r.leakedMarkers).toEqual([]);
  expect(r.objects).toEqual(r.referenced);
  return r.objects;
}

beforeAll(async () => {
  store = await freshStore('b');
  await writeStore(main, 0, 1200, true);
  await publish(store, 'main', main);
  await writeStore(main, 1200, 200);
  await publish(store, 'main', main);
});
afterAll(() => work.cleanup());

describe('branch and copy', () => {
  it('a branch writes only a manifest, records its lineage, and answers as its source', async () => {
    const before = await expectClean();
    const m = await branch(store, 'main', 'exp');
    expect(await expectClean()).toEqual(before); // no object written
    expect(m.lineage).toMatchObject({ parent: 'main', parentVersion: 2 });
    expect(m.versions).toHaveLength(1);
    const a = await openNamespace(store, 'main');
    const b = await openNamespace(store, 'exp');
    expect(await answers(b)).toEqual(await answers(a));
    await a.close();
    await b.close();
    // From an earlier version.
    const old = await branch(store, 'main', 'old', { version: 1 });
    expect(old.lineage).toMatchObject({ parent: 'main', parentVersion: 1 });
    const o = await openNamespace(store, 'old');
    expect(o.status().totalVectors).toBe(1200);
    await o.close();
  });

  it('publishing to a branch adds objects to that side only', async () => {
    const path = join(work.dir, 'exp.rvf');
    await checkout(store, 'exp', path);
    const size = statSync(path).size;
    await writeStore(path, 9000, 50);
    const r = await publish(store, 'exp', path);
    expect(r.uploadedBytes).toBe(statSync(path).size - size);
    const exp = await openNamespace(store, 'exp');
    const mainReader = await openNamespace(store, 'main');
    expect(exp.status().totalVectors).toBe(1450);
    expect(mainReader.status().totalVectors).toBe(1400);
    expect(exp.get(9000)).toBeDefined();
    expect(mainReader.get(9000)).toBeUndefined();
    await exp.close();
    await mainReader.close();
    await expectClean();
  });

  it('a shallow copy shares every object and records no lineage; a deep copy duplicates them', async () => {
    const before = await expectClean();
    const shallow = await copy(store, 'main', 'shallow');
    expect(shallow.lineage).toBeNull();
    expect(shallow.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(await expectClean()).toEqual(before);
    const deep = await copy(store, 'main', 'deep', { deep: true });
    expect(deep.lineage).toBeNull();
    const src = (await describeNamespace(store, 'main'))!;
    expect(deep.objects.map((o) => o.sha256)).toEqual(src.objects.map((o) => o.sha256));
    for (const o of deep.objects) expect(src.objects.map((x) => x.id)).not.toContain(o.id);
    expect((await expectClean()).length).toBe(before.length + src.objects.length);
    const d = await openNamespace(store, 'deep', { version: 1 });
    expect(d.status().totalVectors).toBe(1200);
    await d.close();
  });

  it('deleting a source keeps what its branches and copies use, and deletes what only it used', async () => {
    const mainObjects = (await describeNamespace(store, 'main'))!.objects.map((o) => o.id);
    const r = await deleteNamespace(store, 'main');
    // exp, old and shallow still reference every object main had.
    expect(r).toMatchObject({ released: mainObjects.length, deletedObjects: 0 });
    expect((await rejection(openNamespace(store, 'main'))).code).toBe(ErrorCode.ManifestNotFound);
    const exp = await openNamespace(store, 'exp');
    expect(exp.status().totalVectors).toBe(1450);
    await exp.close();
    await expectClean();
    await deleteNamespace(store, 'shallow');
    await deleteNamespace(store, 'old');
    // Now only exp uses main's objects: deleting the deep copy removes only its own.
    const deep = await deleteNamespace(store, 'deep');
    expect(deep.deletedObjects).toBe(deep.released);
    const left = await expectClean();
    expect(left).toEqual((await describeNamespace(store, 'exp'))!.objects.map((o) => o.id).sort());
  });

  it('compacting one side rewrites only its references; the other side reads on', async () => {
    await branch(store, 'exp', 'side');
    const path = join(work.dir, 'side.rvf');
    await checkout(store, 'side', path);
    const s = await RvfStore.open(path);
    await s.delete(Array.from({ length: 600 }, (_, i) => i));
    await s.close();
    await publish(store, 'side', path);
    const expReader = await openNamespace(store, 'exp');
    const expAnswers = await answers(expReader);
    const sideReader = await openNamespace(store, 'side');
    const c = await compactNamespace(store, 'side');
    // A reader open across the compaction moves to the compacted version (a new file, not a longer one).
    expect(await sideReader.refresh()).toBe(true);
    expect(sideReader.status().totalVectors).toBe(850);
    expect(c.sizeAfter).toBeLessThan(c.sizeBefore);
    // exp still references all the old objects: only side's own appended object goes.
    expect(c.deletedObjects).toBe(1);
    const side = await openNamespace(store, 'side');
    expect(side.status().totalVectors).toBe(850);
    const compactedLocal = join(work.dir, 'side-local.rvf');
    copyFileSync(path, compactedLocal);
    const l = await RvfStore.open(compactedLocal);
    await l.compact();
    await l.close();
    const lr = await RvfStore.open(compactedLocal, { readOnly: true });
    expect(await answers(side)).toEqual(await answers(lr));
    expect(await answers(sideReader)).toEqual(await answers(lr));
    await sideReader.close();
    await lr.close();
    await side.close();
    expect(await expReader.refresh()).toBe(false);
    expect(await answers(expReader)).toEqual(expAnswers);
    await expReader.close();
    await expectClean();
  });

  it('refuses an existing destination, a missing source and a self-branch, with typed errors', async () => {
    expect((await rejection(branch(store, 'exp', 'side'))).code).toBe(ErrorCode.PathExists);
    expect((await rejection(copy(store, 'gone', 'x'))).code).toBe(ErrorCode.ManifestNotFound);
    const self = await rejection(branch(store, 'exp', 'exp'));
    expect(self.code).toBe(ErrorCode.InvalidArgument);
    expect(self.message).toMatch(/'exp'/);
    expect((await rejection(deleteNamespace(store, 'gone'))).code).toBe(ErrorCode.ManifestNotFound);
  });
});
