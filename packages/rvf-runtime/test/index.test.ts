import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import { bruteForce, clustered, tempDir } from './helpers.js';

const work = tempDir('rvfjs-index-');
afterAll(() => work.cleanup());

const N = 6000;
const DIM = 32;

const vecs = clustered(N, DIM, 1);
const ids = [...Array(N).keys()];
// bucket = i % 100: "bucket < 1" keeps 1%, "< 10" keeps 10%, "< 50" keeps 50%.
const meta = ids.map((i) => ({ bucket: (i * 37) % 100, tag: i % 2 ? 'odd' : 'even' }));
const queries = clustered(40, DIM, 2);
const path = join(work.dir, 'idx.rvf');

function recall(got: { id: unknown }[], want: { id: number }[]): number {
  const w = new Set(want.map((x) => x.id));
  return got.filter((g) => w.has(Number(g.id))).length / Math.max(1, want.length);
}

async function meanRecall(
  store: RvfStore,
  keep?: (i: number) => boolean,
  filter?: object,
  plan?: 'hnsw' | 'exact',
): Promise<number> {
  let sum = 0;
  for (let q = 0; q < 40; q++) {
    const query = queries.subarray(q * DIM, (q + 1) * DIM);
    const got = await store.query(query, 10, {
      ...(filter ? { filter: filter as never } : {}),
      ...(plan ? { plan } : {}),
    });
    const want = bruteForce(vecs, ids, DIM, 'l2', query, 10, keep ? (id) => keep(id) : undefined);
    sum += recall(got, want);
    // Distances are the exact kernel's, whichever engine proposed the ids.
    for (const g of got) {
      const i = Number(g.id);
      let d = 0;
      for (let k = 0; k < DIM; k++) d += (vecs[i * DIM + k]! - query[k]!) ** 2;
      expect(Math.abs(g.distance - d)).toBeLessThanOrEqual(1e-4 * Math.max(1, d));
    }
  }
  return sum / 40;
}

beforeAll(async () => {
  const store = await RvfStore.create(path, { dimension: DIM });
  await store.ingestBatch(vecs, ids, meta);
  await store.waitForIndex();
  await store.close(); // saves the graph
}, 120_000);

