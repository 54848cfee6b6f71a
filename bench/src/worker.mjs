// One benchmark job in its own process, so each engine runs isolated (own heap, own native
// memory, own JIT state) and a job that runs too long can be killed by the orchestrator.
// Usage: node worker.mjs <job.json>   → writes <job.json>.out.json
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  branchEdits,
  FILTER_CAT,
  oursMeta,
  REF_FILTER_ALL,
  REF_FILTER_EQ,
  readF32,
  refMeta,
} from './data.mjs';

const require = createRequire(import.meta.url);
const now = () => performance.now();
const K = 10;

const jobPath = process.argv[2];
const job = JSON.parse(readFileSync(jobPath, 'utf8'));

function rows(flat, dim) {
  const out = [];
  for (let i = 0; i < flat.length / dim; i++) out.push(flat.subarray(i * dim, (i + 1) * dim));
  return out;
}

/**
 * Collects garbage, runs `warm` untimed queries, then every query once, timed one by one. `fn` returns the result
 * ids (sync or async). Returns per-query latencies (ms), the loop's wall time and the ids.
 */
async function measure(queries, fn, warm = job.warm ?? 20) {
  // Garbage left by the previous phase (a build, another query mode) is collected first, for
  // every engine alike, so that a phase pays only for the collections its own queries cause.
  globalThis.gc?.();
  for (let i = 0; i < warm; i++) await fn(queries[i % queries.length]);
  const lat = [];
  const ids = [];
  const t0 = now();
  for (const q of queries) {
    const t = now();
    const r = await fn(q);
    lat.push(now() - t);
    ids.push(r);
  }
  return { lat, wallMs: now() - t0, ids };
}

function measureSync(queries, fn, warm = job.warm ?? 20) {
  globalThis.gc?.();
  for (let i = 0; i < warm; i++) fn(queries[i % queries.length]);
  const lat = [];
  const ids = [];
  const t0 = now();
  for (const q of queries) {
    const t = now();
    const r = fn(q);
    lat.push(now() - t);
    ids.push(r);
  }
  return { lat, wallMs: now() - t0, ids };
}

const size = (p) => statSync(p).size;
const idsOf = (res) => res.map((r) => Number(r.id));

async function loadOurs() {
  return import('@rvfjs/runtime');
}
function loadRef() {
  return require('@ruvector/rvf-node');
}

// ------------------------------------------------------------------ section 1: ingest

