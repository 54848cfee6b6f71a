import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { GOLDEN_DIR, goldenJson, goldenNames, tempDir } from './helpers.js';

const work = tempDir();
afterAll(() => work.cleanup());

/** Copies a golden file (and its parent, for a branch child) to a scratch folder. */
function stage(name: string): string {
  for (const n of [name, goldenJson(name).parentFile?.replace(/\.rvf$/, '')].filter(Boolean)) {
    copyFileSync(join(GOLDEN_DIR, `${n}.rvf`), join(work.dir, `${n}.rvf`));
  }
  return join(work.dir, `${name}.rvf`);
}

describe.each(goldenNames())('reference file %s.rvf', (name) => {
  const j = goldenJson(name);
  const recorded = j.reopenReadonly;

  it('opens read-only with the reference status and answers its recorded queries', async () => {
    const store = await RvfStore.open(stage(name), { readOnly: true });
    try {
      const s = store.status();
      expect(s.currentEpoch).toBe(recorded.status.currentEpoch);
      // The reference's totalVectors counts the file's own live vectors: ours is ownVectors.
      // Our totalVectors counts what queries see, which for a branch child includes the
      // inherited vectors (a documented difference); for any other file the two agree.
      expect(s.ownVectors).toBe(recorded.status.totalVectors);
      if (!j.parentFile) expect(s.totalVectors).toBe(recorded.status.totalVectors);
      expect(s.fileSize).toBe(recorded.status.fileSize);
      expect(s.totalSegments).toBe(recorded.status.totalSegments);
      expect(s.profileId).toBe(recorded.status.profileId);
      expect(store.segments()).toEqual(recorded.segments);
      if (j.fileId) expect(store.fileId).toBe(j.fileId);
      // Every recorded query is checked: a result that is not a list of hits is a broken
      // golden file, not a case to pass over.
      expect(recorded.queries.length).toBeGreaterThan(0);
      for (const q of recorded.queries) {
        expect(Array.isArray(q.result), `${q.name}: recorded result`).toBe(true);
        const got = await store.query(q.vector, q.k, q.filter ? { filter: q.filter } : {});
        expect(
          got.map((r) => r.id),
          q.name,
        ).toEqual(q.result.map((r: { id: number }) => r.id));
        for (const [i, r] of got.entries()) expect(r.distance).toBeCloseTo(q.result[i].distance, 5);
      }
    } finally {
      await store.close();
    }
  });
});
