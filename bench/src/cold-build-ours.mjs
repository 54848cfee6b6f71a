// Cold-start job "build-ours": what building a store costs a user with default options.
// RvfStore.create → ingestBatch in equal batches (ids and {cat} metadata) → close(), timed from
// create to close resolved. Nothing else: no waitForIndex, no progress callback, no pauses.
// After the clock stops the file is reopened read-only to see what close() left in it, and how
// long the reopened store takes to have its graph (which says whether close() saved a whole one).
import { statSync } from 'node:fs';
import { RvfStore } from '@rvfjs/runtime';
import { bytesByType, emit, GRAPH_SEG, job, loadFlat, now } from './cold-child.mjs';
import { oursMeta } from './data.mjs';

const { file, dataPath, n, dim, batches } = job;
const data = loadFlat(dataPath, n, dim);

// The caller's inputs (vector views, ids, metadata) are prepared before the clock starts, as
// the raw hnswlib job prepares its plain arrays.
const parts = [];
for (let b = 0; b < batches; b++) {
  const from = Math.floor((b * n) / batches);
  const to = Math.floor(((b + 1) * n) / batches);
  parts.push({
    vectors: data.subarray(from * dim, to * dim),
    ids: Array.from({ length: to - from }, (_, i) => from + i),
    metadata: oursMeta(from, to),
  });
}

const t0 = now();
const store = await RvfStore.create(file, { dimension: dim, metric: 'l2' });
const batchMs = [];
for (const p of parts) {
  const t = now();
  await store.ingestBatch(p.vectors, p.ids, p.metadata);
  batchMs.push(now() - t);
}
const tClose = now();
await store.close();
const t1 = now();

const out = {
  totalMs: t1 - t0,
  ingestMs: tClose - t0,
  closeMs: t1 - tClose,
  batchMs,
  fileSize: statSync(file).size,
};

// Untimed: which segments the closed file holds, and whether the graph was saved.
const ro = await RvfStore.open(file, { readOnly: true });
const segments = ro.segments();
out.segmentBytes = bytesByType(segments);
out.segmentCount = segments.length;
out.hasGraph = segments.some((s) => s.segType === GRAPH_SEG);
out.engineAtReopen = ro.status().engine;
// How usable the saved graph is: time from this reopen until the engine reports a complete
// graph (quick if close() saved a whole graph, a build or catch-up if not), and why not.
const tReady = now();
await ro.waitForIndex();
out.graphReadyAfterReopenMs = now() - tReady;
out.engineWhenReady = ro.status().engine;
emit(out);