async function ingestJob() {
  const { engine, file, dim, n, batch, meta } = job;
  const data = readF32(job.dataPath).subarray(0, n * dim);
  const queries = job.queriesPath ? rows(readF32(job.queriesPath), dim).slice(0, job.nq) : [];
  const out = { engine, batchMs: [] };
  if (engine === 'ours') {
    const { RvfStore, F } = await loadOurs();
    const opts = { dimension: dim, metric: 'l2', ...(job.appendOnly ? { indexThreshold: Infinity } : {}) };
    const t0 = now();
    const store = await RvfStore.create(file, opts);
    for (let b = 0; b < n; b += batch) {
      const e = Math.min(n, b + batch);
      const ids = Array.from({ length: e - b }, (_, i) => b + i);
      const t = now();
      await store.ingestBatch(data.subarray(b * dim, e * dim), ids, meta ? oursMeta(b, e) : undefined);
      out.batchMs.push(now() - t);
    }
    out.ingestMs = now() - t0;
    out.engineAfterIngest = store.status().engine;
    if (job.wait) {
      const t = now();
      await store.waitForIndex();
      out.waitMs = now() - t;
      out.engineAfterWait = store.status().engine;
    }
    if (job.exactQueries) {
      out.exact = await measure(queries, async (q) => idsOf(await store.query(q, K, { plan: 'exact' })));
      out.exactEngine = store.status().engine.lastQueryEngine;
      const { exactSearch } = await import('@rvfjs/index');
      out.kernel = measureSync(queries, (q) =>
        exactSearch({ vectors: data, dimension: dim, metric: 'l2', query: q, k: K, count: n }).map(
          (h) => h.ordinal,
        ),
      );
    }
    if (job.filterAll) {
      const filter = F.lt('cat', 10);
      out.filterAll = await measure(queries, async (q) =>
        idsOf(await store.query(q, K, { filter, plan: 'exact', includeMetadata: false })),
      );
      out.filterAllEngine = store.status().engine.lastQueryEngine;
    }
    const t = now();
    await store.close();
    out.closeMs = now() - t;
  } else if (engine === 'ref') {
    const { RvfDatabase } = loadRef();
    const t0 = now();
    const db = RvfDatabase.create(file, { dimension: dim, metric: 'l2', m: 16, efConstruction: 200 });
    for (let b = 0; b < n; b += batch) {
      const e = Math.min(n, b + batch);
      const ids = Array.from({ length: e - b }, (_, i) => b + i);
      const t = now();
      db.ingestBatch(data.subarray(b * dim, e * dim), ids, meta ? refMeta(b, e) : undefined);
      out.batchMs.push(now() - t);
    }
    out.ingestMs = now() - t0;
    if (job.filterAll) {
      const t = now();
      const first = db.query(queries[0], K, { filter: REF_FILTER_ALL });
      out.filterAllFirstMs = now() - t;
      out.filterAllFirstCount = first.length;
      out.filterAll = measureSync(queries, (q) => idsOf(db.query(q, K, { filter: REF_FILTER_ALL })));
      out.indexStatsAfter = db.indexStats();
    }
    const t = now();
    db.close();
    out.closeMs = now() - t;
  }
  out.fileSize = size(file);
  return out;
}

// ------------------------------------------------------------------ section 2: ANN

