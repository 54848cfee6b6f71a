/**
 * Every write is atomic in memory as on disk: a commit that fails leaves the handle's snapshot
 * exactly as it was. Each disk call of the write is failed in turn (PowerLossFileSystem), and
 * then the handle in memory, and the file reopened, must both show the state from before.
 * freeze() is the case that once went wrong: it changed the branch link in memory before its
 * commit, so a failed freeze left a child that said frozen while its file did not.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RvfError } from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { tempDir } from './helpers.js';
import { PowerLossFileSystem } from './power-loss/power-loss-fs.js';

const work = tempDir('rvfjs-atomic-');
afterAll(() => work.cleanup());

const DIM = 4;
const lock = { staleSameHostMs: 0 };
let runs = 0;

interface Subject {
  fs: PowerLossFileSystem;
  /** The store the failing operation runs on (a root, or a branch child). */
  store: RvfStore;
  path: string;
  /** Handles to close at the end. */
  handles: RvfStore[];
}

/** A fresh root with a few vectors, or a child of one with an edit of its own. */
async function subject(kind: 'root' | 'child'): Promise<Subject> {
  const fs = new PowerLossFileSystem();
  const dir = join(work.dir, `run-${runs++}`);
  mkdirSync(dir, { recursive: true });
  const root = await RvfStore.create(join(dir, 'root.rvf'), { dimension: DIM, fileSystem: fs, lock });
  await root.ingestBatch(
    [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ],
    [1, 2, 3],
    [{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }],
  );
  if (kind === 'root') return { fs, store: root, path: join(dir, 'root.rvf'), handles: [root] };
  const childPath = join(dir, 'child.rvf');
  const child = await root.branch(childPath, { lock });
  await child.ingestBatch([[0, 0, 0, 1]], [4]);
  return { fs, store: child, path: childPath, handles: [root, child] };
}

/** What a handle shows of its state: everything a failed write must leave unchanged. */
function observe(s: RvfStore) {
  const st = s.status();
  return {
    epoch: s.epoch,
    frozen: s.frozen,
    statusFrozen: st.frozen,
    readOnly: st.readOnly,
    totalVectors: st.totalVectors,
    fileSize: st.fileSize,
    segments: s.segments().length,
    cowFrozen: s.cowStats()?.frozen,
    fields: s.fieldNames().map((f) => f.name),
  };
}

async function reopened(path: string) {
  const s = await RvfStore.open(path, { readOnly: true });
  try {
    return {
      epoch: s.epoch,
      frozen: s.frozen,
      totalVectors: s.status().totalVectors,
      cowFrozen: s.cowStats()?.frozen,
    };
  } finally {
    await s.close();
  }
}

type Operation = [string, (s: RvfStore) => Promise<unknown>];
const OPERATIONS: Operation[] = [
  ['freeze', (s) => s.freeze()],
  ['ingest', (s) => s.ingestBatch([[1, 1, 1, 1]], [9], [{ color: 'new field' }])],
  ['delete', (s) => s.delete([1, 4])],
];

describe('a write that fails at any disk call changes nothing, in memory or on disk', () => {
  for (const kind of ['root', 'child'] as const) {
    for (const [name, run] of OPERATIONS) {
      it(`${name} on a ${kind}`, async () => {
        let failures = 0;
        for (let call = 1; ; call++) {
          const s = await subject(kind);
          try {
            const before = observe(s.store);
            const onDisk = await reopened(s.path);
            s.fs.failAt = s.fs.calls.length + call;
            const outcome = await run(s.store).then(
              () => 'ok' as const,
              (e: unknown) => e,
            );
            if (outcome === 'ok') {
              // Past the last call the operation makes: every earlier one was failed once.
              expect(failures).toBeGreaterThan(0);
              break;
            }
            failures++;
            expect(RvfError.is(outcome), String(outcome)).toBe(true);
            expect(observe(s.store)).toEqual(before);
            expect(await reopened(s.path)).toEqual(onDisk);
            // The handle still works from the state it kept.
            if (!s.store.frozen) {
              await s.store.ingestBatch([[2, 2, 2, 2]], [10]);
              expect(s.store.get(10)).toBeDefined();
            }
          } finally {
            for (const h of s.handles.reverse()) await h.close().catch(() => undefined);
          }
        }
      });
    }
  }

  it('a failed freeze of a branch child leaves it unfrozen, and a retry freezes it', async () => {
    const s = await subject('child');
    try {
      s.fs.failAt = s.fs.calls.length + 1;
      await expect(s.store.freeze()).rejects.toBeInstanceOf(RvfError);
      expect(s.store.frozen).toBe(false);
      expect(s.store.cowStats()?.frozen).toBe(false);
      expect(s.store.status().readOnly).toBe(false);
      await s.store.freeze();
      expect(s.store.frozen).toBe(true);
      expect(s.store.cowStats()?.frozen).toBe(true);
      expect(await reopened(s.path)).toMatchObject({ frozen: true, cowFrozen: true });
    } finally {
      for (const h of s.handles.reverse()) await h.close().catch(() => undefined);
    }
  });
});
