/**
 * Randomized sequences of publish, branch, shallow and deep copy, delete and compaction over
 * a handful of namespaces (seeded, so a failure replays), against Ceph RADOS Gateway on
 * 127.0.0.1. After every step the stored object set is exactly what the live manifests
 * reference, each reference has its marker, and every live namespace opens with the vector
 * count a model of the operations predicts.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RvfStore } from '@rvfjs/runtime';
import { mulberry32, tempDir } from '@rvfjs/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  audit,
  branch,
  checkout,
  compactNamespace,
  copy,
  deleteNamespace,
  type ObjectStore,
  openNamespace,
  publish,
} from '../src/index.js';
import { freshStore, writeStore } from './helpers.js';

const work = tempDir('rvfjs-refcounts-');
afterAll(() => work.cleanup());

const NAMES = ['a', 'b', 'c', 'd', 'e'];

async function run(seed: number, steps: number): Promise<string[]> {
  const store: ObjectStore = await freshStore(`rc${seed}`);
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  /** The model: live vectors per namespace. */
  const live = new Map<string, number>();
  let nextId = 0;
  const log: string[] = [];
  for (let step = 0; step < steps; step++) {
    const names = [...live.keys()];
    const free = NAMES.filter((n) => !live.has(n));
    const op =
      names.length === 0
        ? 'publish-new'
        : pick(['publish', 'publish', 'publish-new', 'branch', 'copy', 'deep', 'delete', 'compact', 'trim']);
    if ((op === 'publish-new' || op === 'branch' || op === 'copy' || op === 'deep') && free.length === 0)
      continue;
    if (op === 'publish-new') {
      const name = pick(free);
      const path = join(work.dir, `${seed}-${name}-${step}.rvf`);
      const n = 20 + Math.floor(rnd() * 30);
      await writeStore(path, nextId, n, true);
      nextId += n;
      await publish(store, name, path);
      live.set(name, n);
    } else if (op === 'publish' || op === 'trim') {
      const name = pick(names);
      const path = join(work.dir, `${seed}-${name}-${step}.rvf`);
      if (existsSync(path)) rmSync(path);
      await checkout(store, name, path);
      const n = 5 + Math.floor(rnd() * 10);
      await writeStore(path, nextId, n);
      nextId += n;
      await publish(store, name, path, op === 'trim' ? { keepVersions: 1 } : {});
      live.set(name, live.get(name)! + n);
    } else if (op === 'branch' || op === 'copy' || op === 'deep') {
      const src = pick(names);
      const dst = pick(free);
      if (op === 'branch') await branch(store, src, dst);
      else await copy(store, src, dst, { deep: op === 'deep' });
      live.set(dst, live.get(src)!);
    } else if (op === 'delete') {
      const name = pick(names);
      await deleteNamespace(store, name);
      live.delete(name);
    } else if (op === 'compact') {
      const name = pick(names);
      // Delete a few of its vectors first, so there is something to compact away.
      const path = join(work.dir, `${seed}-${name}-${step}.rvf`);
      await checkout(store, name, path);
      const s = await RvfStore.open(path);
      const some =
        s.status().totalVectors > 4 ? [...Array(2).keys()].map(() => Math.floor(rnd() * nextId)) : [];
      const { deleted } = await s.delete(some);
      await s.close();
      await publish(store, name, path);
      await compactNamespace(store, name);
      live.set(name, live.get(name)! - deleted);
    }
    log.push(op);
    const r = await audit(store);
    expect(r.dangling, `step ${step} ${op}`).toEqual([]);
    expect(r.leakedObjects, `step ${step} ${op}`).toEqual([]);
    expect(r.leakedMarkers, `step ${step} ${op}`).toEqual([]);
    expect(r.objects).toEqual(r.referenced);
    expect(r.namespaces).toEqual([...live.keys()].sort());
  }
  for (const [name, n] of live) {
    const s = await openNamespace(store, name);
    expect(s.status().totalVectors, name).toBe(n);
    await s.close();
  }
  return log;
}

describe('refcounts after randomized sequences', () => {
  it.each([1, 2, 3])('seed %i: objects stored = objects referenced, after every step', async (seed) => {
    const log = await run(seed, 25);
    // Every kind of operation ran at least once over the seeds (checked loosely per seed).
    expect(new Set(log).size).toBeGreaterThanOrEqual(5);
  });
});