async function annJob() {
  const { engine, file, dim, n, efs } = job;
  const data = readF32(job.dataPath).subarray(0, n * dim);
  const queries = rows(readF32(job.queriesPath), dim).slice(0, job.nq);
  const batch = job.batch ?? 10000;
  const isCat = (id) => id % 10 === FILTER_CAT;
  const out = { engine, sweep: [] };
  if (engine === 'ours') {
    const { RvfStore, F } = await loadOurs();
    const t0 = now();
    const store = await RvfStore.create(file, { dimension: dim, metric: 'l2' });
    for (let b = 0; b < n; b += batch) {
      const e = Math.min(n, b + batch);
      const ids = Array.from({ length: e - b }, (_, i) => b + i);
      await store.ingestBatch(data.subarray(b * dim, e * dim), ids, oursMeta(b, e));
    }
    out.ingestMs = now() - t0;
    await store.waitForIndex();
    out.buildMs = now() - t0;
    out.waitMs = out.buildMs - out.ingestMs;
    out.engineStatus = store.status().engine;
    out.def = await measure(queries, async (q) => idsOf(await store.query(q, K)));
    out.defEngine = store.status().engine.lastQueryEngine;
    out.noMeta = await measure(queries, async (q) =>
      idsOf(await store.query(q, K, { includeMetadata: false })),
    );
    for (const ef of efs) {
      const r = await measure(queries, async (q) =>
        idsOf(await store.query(q, K, { efSearch: ef, includeMetadata: false })),
      );
      out.sweep.push({ ef, ...r });
    }
    const filter = F.eq('cat', FILTER_CAT);
    out.filtered = await measure(queries, async (q) => idsOf(await store.query(q, K, { filter })));
    out.filteredEngine = store.status().engine.lastQueryEngine;
    out.filteredHnsw = await measure(queries, async (q) =>
      idsOf(await store.query(q, K, { filter, plan: 'hnsw' })),
    );
    out.filteredHnswEngine = store.status().engine.lastQueryEngine;
    out.filteredExact = await measure(queries, async (q) =>
      idsOf(await store.query(q, K, { filter, plan: 'exact' })),
    );
    out.filteredExactEngine = store.status().engine.lastQueryEngine;
    const t = now();
    await store.close();
    out.closeMs = now() - t;
    out.fileSize = size(file);
  } else if (engine === 'hnswlib') {
    const { HierarchicalNSW } = require('hnswlib-node');
    const t0 = now();
    const index = new HierarchicalNSW('l2', dim);
    index.initIndex({ maxElements: n, m: 16, efConstruction: 200 });
    for (let i = 0; i < n; i++) index.addPoint(Array.from(data.subarray(i * dim, (i + 1) * dim)), i);
    out.buildMs = now() - t0;
    // Queries are converted to plain arrays (hnswlib-node takes nothing else) outside the timing.
    const qa = queries.map((q) => Array.from(q));
    index.setEf(100);
    out.def = measureSync(qa, (q) => index.searchKnn(q, K).neighbors);
    // The same, for a caller holding Float32Arrays (the conversion is then part of every query).
    out.defConv = measureSync(queries, (q) => index.searchKnn(Array.from(q), K).neighbors);
    for (const ef of efs) {
      index.setEf(ef);
      out.sweep.push({ ef, ...measureSync(qa, (q) => index.searchKnn(q, K).neighbors) });
    }
    index.setEf(100);
    out.filtered = measureSync(qa, (q) => index.searchKnn(q, K, isCat).neighbors);
    const t = now();
    index.writeIndexSync(file);
    out.saveMs = now() - t;
    out.fileSize = size(file);
  } else if (engine === 'ref') {
    const { RvfDatabase } = loadRef();
    const t0 = now();
    const db = RvfDatabase.create(file, { dimension: dim, metric: 'l2', m: 16, efConstruction: 200 });
    for (let b = 0; b < n; b += batch) {
      const e = Math.min(n, b + batch);
      const ids = Array.from({ length: e - b }, (_, i) => b + i);
      db.ingestBatch(data.subarray(b * dim, e * dim), ids, refMeta(b, e));
    }
    out.ingestMs = now() - t0;
    const t1 = now();
    db.query(queries[0], K);
    out.firstQueryMs = now() - t1;
    out.buildMs = now() - t0;
    out.def = measureSync(queries, (q) => idsOf(db.query(q, K)));
    out.filtered = measureSync(queries, (q) => idsOf(db.query(q, K, { filter: REF_FILTER_EQ })));
    out.indexStats = db.indexStats();
    const t = now();
    db.close();
    out.closeMs = now() - t;
    out.fileSize = size(file);
  }
  return out;
}

// ------------------------------------------------------------------ section 3: branches

/** Ours: one timed branch() of an open parent, after warming the code path on a scratch store. */
async function branchOnceJob() {
  const { RvfStore } = await loadOurs();
  const { dim } = job;
  // Warm-up on a store below the index threshold (so its children start no background build).
  const scratch = join(job.scratchDir, 'warm.rvf');
  const s = await RvfStore.create(scratch, { dimension: dim, metric: 'l2' });
  const wv = new Float32Array(500 * dim).map((_, i) => Math.sin(i));
  await s.ingestBatch(
    wv,
    Array.from({ length: 500 }, (_, i) => i),
  );
  for (let i = 0; i < 3; i++) {
    const c = await s.branch(join(job.scratchDir, `warm-child-${i}.rvf`));
    await c.close();
  }
  await s.close();
  const parent = await RvfStore.open(job.parentFile);
  // As for the reference (its parent is open and has branched once before the timed calls):
  // the parent's graph has finished loading and this parent has branched once, untimed.
  await parent.waitForIndex();
  const warm = join(job.scratchDir, 'warm-same-parent.rvf');
  await (await parent.branch(warm)).close();
  rmSync(warm, { force: true });
  const t = now();
  const child = await parent.branch(job.childFile);
  const branchMs = now() - t;
  const childSize = size(job.childFile);
  const childEngine = child.status().engine;
  await parent.close();
  // The child is not closed: its close() may wait for background graph work and save a graph,
  // which would overlap the next repetition; the orchestrator deletes the child file and lock.
  return { branchMs, childSize, childEngine, exitWithoutClose: true };
}

