// Cold-start job "memory" (only with --full or --coldstart-1m): resident memory of a process
// that has a large index ready to query. ours: the store opened read-only, waited on until its
// graph is in place; raw: hnswlib-node's readIndexSync. One query each, then a full garbage
// collection (run with --expose-gc) before RSS is read.
import { createRequire } from 'node:module';
import { emit, job, K, loadFlat, now } from './cold-child.mjs';

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
  globalThis.gc?.();
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
  globalThis.gc?.();
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
  out.heapUsedMb = process.memoryUsage().heapUsed / 1024 / 1024;
  out.keepAlive = index.getCurrentCount();
}
emit(out);