describe('HNSW in the store', () => {
  it('a reopened store answers at once (exact), then takes up its saved graph at recall ≥ 0.95', async () => {
    const s = await RvfStore.open(path, { readOnly: true });
    // Cold start: the saved graph is read and laid out in the background; the first answer
    // is exact and immediate.
    const q0 = queries.subarray(0, DIM);
    const first = await s.query(q0, 10);
    expect(s.status().engine.lastQueryEngine).toBe('exact');
    expect(first.map((h) => h.id)).toEqual(bruteForce(vecs, ids, DIM, 'l2', q0, 10).map((w) => w.id));
    await s.waitForIndex();
    expect(s.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(s.status().engine.rebuildReason).toBeUndefined();
    expect(await meanRecall(s)).toBeGreaterThanOrEqual(0.95);
    // A reader walks the saved graph in WebAssembly for good (no hnswlib copy of it).
    expect(s.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    expect(s.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(true);
    await s.close();
  });

  it.each([1, 10, 50])(
    'filtered recall@10 ≥ 0.99 at %d percent selectivity after reopen, planned and forced',
    async (pct) => {
      const s = await RvfStore.open(path, { readOnly: true });
      await s.waitForIndex();
      const keep = (i: number) => meta[i]!.bucket < pct;
      // The planner scans the candidates of the rarer filters (60 or 600 of them, against a
      // walk of about ef / fraction × 2·M distances, each ~0.3 of a scanned candidate in a
      // reader's walk with SIMD distances, ef widened to 100 / √fraction) and walks the graph
      // for the broad one (3000 candidates against about 2700). A filtered walk asks the
      // filter at every member, so it runs in TypeScript ('hnsw-js').
      expect(await meanRecall(s, keep, F.lt('bucket', pct))).toBeGreaterThanOrEqual(0.99);
      expect(s.status().engine.lastQueryEngine).toBe(pct === 50 ? 'hnsw-js' : 'exact');
      // Forced through the graph with the filter applied during the walk, recall holds too.
      expect(await meanRecall(s, keep, F.lt('bucket', pct), 'hnsw')).toBeGreaterThanOrEqual(0.99);
      expect(s.status().engine.lastQueryEngine).toBe('hnsw-js');
      await s.close();
    },
  );

  it('deletes are never returned and re-ingest replaces, through the graph', async () => {
    const p = join(work.dir, 'edit.rvf');
    writeFileSync(p, readFileSync(path));
    const s = await RvfStore.open(p);
    await s.waitForIndex();
    const q = queries.subarray(0, DIM);
    const before = await s.query(q, 10);
    // A writer walks its saved graph in WebAssembly until its writes need hnswlib.
    expect(s.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    const gone = before.slice(0, 3).map((h) => h.id as number);
    await s.delete(gone);
    const after = await s.query(q, 10);
    expect(after.some((h) => gone.includes(h.id as number))).toBe(false);
    // Re-ingesting a member the saved graph holds makes that graph stale: hnswlib loads it,
    // and the new vector is inserted.
    await s.ingestBatch([Array.from(q)], [gone[0]!]);
    const again = await s.query(q, 1);
    expect(again[0]).toMatchObject({ id: gone[0], distance: 0 });
    await s.waitForIndex();
    expect((await s.query(q, 1))[0]).toMatchObject({ id: gone[0], distance: 0 });
    expect(s.status().engine.lastQueryEngine).toBe('hnsw');
    await s.close();
    const r = await RvfStore.open(p, { readOnly: true });
    await r.waitForIndex();
    expect(r.status().engine.rebuildReason).toBeUndefined();
    expect((await r.query(q, 1))[0]).toMatchObject({ id: gone[0], distance: 0 });
    expect((await r.query(q, 10)).some((h) => gone.slice(1).includes(h.id as number))).toBe(false);
    await r.close();
  });

  it('a stale saved graph is detected and rebuilt with progress, answering exactly meanwhile', async () => {
    const p = join(work.dir, 'stale.rvf');
    writeFileSync(p, readFileSync(path));
    const w = await RvfStore.open(p);
    // Replace a vector the saved graph was built over, and "crash" (no close: no new graph saved).
    await w.ingestBatch([Array.from(queries.subarray(0, DIM))], [17]);
    const progress: number[] = [];
    const r = await RvfStore.open(p, { readOnly: true, onIndexProgress: (done) => progress.push(done) });
    expect((await r.query(queries.subarray(0, DIM), 1))[0]).toMatchObject({ id: 17, distance: 0 });
    await r.waitForIndex();
    expect(r.status().engine.rebuildReason).toMatch(/stale|ContentHashMismatch|different vectors/);
    expect(r.status().engine.index).toBe('complete');
    expect(progress.length).toBeGreaterThan(0);
    expect((await r.query(queries.subarray(0, DIM), 1))[0]).toMatchObject({ id: 17, distance: 0 });
    await r.close();
    await w.close();
  });

  it('a damaged saved graph is rebuilt, never trusted', async () => {
    const p = join(work.dir, 'damaged.rvf');
    const bytes = new Uint8Array(readFileSync(path));
    const s0 = await RvfStore.open(path, { readOnly: true });
    const g = s0.segments().find((x) => x.segType === 'rvfjs_hnsw_graph')!;
    await s0.close();
    bytes[g.offset + 64 + Math.floor(g.payloadLength / 2)]! ^= 0x40;
    writeFileSync(p, bytes);
    const s = await RvfStore.open(p, { readOnly: true });
    await s.waitForIndex();
    expect(s.status().engine.rebuildReason).toBeDefined();
    expect(await meanRecall(s)).toBeGreaterThanOrEqual(0.95);
    await s.close();
  });

  /** Runs `body` in a fresh process without the add-on; it prints one JSON line. */
  function withoutNative(body: string, env: Record<string, string> = {}): Record<string, unknown> {
    const script = `
      import { RvfStore } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const Q = new Float32Array(${JSON.stringify(Array.from(queries))});
      const q = (i) => Q.subarray(i * ${DIM}, (i + 1) * ${DIM});
      ${body}`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, RVF_DISABLE_NATIVE: '1', ...env },
    });
    return JSON.parse(out);
  }

  it.each([
    ['in WebAssembly', 'hnsw-wasm', {}],
    ['in TypeScript where SIMD is turned off', 'hnsw-js', { RVF_DISABLE_SIMD: '1' }],
  ])(
    'without the native add-on the saved graph is walked %s, after its digest is checked',
    (_, engine, env) => {
      const out = withoutNative(
        `
      const s = await RvfStore.open(${JSON.stringify(path)}, { readOnly: true });
      const first = (await s.query(new Float32Array(${DIM}), 3)).map((x) => x.id);
      await s.waitForIndex();
      const answers = [];
      for (let i = 0; i < 40; i++) answers.push((await s.query(q(i), 10)).map((x) => [x.id, x.distance]));
      console.log(JSON.stringify({ first, answers, engine: s.status().engine }));
      await s.close();`,
        env,
      );
      expect(out.engine).toMatchObject({
        index: 'complete',
        indexedVectors: N,
        nativeAvailable: false,
        lastQueryEngine: engine,
        simd: engine === 'hnsw-wasm',
      });
      expect(out.first).toEqual(bruteForce(vecs, ids, DIM, 'l2', new Float32Array(DIM), 3).map((w) => w.id));
      let sum = 0;
      (out.answers as [number, number][][]).forEach((got, i) => {
        const query = queries.subarray(i * DIM, (i + 1) * DIM);
        const want = bruteForce(vecs, ids, DIM, 'l2', query, 10);
        sum += recall(
          got.map(([id]) => ({ id })),
          want,
        );
        // Every distance is exact for the vector returned.
        for (const [id, d] of got) {
          let e = 0;
          for (let k = 0; k < DIM; k++) e += (vecs[id * DIM + k]! - query[k]!) ** 2;
          expect(Math.abs(d - e)).toBeLessThanOrEqual(1e-4 * Math.max(1, e));
        }
      });
      expect(sum / 40).toBeGreaterThanOrEqual(0.95);
    },
  );

  it('without the add-on, writes answer beside the walked graph; a graph they made stale is refused at the next open', () => {
    const p = join(work.dir, 'no-native.rvf');
    writeFileSync(p, readFileSync(path));
    // Vector 5 moves onto query 0, vector 9 is deleted, and id N + 1 is new (also onto query 1).
    const out = withoutNative(`
      const s = await RvfStore.open(${JSON.stringify(p)});
      await s.waitForIndex();
      await s.ingestBatch(new Float32Array([...q(0), ...q(1)]), [5, ${N + 1}]);
      await s.delete([9]);
      const near0 = (await s.query(q(0), 3)).map((x) => [x.id, x.distance]);
      const near1 = (await s.query(q(1), 3)).map((x) => [x.id, x.distance]);
      const engine = s.status().engine.lastQueryEngine;
      const all = [];
      for (let i = 0; i < 40; i++) all.push(...(await s.query(q(i), 10)).map((x) => x.id));
      await s.close();
      const r = await RvfStore.open(${JSON.stringify(p)}, { readOnly: true });
      await r.waitForIndex();
      const reopened = (await r.query(q(0), 3)).map((x) => x.id);
      console.log(JSON.stringify({ near0, near1, engine, all, reopened, after: r.status().engine }));
      await r.close();`);
    // The walk skips the rewritten and the deleted member and stays in WebAssembly; the
    // rewritten one answers from the scan beside it.
    expect(out.engine).toBe('hnsw-wasm');
    expect((out.near0 as [number, number][])[0]).toEqual([5, 0]);
    expect((out.near1 as [number, number][])[0]).toEqual([N + 1, 0]);
    expect(out.all as number[]).not.toContain(9);
    // Vector 5 changed under the saved graph, and this writer could not rewrite it: the digest
    // check at the next open finds it stale, and the exact engine answers.
    expect(out.after).toMatchObject({ index: 'none', lastQueryEngine: 'exact' });
    expect((out.after as { rebuildReason: string }).rebuildReason).toMatch(/stale|different vectors/);
    expect((out.reopened as number[])[0]).toBe(5);
  });
});

describe('HNSW in branches', () => {
  it("a child closed right after branch() saves no graph of its own: it is its parent's", async () => {
    const parentCopy = join(work.dir, 'quick-parent.rvf');
    writeFileSync(parentCopy, readFileSync(path));
    const parent = await RvfStore.open(parentCopy);
    const childPath = join(work.dir, 'quick-child.rvf');
    const child = await parent.branch(childPath);
    await child.ingestBatch(clustered(5, DIM, 11), [0, 1, 2, 100_001, 100_002]);
    await child.close(); // no waitForIndex: the seed from the parent is still loading
    await parent.close();
    const again = await RvfStore.open(childPath, { readOnly: true });
    expect(again.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(false);
    // The whole child: its links, five vectors and bookkeeping, far below one graph of N.
    expect(again.status().fileSize).toBeLessThan(16 * 1024);
    await again.waitForIndex();
    // A reader walks the parent's graph (its N members); the child's two new vectors and
    // three rewritten ones are scanned beside it, and answer exactly.
    expect(again.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(again.status().engine.rebuildReason).toBeUndefined();
    const mine = clustered(5, DIM, 11);
    for (const [i, id] of [0, 1, 2, 100_001, 100_002].entries()) {
      const [hit] = await again.query(mine.subarray(i * DIM, (i + 1) * DIM), 1);
      expect(hit).toMatchObject({ id, distance: 0 });
      expect(again.status().engine.lastQueryEngine).toBe('hnsw-wasm');
    }
    await again.close();
  });

  it('a child that rewrote a third of its inherited vectors saves a graph of its own; one that rewrote a tenth does not', async () => {
    // Rewrites take new ordinals (the inherited ones are superseded), so the child's ordinals
    // outnumber its vectors: "owns few of its vectors" counts vectors, not ordinals.
    for (const [share, ownGraph] of [
      [0.3, true],
      [0.1, false],
    ] as const) {
      const parentCopy = join(work.dir, `share-${share}-parent.rvf`);
      writeFileSync(parentCopy, readFileSync(path));
      const parent = await RvfStore.open(parentCopy);
      const childPath = join(work.dir, `share-${share}-child.rvf`);
      const child = await parent.branch(childPath);
      const n = Math.round(N * share);
      await child.ingestBatch(clustered(n, DIM, 31), [...Array(n).keys()]);
      await child.waitForIndex();
      await child.close();
      await parent.close();
      const again = await RvfStore.open(childPath, { readOnly: true });
      expect(
        again.segments().some((x) => x.segType === 'rvfjs_hnsw_graph'),
        `rewrote ${share}`,
      ).toBe(ownGraph);
      await again.close();
    }
  });

  it("a child walks its parent's saved graph, its own edits answered beside it, and builds nothing", async () => {
    const parentCopy = join(work.dir, 'bp.rvf');
    writeFileSync(parentCopy, readFileSync(path));
    const parent = await RvfStore.open(parentCopy);
    const childPath = join(work.dir, 'bc.rvf');
    const totals: number[] = [];
    const child = await parent.branch(childPath);
    await parent.close();
    const edits = clustered(20, DIM, 9);
    await child.ingestBatch(
      edits,
      [...Array(20).keys()].map((i) => (i < 10 ? i * 7 : 100_000 + i)),
    );
    await child.delete([1, 2, 3]);
    await child.waitForIndex();
    expect(child.status().engine).toMatchObject({ index: 'complete' });
    expect(child.status().engine.rebuildReason).toBeUndefined();

    // The child's view, for brute force.
    const view = new Map<number, Float32Array>();
    for (let i = 0; i < N; i++) view.set(i, vecs.subarray(i * DIM, (i + 1) * DIM));
    for (let i = 0; i < 20; i++)
      view.set(i < 10 ? i * 7 : 100_000 + i, edits.subarray(i * DIM, (i + 1) * DIM));
    for (const id of [1, 2, 3]) view.delete(id);
    const vids = [...view.keys()];
    const flat = new Float32Array(vids.length * DIM);
    vids.forEach((id, i) => {
      flat.set(view.get(id)!, i * DIM);
    });
    const check = async (s: RvfStore, engines: string[]) => {
      let sum = 0;
      for (let q = 0; q < 40; q++) {
        const query = queries.subarray(q * DIM, (q + 1) * DIM);
        sum += recall(await s.query(query, 10), bruteForce(flat, vids, DIM, 'l2', query, 10));
      }
      expect(sum / 40).toBeGreaterThanOrEqual(0.95);
      expect(engines).toContain(s.status().engine.lastQueryEngine);
    };
    // A writable child too, its few edits scanned beside the walk; unless its first write
    // copied the inherited vectors out of the memory the walk was laid out in (copy-on-write),
    // which starts the deferred load of the graph into hnswlib.
    await check(child, ['hnsw-wasm', 'hnsw']);
    await child.close();

    // Reopened read-only: few own edits, so the child saved no graph copy; it walks the
    // parent's saved graph in WebAssembly, its own edits scanned beside the walk.
    const again = await RvfStore.open(childPath, {
      readOnly: true,
      onIndexProgress: (_d, t) => totals.push(t),
    });
    await again.waitForIndex();
    expect(again.status().engine).toMatchObject({ index: 'complete' });
    expect(again.status().engine.rebuildReason).toBeUndefined();
    await check(again, ['hnsw-wasm']);
    // Nothing was built or inserted.
    expect(totals).toEqual([]);
    expect(again.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(false);
    await again.close();
  });
});
