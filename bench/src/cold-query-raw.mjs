// Cold-start job "query-raw": the same back-to-back queries on raw hnswlib-node in a fresh
// process: readIndexSync of the index file build-raw saved, setEf(100) (our default efSearch),
// then every query. The plain number[] queries hnswlib-node needs are made before the clock.
import { createRequire } from 'node:module';
import { emit, job, K, loadFlat, now, rows } from './cold-child.mjs';

const { file, queriesPath, nq, dim } = job;
const queries = rows(loadFlat(queriesPath, nq, dim), dim).map((q) => Array.from(q));

const tImport = now();
const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node');
const importMs = now() - tImport;

const lat = [];
const ids = [];
let firstMs;
let firstAbsMs;
const t0 = now();
const index = new HierarchicalNSW('l2', dim);
index.readIndexSync(file);
index.setEf(100);
const openMs = now() - t0;
for (let i = 0; i < nq; i++) {
  const t = now();
  const res = index.searchKnn(queries[i], K);
  const t1 = now();
  lat.push(t1 - t);
  if (i === 0) {
    firstMs = t1 - t0;
    firstAbsMs = performance.timeOrigin + t1;
  }
  ids.push(res.neighbors);
}
const elapsedMs = now() - t0;

emit({
  importMs,
  openMs,
  firstMs,
  firstAbsMs,
  totalWallMs: openMs + lat.reduce((a, b) => a + b, 0),
  elapsedMs,
  lat,
  ids,
  rssMb: process.memoryUsage().rss / 1024 / 1024,
});
