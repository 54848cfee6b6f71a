/**
 * GraphThread: graphs built and loaded on a worker thread must be the graphs the event-loop
 * code builds and loads. The independent answers are the in-process loader (deserializeHnsw)
 * and brute force; refusals must arrive as RvfError with the code the worker saw.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bruteForce, METRICS, mulberry32, randomVectors, row } from './helpers.js';
import {
  deserializeHnsw,
  ErrorCode,
  GraphThread,
  graphThreadAvailable,
  RvfError,
  VectorStore,
} from './imports.js';

const N = 2000;
const DIM = 32;
const data = randomVectors(N, DIM, mulberry32(5));
const queries = randomVectors(20, DIM, mulberry32(6));

function storeOf(flat: Float32Array): VectorStore {
  const s = new VectorStore(DIM, N);
  s.setBlock(0, flat);
  return s;
}

async function buildOnThread(store: VectorStore, metric: (typeof METRICS)[number]) {
  const thread = GraphThread.start()!;
  try {
    const progress: number[] = [];
    thread.onProgress = (inserted) => progress.push(inserted);
    thread.build({ dimension: DIM, metric, m: 12, efConstruction: 100, efSearch: 64, capacity: N });
    for (let first = 0; first < N; first += 500) {
      const ords = Uint32Array.from({ length: 500 }, (_, i) => first + i);
      thread.add(ords, store.flat.slice(first * DIM, (first + 500) * DIM));
    }
    await thread.whenDrained();
    expect(thread.inserted).toBe(N);
    expect(progress).toEqual([500, 1000, 1500, 2000]);
    return await thread.save(store, { load: true, efSearch: 64 });
  } finally {
    await thread.terminate();
  }
}

describe('GraphThread', () => {
  it('is available here (the add-on is built and the worker script is in dist/)', () => {
    expect(graphThreadAvailable()).toBe(true);
  });

  it.each(METRICS)(
    '%s: a graph built on the worker answers as the same graph loaded in process, with high recall',
    async (metric) => {
      const store = storeOf(data);
      const { blob, index } = await buildOnThread(store, metric);
      const local = deserializeHnsw(blob, store, { efSearch: 64 });
      let found = 0;
      for (let q = 0; q < 20; q++) {
        const query = row(queries, q, DIM);
        const a = index!.search(query, 10);
        expect(a).toEqual(local.search(query, 10));
        const want = new Set(bruteForce(metric, data, DIM, N, query, 10).map((h) => h.ordinal));
        found += a.filter((h) => want.has(h.ordinal)).length;
      }
      expect(found / 200).toBeGreaterThan(0.9);
    },
  );

  it('a saved graph loaded through the worker is the one the in-process loader gives', async () => {
    const store = storeOf(data);
    const { blob } = await buildOnThread(store, 'l2');
    const thread = GraphThread.start()!;
    try {
      const viaThread = await thread.load(blob.slice(), store, 64);
      const local = deserializeHnsw(blob, store, { efSearch: 64 });
      expect(viaThread!.count).toBe(N);
      for (let q = 0; q < 20; q++)
        expect(viaThread!.search(row(queries, q, DIM), 10)).toEqual(local.search(row(queries, q, DIM), 10));
    } finally {
      await thread.terminate();
    }
  });

  it('a stale graph is refused with ContentHashMismatch from across the thread', async () => {
    const store = storeOf(data);
    const { blob } = await buildOnThread(store, 'l2');
    const changed = storeOf(data);
    changed.set(17, new Float32Array(DIM).fill(3));
    const thread = GraphThread.start()!;
    try {
      const err = await thread.load(blob, changed).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RvfError);
      expect((err as RvfError).code).toBe(ErrorCode.ContentHashMismatch);
    } finally {
      await thread.terminate();
    }
  });

  it('stopping a worker in the middle of a build neither hangs nor takes the process down', async () => {
    const big = randomVectors(20_000, DIM, mulberry32(9));
    const thread = GraphThread.start()!;
    thread.build({
      dimension: DIM,
      metric: 'l2',
      m: 16,
      efConstruction: 200,
      efSearch: 64,
      capacity: 20_000,
    });
    thread.add(
      Uint32Array.from({ length: 20_000 }, (_, i) => i),
      big,
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await thread.terminate();
    // It stops between two inserts, not after the whole batch (seconds of work).
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(thread.failure?.message).toMatch(/stopped/);
  });

  it('process.exit() while the worker builds never aborts the process', async () => {
    // Node terminates workers at exit without asking; inside an add-on call that read its
    // arguments, that aborted the process (SIGABRT, a fatal napi_throw) in one exit of eight.
    // Each child starts a build and exits at a different moment of it; all must exit cleanly.
    const graphThread = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js')).href;
    const script = (delayMs: number) => `
      const { GraphThread } = await import(${JSON.stringify(graphThread)});
      const dim = 64, n = 6000;
      const thread = GraphThread.start();
      thread.build({ dimension: dim, metric: 'l2', m: 16, efConstruction: 200, efSearch: 64, capacity: n });
      let x = 7;
      const v = new Float32Array(n * dim).map(() => ((x = (x * 48271) % 2147483647) / 2147483647));
      for (let first = 0; first < n; first += 500)
        thread.add(Uint32Array.from({ length: 500 }, (_, i) => first + i), v.slice(first * dim, (first + 500) * dim));
      setTimeout(() => process.exit(3), ${delayMs});
    `;
    const run = (delayMs: number) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ['--input-type=module', '-e', script(delayMs)], (err) => {
          resolve({ code: child.exitCode, signal: child.signalCode, stderr: err ? String(err) : '' });
        });
      });
    const outcomes = [];
    // Two at a time (this machine has two cores): delays spread over the first 300 ms of the build.
    for (let i = 0; i < 32; i += 2) outcomes.push(...(await Promise.all([run(i * 9), run(i * 9 + 5)])));
    const unclean = outcomes.filter((o) => o.code !== 3 || o.signal !== null);
    expect(unclean).toEqual([]);
  }, 120_000);
});
