// Cold-start job "memory" (only with --full or --coldstart-1m): resident memory of a process
// that has a large index ready to query. ours: the store opened read-only, waited on until its
// graph is in place; raw: hnswlib-node's readIndexSync. One query each, then full garbage
// collections (run with --expose-gc; three, 50 ms apart, the same for both) before RSS is read.
import { createRequire } from 'node:module';
import { emit, job, K, loadFlat, now } from './cold-child.mjs';

/** Collects until freed memory has been handed back (shared buffers are swept after a GC). */
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const { engine, file, queriesPath, dim } = job;
const q = loadFlat(queriesPath, 1, dim);
const rssBeforeMb = process.memoryUsage().rss / 1024 / 1024;
const out = { engine, rssBeforeMb };
const t0 = now();
if (engine === 'ours') {
  const { RvfStore } = await import('@rvfjs/runtime');
  const store = await RvfStore.open(file, { readOnly: true });
  out.openMs = now() - t0;
  await store.waitForIndex();
  out.readyMs = now() - t0;
  await store.query(q, K);
  out.engineStatus = store.status().engine;
  await settle();
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
  out.heapUsedMb = process.memoryUsage().heapUsed / 1024 / 1024;
  out.keepAlive = store.status().totalVectors;
} else {
  const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node');
  const index = new HierarchicalNSW('l2', dim);
  index.readIndexSync(file);
  out.openMs = now() - t0;
  out.readyMs = out.openMs;
  index.searchKnn(Array.from(q), K);
  await settle();
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
  out.heapUsedMb = process.memoryUsage().heapUsed / 1024 / 1024;
  out.keepAlive = index.getCurrentCount();
}
emit(out);
