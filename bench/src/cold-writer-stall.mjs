// Cold-start job "writer-stall": a writer that has just ingested everything (default options,
// store still open, so its graph is being built or caught up in the background) keeps serving
// the application. A 1 ms interval timer measures how long the event loop goes without a turn
// (the stall every other request in the process would see), while branch() and a 10-vector
// ingestBatch are timed (the branch child is closed after the window). The window lasts about 3 s, or less if the graph completes first, and
// never less than the measured calls; close() is timed after it (it may finish and save the graph).
import { emit, job, loadFlat, now } from './cold-child.mjs';
import { oursMeta } from './data.mjs';
import { percentile } from './stats.mjs';

const { file, childFile, dataPath, queriesPath, n, dim, batches, windowMs, capMs } = job;
const data = loadFlat(dataPath, n, dim);
// Ten new vectors for the ingest in the window: held-out vectors, from the same distribution.
const extra = loadFlat(queriesPath, 10, dim);
const extraIds = Array.from({ length: 10 }, (_, i) => n + i);
const extraMeta = oursMeta(n, n + 10);

const { RvfStore } = await import('@rvfjs/runtime');
const store = await RvfStore.create(file, { dimension: dim, metric: 'l2' });
const t0 = now();
for (let b = 0; b < batches; b++) {
  const from = Math.floor((b * n) / batches);
  const to = Math.floor(((b + 1) * n) / batches);
  await store.ingestBatch(
    data.subarray(from * dim, to * dim),
    Array.from({ length: to - from }, (_, i) => from + i),
    oursMeta(from, to),
  );
}
const out = { ingestAllMs: now() - t0, engineAfterIngest: store.status().engine };

// ---- the window: ticks every 1 ms; each gap between ticks is recorded.
const gaps = [];
let last = now();
const w0 = last;
const timer = setInterval(() => {
  const t = now();
  gaps.push(t - last);
  last = t;
}, 1);

let t = now();
const child = await store.branch(childFile);
out.branchMs = now() - t;

t = now();
await store.ingestBatch(extra, extraIds, extraMeta);
out.ingest10Ms = now() - t;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (;;) {
  const elapsed = now() - w0;
  if (elapsed >= Math.min(windowMs, capMs)) break;
  if (store.status().engine.index === 'complete') break;
  await sleep(5);
}
clearInterval(timer);
// The stretch since the last tick counts too (the loop may have been blocked until just now).
gaps.push(now() - last);
out.windowMs = now() - w0;
out.ticks = gaps.length;
out.maxStallMs = Math.max(...gaps);
out.p99StallMs = percentile(gaps, 99);
out.p50StallMs = percentile(gaps, 50);
out.engineAtWindowEnd = store.status().engine;

// The child is closed after the window: its close() waits for the child's own graph (about a
// minute at 100k), which would stretch the ~3 s window and mix the child's work into the
// writer's numbers.
t = now();
await child.close();
out.childCloseMs = now() - t;

t = now();
await store.close();
out.closeMs = now() - t;
emit(out);
