import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { randomVectors, tempDir } from './helpers.js';
import { expectSameHits, RvfDatabase } from './interop/reference.js';

const work = tempDir('rvfjs-interop-branch-');
afterAll(() => work.cleanup());

describe('branches we write, read by the reference', () => {
  it('a child (and its edits) opens in the reference with our results while the parent is unchanged', async () => {
    const dim = 8;
    const parentPath = join(work.dir, 'parent.rvf');
    const childPath = join(work.dir, 'child.rvf');
    const parent = await RvfStore.create(parentPath, { dimension: dim });
    await parent.ingestBatch(randomVectors(300, dim, 1), [...Array(300).keys()]);
    await parent.delete([7, 8]);
    const child = await parent.branch(childPath);
    await child.ingestBatch(randomVectors(5, dim, 2), [0, 1, 2, 1000, 1001]);
    await child.delete([3, 4, 1001]);
    const queries = randomVectors(10, dim, 3);
    const ours: { id: number; distance: number }[][] = [];
    for (let q = 0; q < 10; q++) {
      const res = await child.query(queries.subarray(q * dim, (q + 1) * dim), 10);
      ours.push(res.map((r) => ({ id: Number(r.id), distance: r.distance })));
    }
    await child.close();
    await parent.close();

    const ref = RvfDatabase.openReadonly(childPath);
    try {
      for (let q = 0; q < 10; q++) {
        const theirs = ref.query(queries.subarray(q * dim, (q + 1) * dim), 10);
        expectSameHits(theirs, ours[q]!, `query ${q}`);
      }
    } finally {
      ref.close?.();
    }
    // Our reopened child agrees too.
    const again = await RvfStore.open(childPath, { readOnly: true });
    const res = await again.query(queries.subarray(0, dim), 10);
    expect(res.map((r) => Number(r.id))).toEqual(ours[0]!.map((h) => h.id));
    await again.close();
  });
});