/** Reference: `reps` timed branch() calls on one open parent (each child closed right after). */
function refBranchRepsJob() {
  const { RvfDatabase } = loadRef();
  const db = RvfDatabase.open(job.parentFile);
  const warmPath = join(job.scratchDir, 'ref-warm-child.rvf');
  const warm = db.branch(warmPath);
  warm.close();
  rmSync(warmPath, { force: true });
  const times = [];
  const sizes = [];
  for (let i = 0; i < job.reps; i++) {
    const p = join(job.scratchDir, `ref-child-${i}.rvf`);
    const t = now();
    const c = db.branch(p);
    times.push(now() - t);
    c.close();
    sizes.push(size(p));
    rmSync(p, { force: true });
  }
  db.close();
  return { times, childSize: sizes[0] };
}

async function branchEditJob() {
  const { engine, dim, n } = job;
  const queries = rows(readF32(job.queriesPath), dim).slice(0, job.nq);
  const edits = branchEdits(n, dim);
  const out = { engine, parentSizeBefore: size(job.parentFile) };
  if (engine === 'ours') {
    const { RvfStore } = await loadOurs();
    const parent = await RvfStore.open(job.parentFile);
    out.parentEngineAtOpen = parent.status().engine;
    if (job.queries) {
      // Compared with the child's graph-complete queries below, so the parent's graph too.
      await parent.waitForIndex();
      out.parent = await measure(queries, async (q) => idsOf(await parent.query(q, K)));
      out.parentEngine = parent.status().engine.lastQueryEngine;
    }
    let t = now();
    const child = await parent.branch(job.childFile);
    out.branchMs = now() - t;
    t = now();
    await child.ingestBatch(edits.vectors, edits.ids);
    await child.delete(edits.deletes);
    out.editMs = now() - t;
    out.childSizeAfterEdits = size(job.childFile);
    out.childStatus = { ...child.status(), engine: undefined };
    out.childEngineAfterEdits = child.status().engine;
    if (job.queries) {
      out.childNow = await measure(queries, async (q) => idsOf(await child.query(q, K)));
      out.childNowEngine = child.status().engine.lastQueryEngine;
      t = now();
      await child.waitForIndex();
      out.childWaitMs = now() - t;
      out.childReady = await measure(queries, async (q) => idsOf(await child.query(q, K)));
      out.childReadyEngine = child.status().engine.lastQueryEngine;
      // The parent once more, after the child: separates a slower child from a slower moment.
      out.parentAgain = await measure(queries, async (q) => idsOf(await parent.query(q, K)));
    }
    t = now();
    await child.close();
    out.childCloseMs = now() - t;
    out.childSizeAfterClose = size(job.childFile);
    await parent.close();
  } else {
    const { RvfDatabase } = loadRef();
    const parent = RvfDatabase.open(job.parentFile);
    if (job.queries) {
      const t = now();
      parent.query(queries[0], K);
      out.parentFirstQueryMs = now() - t;
      out.parent = measureSync(queries, (q) => idsOf(parent.query(q, K)));
    }
    let t = now();
    const child = parent.branch(job.childFile);
    out.branchMs = now() - t;
    t = now();
    child.ingestBatch(edits.vectors, edits.ids);
    child.delete(edits.deletes);
    out.editMs = now() - t;
    out.childSizeAfterEdits = size(job.childFile);
    out.childStatus = child.status();
    if (job.queries) {
      t = now();
      child.query(queries[0], K);
      out.childFirstQueryMs = now() - t;
      out.childReady = measureSync(queries, (q) => idsOf(child.query(q, K)));
    }
    t = now();
    child.close();
    out.childCloseMs = now() - t;
    out.childSizeAfterClose = size(job.childFile);
    parent.close();
  }
  out.parentSizeAfter = size(job.parentFile);
  return out;
}

// ------------------------------------------------------------------ main

