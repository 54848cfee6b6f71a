/**
 * SIGKILL while closing builds or saves the HNSW graph. A child commits vectors (and says so),
 * then closes, which finishes the graph on its worker thread and appends it; the test kills
 * it at a spread of moments in between. Whatever the moment, the file must reopen with every
 * committed vector, bit for bit, and its graph must be the previous complete one or absent:
 * a graph that was cut short is never read (it is not in any committed manifest). Runs the
 * BUILT package, like the other crash tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { vectorsFor } from './crash/index-data.mjs';
import { bruteForce, tempDir } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.RVF_CRASH_DIST ?? join(HERE, '../dist/index.js');
const WRITER = join(HERE, 'crash/index-writer.mjs');
const DIM = 16;
const N = 6000;
const GROW = 2000;

const work = tempDir('rvfjs-crash-index-');
afterAll(() => work.cleanup());

interface Run {
  committedAt: number;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  closed: boolean;
}

/** Starts the writer; kills it `delay` ms after it reports its commit (never, for -1). */
function runWriter(args: string[], delay: number): Promise<Run> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [WRITER, DIST, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let committedAt = -1;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (committedAt < 0 && out.includes('committed\n')) {
        committedAt = performance.now();
        if (delay >= 0) setTimeout(() => child.kill('SIGKILL'), delay);
      }
    });
    child.on('exit', (code, signal) =>
      resolve({ committedAt, exit: { code, signal }, closed: out.includes('closed\n') }),
    );
  });
}

async function expectIntact(
  path: string,
  ids: number[],
  seed: number,
  what: string,
): Promise<'saved' | 'absent'> {
  const r = await RvfStore.open(path, { readOnly: true });
  try {
    const want = vectorsFor(ids, DIM, seed);
    for (let i = 0; i < ids.length; i++) {
      const got = r.get(ids[i]!);
      expect(got, `${what}: id ${ids[i]} lost`).toBeDefined();
      expect(Array.from(got!.vector), `${what}: id ${ids[i]}`).toEqual(
        Array.from(want.subarray(i * DIM, (i + 1) * DIM)),
      );
    }
    const hadGraph = r.segments().some((s) => s.segType === 'rvfjs_hnsw_graph');
    await r.waitForIndex();
    const engine = r.status().engine;
    expect(engine.index, what).toBe('complete');
    // The saved graph, if the file lists one, loads: never a half-written or stale one.
    if (hadGraph) expect(engine.rebuildReason, what).toBeUndefined();
    else expect(engine.rebuildReason, what).toBe('no saved index');
    for (let q = 0; q < 5; q++) {
      const query = want.subarray(q * 97 * DIM, (q * 97 + 1) * DIM);
      const hits = await r.query(query, 10, { includeMetadata: false });
      const exact = bruteForce(want, ids, DIM, 'l2', query, 10);
      expect(hits[0]!.distance, what).toBe(0);
      const w = new Set(exact.map((e) => e.id));
      expect(hits.filter((h) => w.has(Number(h.id))).length, what).toBeGreaterThanOrEqual(8);
    }
    return hadGraph ? 'saved' : 'absent';
  } finally {
    await r.close();
  }
}

describe('SIGKILL during graph builds and saves', () => {
  it('a kill during the close-time build or save leaves every committed vector and a whole graph or none', async () => {
    // How long an undisturbed close takes here, so the kills spread over it.
    const probe = join(work.dir, 'probe.rvf');
    const clean = await runWriter([probe, 'fresh', String(N), '1'], -1);
    expect(clean.closed).toBe(true);
    const closeMs = performance.now() - clean.committedAt;
    const ids = Array.from({ length: N }, (_, i) => i);
    expect(await expectIntact(probe, ids, 1, 'clean run')).toBe('saved');

    const outcomes = { saved: 0, absent: 0 };
    const KILLS = 10;
    for (let k = 0; k < KILLS; k++) {
      const path = join(work.dir, `fresh-${k}.rvf`);
      const delay = Math.floor((closeMs * (k + 0.5)) / KILLS);
      const run = await runWriter([path, 'fresh', String(N), '1'], delay);
      if (run.closed) continue; // finished before the kill landed
      expect(run.exit.signal).toBe('SIGKILL');
      outcomes[await expectIntact(path, ids, 1, `fresh kill ${k} at +${delay} ms`)]++;
    }
    // Most kills land inside the build, where the graph is still absent.
    expect(outcomes.absent).toBeGreaterThan(0);
  }, 240_000);

  it('a kill while an indexed store saves its next graph keeps the previous graph usable', async () => {
    const base = join(work.dir, 'grow-base.rvf');
    const made = await runWriter([base, 'fresh', String(N), '2'], -1);
    expect(made.closed).toBe(true);
    const baseIds = Array.from({ length: N }, (_, i) => i);
    const grownIds = [
      ...baseIds.filter((i) => i < 3 || i > 5),
      ...Array.from({ length: GROW }, (_, i) => 1_000_000 + i),
      3,
      4,
      5,
    ];
    // The grown store's vectors: the base's, then the new ones and the three rewritten ids.
    const probe = join(work.dir, 'grow-probe.rvf');
    copyFileSync(base, probe);
    const clean = await runWriter([probe, 'grow', String(GROW), '2'], -1);
    expect(clean.closed).toBe(true);
    const closeMs = performance.now() - clean.committedAt;
    const KILLS = 8;
    let killed = 0;
    for (let k = 0; k < KILLS; k++) {
      const path = join(work.dir, `grow-${k}.rvf`);
      copyFileSync(base, path);
      const delay = Math.floor((closeMs * (k + 0.5)) / KILLS);
      const run = await runWriter([path, 'grow', String(GROW), '2'], delay);
      if (run.closed) continue;
      killed++;
      // Base ids keep the base's vectors (seed 2); the grown ones were written with seed 2 as well.
      const r = await RvfStore.open(path, { readOnly: true });
      const graphs = r.segments().filter((s) => s.segType === 'rvfjs_hnsw_graph').length;
      await r.close();
      expect(graphs, `grow kill ${k}`).toBeGreaterThanOrEqual(1);
      await expectIntactGrown(path, grownIds, `grow kill ${k} at +${delay} ms`);
    }
    expect(killed).toBeGreaterThan(0);
  }, 240_000);
});

/** The grown store: every id's vector is vectorsFor([id], 2), whichever write put it there. */
async function expectIntactGrown(path: string, ids: number[], what: string): Promise<void> {
  const r = await RvfStore.open(path, { readOnly: true });
  try {
    const want = vectorsFor(ids, DIM, 2);
    for (let i = 0; i < ids.length; i++) {
      const got = r.get(ids[i]!);
      expect(got, `${what}: id ${ids[i]} lost`).toBeDefined();
      expect(Array.from(got!.vector), `${what}: id ${ids[i]}`).toEqual(
        Array.from(want.subarray(i * DIM, (i + 1) * DIM)),
      );
    }
    await r.waitForIndex();
    expect(r.status().engine.index, what).toBe('complete');
    // The rewritten ids got the same vectors again, so whichever graph the file lists
    // (the base's or the new one) matches its vectors and loads.
    expect(r.status().engine.rebuildReason, what).toBeUndefined();
    const q = want.subarray(0, DIM);
    const hits = await r.query(q, 10, { includeMetadata: false });
    expect(hits[0]).toMatchObject({ id: ids[0], distance: 0 });
  } finally {
    await r.close();
  }
}
