// Cold-start job "query-ours": a fresh process opens the store read-only with default options
// and runs every held-out query back to back, as an application would right after starting.
// No waitForIndex, no warm-up, no pauses: whatever the store does in the background (loading
// its saved graph) competes with these queries, and which engine answered each one is recorded.
import { emit, job, K, loadFlat, now, rows } from './cold-child.mjs';

const { file, queriesPath, nq, dim } = job;
const queries = rows(loadFlat(queriesPath, nq, dim), dim);

// Module loading is timed apart: it is paid once per process, not per store.
const tImport = now();
const { RvfStore } = await import('@rvfjs/runtime');
const importMs = now() - tImport;

const lat = [];
const engines = [];
const ids = [];
let firstMs;
let firstAbsMs;
const t0 = now();
const store = await RvfStore.open(file, { readOnly: true });
const openMs = now() - t0;
for (let i = 0; i < nq; i++) {
  const t = now();
  const res = await store.query(queries[i], K);
  const t1 = now();
  lat.push(t1 - t);
  if (i === 0) {
    firstMs = t1 - t0;
    firstAbsMs = performance.timeOrigin + t1;
  }
  // Bookkeeping, outside the timed region: which engine answered, and the ids for recall.
  engines.push(store.status().engine.lastQueryEngine);
  ids.push(res.map((r) => Number(r.id)));
}
const elapsedMs = now() - t0;

emit({
  importMs,
  openMs,
  firstMs,
  firstAbsMs,
  // What the caller waited for: open plus every query (the bookkeeping above left out).
  totalWallMs: openMs + lat.reduce((a, b) => a + b, 0),
  elapsedMs,
  lat,
  engines,
  ids,
  engineAtEnd: store.status().engine,
  rssMb: process.memoryUsage().rss / 1024 / 1024,
});