/**
 * Query latency only, on an index another job built and saved: ours reopened from its file
 * (read-only, after waitForIndex), raw hnswlib from its index file. The runner starts these
 * alternately, several times, so that both engines meet the machine's slow and fast moments
 * alike; one build-and-query process per engine is too noisy for a ratio on this machine.
 */
async function annQueriesJob() {
  const { engine, file, dim } = job;
  const queries = rows(readF32(job.queriesPath), dim).slice(0, job.nq);
  const out = { engine };
  if (engine === 'ours') {
    const { RvfStore } = await loadOurs();
    const store = await RvfStore.open(file, { readOnly: true });
    await store.waitForIndex();
    const def = async (q) => idsOf(await store.query(q, K));
    const noMeta = async (q) => idsOf(await store.query(q, K, { includeMetadata: false }));
    // Each mode goes first in every other round: the first phase in a process is often slower.
    if (job.round % 2 === 0) {
      out.def = await measure(queries, def);
      out.noMeta = await measure(queries, noMeta);
    } else {
      out.noMeta = await measure(queries, noMeta);
      out.def = await measure(queries, def);
    }
    out.engineStatus = store.status().engine;
    await store.close();
  } else if (engine === 'hnswlib') {
    const { HierarchicalNSW } = require('hnswlib-node');
    const index = new HierarchicalNSW('l2', dim);
    index.readIndexSync(file);
    index.setEf(100);
    const qa = queries.map((q) => Array.from(q));
    out.def = measureSync(qa, (q) => index.searchKnn(q, K).neighbors);
  }
  return out;
}

/**
 * Filtered queries each issued right after a small write (10 new vectors with metadata), on
 * a copy of the ANN store: what a store that takes writes while it serves filtered queries
 * pays. Compared with the same filter on the store left alone.
 */
async function annWritesJob() {
  const { file, dim, n } = job;
  const queries = rows(readF32(job.queriesPath), dim).slice(0, job.nq);
  const { RvfStore, F } = await loadOurs();
  const store = await RvfStore.open(file);
  await store.waitForIndex();
  const filter = F.eq('cat', FILTER_CAT);
  const out = { engine: 'ours' };
  out.alone = await measure(queries, async (q) => idsOf(await store.query(q, K, { filter })));
  let next = n;
  const write = async () => {
    const ids = Array.from({ length: 10 }, (_, i) => next + i);
    const vectors = new Float32Array(10 * dim);
    for (let i = 0; i < 10; i++) vectors.set(queries[(next + i) % queries.length], i * dim);
    await store.ingestBatch(vectors, ids, oursMeta(next, next + 10));
    next += 10;
  };
  // Only the query is timed; the write before it is not.
  globalThis.gc?.();
  for (let i = 0; i < (job.warm ?? 20); i++) {
    await write();
    await store.query(queries[i % queries.length], K, { filter });
  }
  const lat = [];
  const t0 = now();
  let writesMs = 0;
  for (const q of queries) {
    const w = now();
    await write();
    const t = now();
    writesMs += t - w;
    await store.query(q, K, { filter });
    lat.push(now() - t);
  }
  out.afterWrite = { lat, wallMs: now() - t0 - writesMs };
  out.writeMs = writesMs / queries.length;
  out.engineAfterWrite = store.status().engine.lastQueryEngine;
  await store.close();
  return out;
}

const jobs = {
  ingest: ingestJob,
  'ann-writes': annWritesJob,
  ann: annJob,
  'ann-queries': annQueriesJob,
  'branch-once': branchOnceJob,
  'branch-ref-reps': refBranchRepsJob,
  'branch-edit': branchEditJob,
};

const fn = jobs[job.kind];
if (!fn) throw new Error(`unknown job kind ${job.kind}`);
const result = await fn();
result.rssMb = process.memoryUsage().rss / 1024 / 1024;
writeFileSync(`${jobPath}.out.json`, JSON.stringify(result));
// Exit at once: a branch child left open would otherwise keep building its graph.
process.exit(0);
