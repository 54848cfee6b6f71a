// rvfjs benchmark orchestrator: builds the data sets, runs every engine's jobs in isolated child
// processes (see worker.mjs and fresh-*.mjs), computes recall against exact ground truth, and
// writes results/latest.{json,md} and results/recall-latency.svg. The cold-start section lives in
// cold-start.mjs and also writes results/cold-start.{json,md}.
//
//   node src/run.mjs [--quick] [--full] [--only=ingest,ann,branch,coldstart,serverload,cliingest,remote] [--fashion|--no-fashion]
//     [--keep] [--datasets=clustered-20k,fashion] [--coldstart-1m]
//   env: BENCH_QUICK=1 BENCH_FULL=1 BENCH_ONLY=ann BENCH_FASHION=1|0 BENCH_KEEP=1 BENCH_DATASETS=...
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exactSearch } from '@rvfjs/index';
import { coldStartSection } from './cold-start.mjs';
import { branchEdits, FILTER_CAT, fashionFiles, readIdxImages, synthetic, writeF32 } from './data.mjs';
import { copyDurable } from './durable-copy.mjs';
import { renderMarkdown } from './report.mjs';
import { spawnCapped } from './spawn-capped.mjs';
import { latencySummary, median } from './stats.mjs';
import { renderSvg } from './svg.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = join(HERE, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const require = createRequire(import.meta.url);
const K = 10;

// ------------------------------------------------------------------ options

const argv = process.argv.slice(2);
const flag = (name, env) => argv.includes(`--${name}`) || process.env[env] === '1';
const argValue = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = flag('quick', 'BENCH_QUICK');
const full = flag('full', 'BENCH_FULL');
const keep = flag('keep', 'BENCH_KEEP');
const onlyRaw = argValue('only') ?? process.env.BENCH_ONLY;
const only = new Set(
  (onlyRaw ?? 'ingest,ann,branch,coldstart,serverload,cliingest,remote').split(',').map((s) => s.trim()),
);
const fashionForced = argv.includes('--fashion') || process.env.BENCH_FASHION === '1';
const fashionOff = argv.includes('--no-fashion') || process.env.BENCH_FASHION === '0';
/** --datasets=clustered-20k,fashion: run only ANN data sets whose name contains one of these. */
const datasetFilter = (argValue('datasets') ?? process.env.BENCH_DATASETS)?.split(',').map((x) => x.trim());
const wantDataset = (name) => !datasetFilter || datasetFilter.some((f) => name.includes(f));

const DIM = 128;
const config = quick
  ? {
      mode: 'quick',
      ingestN: 10000,
      ingestBatch: 2000,
      ann: [
        { kind: 'clustered', n: 5000 },
        { kind: 'uniform', n: 5000 },
      ],
      fashionN: fashionForced ? 10000 : 0,
      nq: 200,
      // A full pass over the queries first, for every engine: the JavaScript engines reach
      // steady state only after their query path is compiled (20 left ours part-way there).
      warm: 200,
      efs: [10, 20, 40, 80, 160, 320],
      freshReps: 3,
      queryRounds: 2,
      branchSizes: [1000, 5000],
      branchReps: 3,
      branchQuerySizes: [5000],
      branchEditSize: 5000,
    }
  : {
      mode: full ? 'full (+reference at every size)' : 'default',
      ingestN: 100000,
      ingestBatch: 10000,
      ann: [
        { kind: 'clustered', n: 20000 },
        { kind: 'uniform', n: 20000 },
        { kind: 'clustered', n: 100000 },
        { kind: 'uniform', n: 100000 },
      ],
      fashionN: fashionOff ? 0 : 60000,
      nq: 200,
      // A full pass over the queries first, for every engine: the JavaScript engines reach
      // steady state only after their query path is compiled (20 left ours part-way there).
      warm: 200,
      efs: [10, 20, 40, 80, 160, 320],
      freshReps: 5,
      queryRounds: 10,
      branchSizes: [1000, 10000, 100000],
      branchReps: 5,
      branchQuerySizes: [10000, 100000],
      branchEditSize: 100000,
    };
if (fashionOff) config.fashionN = 0;
/** The reference builds its graph single-threaded inside its first query: minutes at 100k. */
config.refMaxN = full ? Infinity : 20000;
config.refFashion = full;
config.refCapMs = (full ? 3600 : 600) * 1000;
config.jobCapMs = 1800 * 1000;
config.freshCapMs = 300 * 1000;

const T0 = performance.now();
const log = (msg) =>
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);

const tmp = mkdtempSync(join(tmpdir(), 'rvfjs-bench-'));
/** 1-minute load averages sampled before every child process: other work on the machine skews timings. */
const loadSamples = [];
const sampleLoad = () => loadSamples.push(loadavg()[0]);
let jobSeq = 0;

// ------------------------------------------------------------------ process helpers

/** Runs one worker job in a fresh process with a time cap. */
function runJob(job, capMs = config.jobCapMs) {
  const path = join(tmp, `job-${++jobSeq}-${job.kind}.json`);
  writeFileSync(path, JSON.stringify({ warm: config.warm, ...job }));
  sampleLoad();
  // --expose-gc: each measured phase starts from a collected heap (see measure() in the worker).
  const { r, ms: wallMs, timedOut } = spawnCapped(['--expose-gc', join(HERE, 'worker.mjs'), path], { capMs });
  if (timedOut) {
    log(`  job ${job.kind}/${job.engine ?? ''} killed at its ${(capMs / 1000).toFixed(0)} s cap`);
    return { timedOut: true, capMs, wallMs };
  }
  if (r.status !== 0) {
    const err = `${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    log(`  job ${job.kind}/${job.engine ?? ''} FAILED (exit ${r.status} ${r.signal ?? ''}):\n${err}`);
    return { error: err || `exit ${r.status} ${r.signal ?? ''}`, wallMs };
  }
  const out = JSON.parse(readFileSync(`${path}.out.json`, 'utf8'));
  out.jobWallMs = wallMs;
  return out;
}

/**
 * Fresh-process measurement, `reps` times: the child times open (→ first result) itself; we add
 * the time from just before spawn to the child's result (Node startup and module loading
 * included). The last repetition also runs every query (recall after reopen) and lists segments.
 */
function runFresh(engine, file, queriesPath, dim, mode, reps, capMs = config.freshCapMs) {
  const script = join(HERE, `fresh-${engine}.mjs`);
  const runs = [];
  let last;
  for (let i = 0; i < reps; i++) {
    const extra = i === reps - 1 ? ['--all', '--segments'] : [];
    sampleLoad();
    const tSpawn = performance.timeOrigin + performance.now();
    const r = spawnSync(process.execPath, [script, file, queriesPath, String(dim), mode, ...extra], {
      cwd: BENCH_DIR,
      encoding: 'utf8',
      timeout: capMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error?.code === 'ETIMEDOUT') return { timedOut: true, capMs, runs };
    const line = `${r.stdout ?? ''}`.split('\n').find((l) => l.startsWith('@@RESULT '));
    if (r.status !== 0 || !line) {
      const err = `${r.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
      log(`  fresh ${engine} FAILED: ${err}`);
      return { error: err || `exit ${r.status}`, runs };
    }
    const res = JSON.parse(line.slice(9));
    res.spawnToResultMs = res.resultAbsMs - tSpawn;
    runs.push(res);
    last = res;
  }
  const pick = (k) => median(runs.map((r) => r[k]).filter((x) => x !== undefined));
  return {
    reps: runs.length,
    openMs: pick('openMs'),
    firstMs: pick('firstMs'),
    spawnToResultMs: pick('spawnToResultMs'),
    rssMb: pick('rssMb'),
    runsFirstMs: runs.map((r) => r.firstMs ?? r.openMs),
    engineAtOpen: last?.engineAtOpen,
    firstEngine: last?.firstEngine,
    allEngine: last?.allEngine,
    ids: last?.ids,
    segmentBytes: last?.segmentBytes,
    indexStats: last?.indexStats,
  };
}

function rmStore(path) {
  for (const p of [path, `${path}.lock`]) rmSync(p, { force: true });
}

// ------------------------------------------------------------------ ground truth and recall

/** Squared L2 in f64 over f32 inputs. */
function l2(a, aOff, b, dim) {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[aOff + j] - b[j];
    s += d * d;
  }
  return s;
}

/**
 * Exact top-k per query with @rvfjs/index's exactSearch over `data` (rows = ids unless `rowOf`),
 * timed per query after warm-up (that is the "exact" engine's latency). `accept(row)` filters.
 */
function groundTruth(data, n, dim, queries, accept, warm = config.warm) {
  const run = (q) =>
    exactSearch({
      vectors: data,
      dimension: dim,
      metric: 'l2',
      query: q,
      k: K,
      count: n,
      ...(accept ? { accept } : {}),
    });
  for (let i = 0; i < warm; i++) run(queries[i % queries.length]);
  const lat = [];
  const truth = [];
  const t0 = performance.now();
  for (const q of queries) {
    const t = performance.now();
    const r = run(q);
    lat.push(performance.now() - t);
    truth.push(r);
  }
  return { truth, latency: latencySummary(lat, performance.now() - t0) };
}

/**
 * recall@10 with ties handled as ann-benchmarks does: a returned id counts when it is visible and
 * its true distance is within the 10th true distance (so equal-distance neighbours are not
 * punished). Also counts ids that should not have been returned at all (invisible or filtered out).
 */
function recall(idLists, truth, queries, dim, vectorOf, visible) {
  if (!idLists) return undefined;
  let hits = 0;
  let want = 0;
  let invalid = 0;
  let short = 0;
  for (let qi = 0; qi < truth.length; qi++) {
    const t = truth[qi];
    const need = t.length;
    want += need;
    if (need === 0) continue;
    const thr = t[need - 1].distance;
    const tol = thr * 1e-4 + 1e-6;
    const seen = new Set();
    const got = idLists[qi] ?? [];
    if (got.length < need) short++;
    let h = 0;
    for (const id of got) {
      if (seen.has(id)) continue;
      seen.add(id);
      if (!visible(id)) {
        invalid++;
        continue;
      }
      const v = vectorOf(id);
      if (l2(v.data, v.off, queries[qi], dim) <= thr + tol) h++;
    }
    hits += Math.min(h, need);
  }
  return { recall: want === 0 ? 1 : hits / want, invalid, short };
}

function rowsOf(flat, dim) {
  const out = [];
  for (let i = 0; i < flat.length / dim; i++) out.push(flat.subarray(i * dim, (i + 1) * dim));
  return out;
}

// ------------------------------------------------------------------ machine

function machineInfo() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) cpu = m[1].trim();
  } catch {}
  const pkgVersion = (name) => {
    try {
      return require(`${name}/package.json`).version;
    } catch {
      return 'unknown';
    }
  };
  let nativeRef = 'unknown';
  try {
    const refDir = dirname(require.resolve('@ruvector/rvf-node/package.json'));
    nativeRef = createRequire(join(refDir, 'index.js'))(
      '@ruvector/rvf-node-linux-x64-gnu/package.json',
    ).version;
  } catch {}
  let commit = 'unknown';
  const g = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' });
  if (g.status === 0) commit = g.stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', '../packages'], {
    cwd: BENCH_DIR,
    encoding: 'utf8',
  });
  return {
    cpu,
    cores: cpus().length,
    memGiB: +(totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    commit:
      commit + (dirty.status === 0 && dirty.stdout.trim() ? ' (packages/ has uncommitted changes)' : ''),
    versions: {
      '@rvfjs/runtime': pkgVersion('@rvfjs/runtime'),
      '@ruvector/rvf-node': `${pkgVersion('@ruvector/rvf-node')} (native ${nativeRef})`,
      'hnswlib-node': pkgVersion('hnswlib-node'),
    },
  };
}

// ------------------------------------------------------------------ data sets

function writeDataset(name, data, queries, dim, n) {
  const dataPath = join(tmp, `${name}.data.f32`);
  const queriesPath = join(tmp, `${name}.queries.f32`);
  writeF32(dataPath, data);
  writeF32(queriesPath, queries);
  return { name, n, dim, data, queries: rowsOf(queries, dim), dataPath, queriesPath };
}

function syntheticDataset(kind, n, seed) {
  const { data, queries } = synthetic(kind, n, config.nq, DIM, seed);
  const label = n >= 1000 ? `${n / 1000}k` : `${n}`;
  return writeDataset(`${kind}-${label}x${DIM}`, data, queries, DIM, n);
}

function fashionDataset() {
  const files = fashionFiles();
  if (!files) return undefined;
  const train = readIdxImages(files.train, config.fashionN);
  const test = readIdxImages(files.test, config.nq);
  const label = `fashion-mnist-${train.count / 1000}k×${train.dim}`;
  const ds = writeDataset(label, train.data, test.data, train.dim, train.count);
  ds.fashion = true;
  return ds;
}

// ------------------------------------------------------------------ section 1: ingest / open

/** Stores built in this run that a later section may reuse (copied, never mutated). */
const storeCache = new Map();

function ingestSection() {
  const n = config.ingestN;
  log(`section 1: ingest/open at ${n}×${DIM} (uniform, seed 11)`);
  const ds = syntheticDataset('uniform', n, 11);
  const base = { kind: 'ingest', dim: DIM, n, batch: config.ingestBatch, dataPath: ds.dataPath };
  base.queriesPath = ds.queriesPath;
  base.nq = config.nq;
  const files = {
    oursAppend: join(tmp, 'ingest-ours-append.rvf'),
    oursIndexed: join(tmp, 'ingest-ours-indexed.rvf'),
    ref: join(tmp, 'ingest-ref.rvf'),
    oursMeta: join(tmp, 'ingest-ours-meta.rvf'),
    refMeta: join(tmp, 'ingest-ref-meta.rvf'),
  };
  const out = { n, dim: DIM, batch: config.ingestBatch, data: ds.name };
  log('  ours, append-only (indexThreshold: Infinity) + exact-scan queries');
  out.oursAppend = runJob({
    ...base,
    engine: 'ours',
    appendOnly: true,
    file: files.oursAppend,
    exactQueries: true,
  });
  log('  ours, index maintained (default) + waitForIndex');
  out.oursIndexed = runJob({ ...base, engine: 'ours', wait: true, file: files.oursIndexed });
  log('  reference');
  out.ref = runJob({ ...base, engine: 'ref', file: files.ref }, config.refCapMs);
  log('  ours append-only with metadata + filtered exact scan');
  out.oursMeta = runJob({
    ...base,
    engine: 'ours',
    appendOnly: true,
    meta: true,
    file: files.oursMeta,
    filterAll: true,
  });
  log('  reference with metadata + filtered (exact) scan');
  out.refMeta = runJob(
    { ...base, engine: 'ref', meta: true, file: files.refMeta, filterAll: true },
    config.refCapMs,
  );

  // Exact-scan recall sanity (all should be 1.0).
  const gt = groundTruth(ds.data, n, DIM, ds.queries, undefined, 0);
  const vectorOf = (id) => ({ data: ds.data, off: id * DIM });
  const all = () => true;
  for (const [key, field] of [
    ['oursAppend', 'exact'],
    ['oursAppend', 'kernel'],
    ['oursMeta', 'filterAll'],
    ['refMeta', 'filterAll'],
  ]) {
    const r = out[key]?.[field];
    if (r) {
      r.summary = latencySummary(r.lat, r.wallMs);
      r.recall = recall(r.ids, gt.truth, ds.queries, DIM, vectorOf, all);
      delete r.ids;
    }
  }

  log(`  open time, fresh process ×${config.freshReps}`);
  out.open = {
    oursAppend: runFresh('ours', files.oursAppend, ds.queriesPath, DIM, 'open', config.freshReps),
    oursIndexed: runFresh('ours', files.oursIndexed, ds.queriesPath, DIM, 'open', config.freshReps),
    ref: runFresh('ref', files.ref, ds.queriesPath, DIM, 'open', config.freshReps, config.refCapMs),
  };
  for (const o of Object.values(out.open)) delete o.ids;
  if (!out.oursIndexed.error && !out.oursIndexed.timedOut)
    storeCache.set(`ours:uniform:${n}:11`, files.oursIndexed);
  if (!out.ref.error && !out.ref.timedOut) storeCache.set(`ref:uniform:${n}:11`, files.ref);
  for (const f of [files.oursAppend, files.oursMeta, files.refMeta]) rmStore(f);
  return out;
}

// ------------------------------------------------------------------ section 2: ANN

function annDataset(ds) {
  const { n, dim } = ds;
  const out = { name: ds.name, n, dim, nq: ds.queries.length, engines: {} };
  log(`section 2: ${ds.name}: ground truth`);
  const gt = groundTruth(ds.data, n, dim, ds.queries);
  const accept = (o) => o % 10 === FILTER_CAT;
  const gtf = groundTruth(ds.data, n, dim, ds.queries, accept);
  out.exact = { latency: gt.latency, filteredLatency: gtf.latency };
  const vectorOf = (id) => ({ data: ds.data, off: id * dim });
  const visible = (id) => Number.isInteger(id) && id >= 0 && id < n;
  const visibleF = (id) => visible(id) && id % 10 === FILTER_CAT;
  const rec = (ids) => recall(ids, gt.truth, ds.queries, dim, vectorOf, visible);
  const recF = (ids) => recall(ids, gtf.truth, ds.queries, dim, vectorOf, visibleF);
  const summarize = (r, filtered = false) => {
    if (!r) return undefined;
    const s = { ...latencySummary(r.lat, r.wallMs), ...(filtered ? recF(r.ids) : rec(r.ids)) };
    return s;
  };
  const common = { kind: 'ann', dim, n, dataPath: ds.dataPath, queriesPath: ds.queriesPath, nq: config.nq };
  common.efs = config.efs;

  const runRef = ds.fashion ? config.refFashion : n <= config.refMaxN;
  const engines = [
    ['ours', join(tmp, `${ds.name}.ours.rvf`)],
    ['hnswlib', join(tmp, `${ds.name}.hnswlib.bin`)],
    ['ref', join(tmp, `${ds.name}.ref.rvf`)],
  ];
  for (const [engine, file] of engines) {
    if (engine === 'ref' && !runRef) {
      out.engines.ref = {
        skipped: ds.fashion
          ? 'skipped (reference graph build on Fashion-MNIST takes minutes; run with --full)'
          : `skipped at ${n} vectors (its first query builds the graph single-threaded: minutes; run with --full)`,
      };
      continue;
    }
    log(`  ${ds.name}: ${engine} build + queries`);
    const r = runJob({ ...common, engine, file }, engine === 'ref' ? config.refCapMs : config.jobCapMs);
    const e = { file };
    out.engines[engine] = e;
    if (r.error || r.timedOut) {
      e.error = r.error ?? `killed at the ${(r.capMs / 1000).toFixed(0)} s cap`;
      continue;
    }
    Object.assign(e, {
      buildMs: r.buildMs,
      ingestMs: r.ingestMs,
      waitMs: r.waitMs,
      firstQueryMs: r.firstQueryMs,
      closeMs: r.closeMs,
      saveMs: r.saveMs,
      fileSize: r.fileSize,
      engineStatus: r.engineStatus,
      defEngine: r.defEngine,
      filteredEngine: r.filteredEngine,
      filteredHnswEngine: r.filteredHnswEngine,
      filteredExactEngine: r.filteredExactEngine,
      indexStats: r.indexStats,
      workerRssMb: r.rssMb,
      def: summarize(r.def),
      noMeta: summarize(r.noMeta),
      defConv: summarize(r.defConv),
      filtered: summarize(r.filtered, true),
      filteredHnsw: summarize(r.filteredHnsw, true),
      filteredExact: summarize(r.filteredExact, true),
      sweep: (r.sweep ?? []).map((s) => ({ ef: s.ef, ...summarize(s) })),
    });
  }
  out.rawVectorBytes = n * dim * 4;

  // Query latency again, in short processes that alternate between ours and raw hnswlib
  // (each on the index its build job saved): the ratio the target asks for comes from these.
  const pair = ['ours', 'hnswlib'].filter((k) => out.engines[k] && !out.engines[k].error);
  if (pair.length === 2 && config.queryRounds > 0) {
    log(`  ${ds.name}: query rounds, ours and hnswlib alternating ×${config.queryRounds}`);
    const rounds = { ours: [], oursNoMeta: [], hnswlib: [] };
    for (let round = 0; round < config.queryRounds; round++) {
      const order = round % 2 === 0 ? pair : [...pair].reverse();
      for (const engine of order) {
        const job = { ...common, kind: 'ann-queries', engine, file: out.engines[engine].file, round };
        const r = runJob(job);
        if (r.error || r.timedOut) continue;
        rounds[engine].push({ ...latencySummary(r.def.lat, r.def.wallMs), ...rec(r.def.ids) });
        if (r.noMeta)
          rounds.oursNoMeta.push({ ...latencySummary(r.noMeta.lat, r.noMeta.wallMs), ...rec(r.noMeta.ids) });
      }
    }
    out.queryRounds = rounds;
  }

  // Filtered queries right after small writes, on a copy of our store (the original stays
  // as built for the fresh-process runs below).
  if (out.engines.ours && !out.engines.ours.error) {
    log(`  ${ds.name}: ours, filtered queries each right after a 10-vector ingest`);
    const copy = join(tmp, `${ds.name}.ours-writes.rvf`);
    copyFileSync(out.engines.ours.file, copy);
    const r = runJob({ ...common, kind: 'ann-writes', engine: 'ours', file: copy });
    if (!r.error && !r.timedOut) {
      out.writes = {
        alone: latencySummary(r.alone.lat, r.alone.wallMs),
        afterWrite: latencySummary(r.afterWrite.lat, r.afterWrite.wallMs),
        writeMs: r.writeMs,
        engine: r.engineAfterWrite,
      };
    }
    rmStore(copy);
  }

  log(`  ${ds.name}: open → first result, fresh process ×${config.freshReps}`);
  for (const [engine] of engines) {
    const e = out.engines[engine];
    if (!e || e.skipped || e.error) continue;
    const cap = engine === 'ref' ? config.refCapMs : config.freshCapMs;
    const f = runFresh(engine, e.file, ds.queriesPath, dim, 'first', config.freshReps, cap);
    if (f.ids) f.recallAfterReopen = rec(f.ids);
    delete f.ids;
    e.fresh = f;
  }
  for (const [, file] of engines) rmStore(file);
  return out;
}

function annSection() {
  const out = { datasets: [] };
  let seed = 100;
  for (const { kind, n } of config.ann) {
    const thisSeed = seed++;
    if (!wantDataset(`${kind}-${n / 1000}k`)) continue;
    const ds = syntheticDataset(kind, n, thisSeed);
    out.datasets.push(annDataset(ds));
    rmSync(ds.dataPath, { force: true });
  }
  if (config.fashionN > 0 && wantDataset('fashion')) {
    const ds = fashionDataset();
    if (!ds) {
      out.fashionNote =
        'Fashion-MNIST skipped: Debian package dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist).';
      log(out.fashionNote);
    } else {
      out.datasets.push(annDataset(ds));
      rmSync(ds.dataPath, { force: true });
    }
  } else {
    out.fashionNote = quick
      ? 'Fashion-MNIST not run in --quick mode (add --fashion for a 10k subset).'
      : 'Fashion-MNIST disabled (--no-fashion).';
  }
  return out;
}

// ------------------------------------------------------------------ section 3: branches

function ensureParent(engine, n, ds) {
  const key = `${engine}:uniform:${n}:11`;
  const path = join(tmp, `branch-parent-${engine}-${n}.rvf`);
  const cached = storeCache.get(key);
  if (cached) {
    copyDurable(cached, path);
    return { path, reused: true };
  }
  const job = {
    kind: 'ingest',
    engine,
    dim: DIM,
    n,
    batch: Math.min(10000, n),
    dataPath: ds.dataPath,
    file: path,
  };
  if (engine === 'ours') job.wait = true;
  const r = runJob(job, engine === 'ref' ? config.refCapMs : config.jobCapMs);
  if (r.error || r.timedOut) return { error: r.error ?? 'timed out' };
  return { path, buildMs: r.ingestMs + (r.waitMs ?? 0) };
}

/**
 * Writes out the page cache before a timed branch(), for either engine: both fsync, and an
 * fsync waits behind whatever the kernel is flushing. The bench has just written the parents
 * and their datasets (over 100 MB at 100k), whose writeback otherwise lands inside whichever
 * engine's timed calls come first.
 */
function flushWriteback() {
  spawnSync('sync');
}

function branchSection() {
  const out = { sizes: [], edits: undefined, queries: [] };
  const sizes = [...new Set([...config.branchSizes, ...config.branchQuerySizes, config.branchEditSize])].sort(
    (a, b) => a - b,
  );
  const scratch = join(tmp, 'branch-scratch');
  mkdirSync(scratch, { recursive: true });
  for (const n of sizes) {
    log(`section 3: parent ${n}×${DIM}`);
    // Same generator and seed as section 1, so the 100k parent is section 1's store when it ran.
    const ds = syntheticDataset('uniform', n, 11);
    const parents = { ours: ensureParent('ours', n, ds), ref: ensureParent('ref', n, ds) };
    const row = { n, parentSize: {}, ours: {}, ref: {} };
    for (const e of ['ours', 'ref'])
      if (!parents[e].error) row.parentSize[e] = statSync(parents[e].path).size;

    if (config.branchSizes.includes(n)) {
      log(`  branch() time ×${config.branchReps}`);
      if (!parents.ours.error) {
        const times = [];
        for (let i = 0; i < config.branchReps; i++) {
          flushWriteback();
          const child = join(tmp, `branch-child-ours-${n}-${i}.rvf`);
          mkdirSync(join(scratch, `o${n}-${i}`), { recursive: true });
          const r = runJob({
            kind: 'branch-once',
            dim: DIM,
            parentFile: parents.ours.path,
            childFile: child,
            scratchDir: join(scratch, `o${n}-${i}`),
          });
          rmStore(child);
          if (r.error || r.timedOut) {
            row.ours.error = r.error ?? 'timed out';
            break;
          }
          times.push(r.branchMs);
          row.ours.childSize = r.childSize;
          row.ours.childEngine = r.childEngine;
        }
        row.ours.times = times;
      } else row.ours.error = parents.ours.error;
      if (!parents.ref.error) {
        flushWriteback();
        const r = runJob(
          {
            kind: 'branch-ref-reps',
            parentFile: parents.ref.path,
            scratchDir: scratch,
            reps: config.branchReps,
          },
          config.refCapMs,
        );
        if (r.error || r.timedOut) row.ref.error = r.error ?? 'timed out';
        else Object.assign(row.ref, { times: r.times, childSize: r.childSize });
      } else row.ref.error = parents.ref.error;
      out.sizes.push(row);
    }

    const queries = config.branchQuerySizes.includes(n);
    const edits = n === config.branchEditSize;
    if (queries || edits) {
      // Child ground truth: parent rows with ids 0..49 replaced, 50..99 deleted, n..n+49 added.
      const e = branchEdits(n, DIM);
      const childData = new Float32Array((n + 50) * DIM);
      childData.set(ds.data);
      childData.set(e.vectors.subarray(0, 50 * DIM), 0);
      childData.set(e.vectors.subarray(50 * DIM), n * DIM);
      const dead = new Set(e.deletes);
      const pgt = groundTruth(ds.data, n, DIM, ds.queries, undefined, 0);
      const cgt = groundTruth(childData, n + 50, DIM, ds.queries, (o) => !dead.has(o), 0);
      const pv = (id) => ({ data: ds.data, off: id * DIM });
      const cv = (id) => ({ data: childData, off: id * DIM });
      const pvis = (id) => Number.isInteger(id) && id >= 0 && id < n;
      const cvis = (id) => Number.isInteger(id) && id >= 0 && id < n + 50 && !dead.has(id);
      const sum = (r, child) =>
        r && {
          ...latencySummary(r.lat, r.wallMs),
          ...(child
            ? recall(r.ids, cgt.truth, ds.queries, DIM, cv, cvis)
            : recall(r.ids, pgt.truth, ds.queries, DIM, pv, pvis)),
        };
      const q = { n, exactP50: pgt.latency.p50, engines: {} };
      for (const engine of ['ours', 'ref']) {
        if (parents[engine].error) {
          q.engines[engine] = { error: parents[engine].error };
          continue;
        }
        const runQueries = queries && (engine === 'ours' || n <= config.refMaxN);
        log(`  ${engine}: branch + 100 upserts + 50 deletes${runQueries ? ' + child/parent queries' : ''}`);
        const parentCopy = join(tmp, `branch-edit-parent-${engine}-${n}.rvf`);
        copyDurable(parents[engine].path, parentCopy);
        const child = join(tmp, `branch-edit-child-${engine}-${n}.rvf`);
        const r = runJob(
          {
            kind: 'branch-edit',
            engine,
            dim: DIM,
            n,
            parentFile: parentCopy,
            childFile: child,
            queriesPath: ds.queriesPath,
            nq: config.nq,
            queries: runQueries,
          },
          engine === 'ref' ? config.refCapMs : config.jobCapMs,
        );
        rmStore(child);
        rmStore(parentCopy);
        if (r.error || r.timedOut) {
          q.engines[engine] = { error: r.error ?? 'timed out' };
          continue;
        }
        const res = {
          parentSizeBefore: r.parentSizeBefore,
          parentSizeAfter: r.parentSizeAfter,
          branchMs: r.branchMs,
          editMs: r.editMs,
          childSizeAfterEdits: r.childSizeAfterEdits,
          childSizeAfterClose: r.childSizeAfterClose,
          childCloseMs: r.childCloseMs,
          childWaitMs: r.childWaitMs,
          childStatus: r.childStatus,
          parentFirstQueryMs: r.parentFirstQueryMs,
          childFirstQueryMs: r.childFirstQueryMs,
          parentEngine: r.parentEngine,
          childNowEngine: r.childNowEngine,
          childReadyEngine: r.childReadyEngine,
          childEngineAfterEdits: r.childEngineAfterEdits,
          queriesSkipped: queries && !runQueries,
          parent: sum(r.parent, false),
          childNow: sum(r.childNow, true),
          childReady: sum(r.childReady, true),
          parentAgain: sum(r.parentAgain, false),
        };
        q.engines[engine] = res;
      }
      if (queries) out.queries.push(q);
      if (edits) out.edits = q;
    }
    for (const e of ['ours', 'ref']) if (parents[e].path) rmStore(parents[e].path);
    rmSync(ds.dataPath, { force: true });
  }
  return out;
}

// ------------------------------------------------------------------ main

const results = {
  machine: machineInfo(),
  config: { ...config, refMaxN: String(config.refMaxN) },
  sections: {},
};
log(
  `machine: ${results.machine.cpu} ×${results.machine.cores}, node ${results.machine.node}; mode ${config.mode}`,
);
log(`scratch directory ${tmp}`);
let coldStart;
/**
 * Runs one of the section scripts in a child process (with `quickArgs` in --quick mode),
 * capped at `capMinutes`; returns its markdown, or logs its failure.
 */
function scriptSection(what, script, quickArgs, capMinutes) {
  const { r } = spawnCapped([join(HERE, script), ...(quick ? quickArgs : [])], {
    capMs: capMinutes * 60_000,
  });
  process.stderr.write(r.stderr ?? '');
  if (r.status !== 0) log(`${what} failed (exit ${r.status ?? r.signal})`);
  return r.stdout;
}

let serverLoad;
let cliIngest;
let remoteOpen;
try {
  if (only.has('ingest')) results.sections.ingest = ingestSection();
  if (only.has('ann')) results.sections.ann = annSection();
  if (only.has('branch')) results.sections.branch = branchSection();
  if (only.has('coldstart')) {
    coldStart = coldStartSection({ quick, full, argv, tmp, keep, log, sampleLoad });
    results.sections.coldstart = coldStart.results;
  }
  // Sections that run as scripts of their own (they start servers, or measure a process's
  // peak memory); their markdown is appended to this run's.
  if (only.has('serverload'))
    serverLoad = scriptSection('server load test', 'server-load.mjs', ['--quick'], 30);
  if (only.has('cliingest'))
    cliIngest = scriptSection('CLI ingest section', 'cli-ingest.mjs', ['--quick', '--no-write'], 30);
  if (only.has('remote'))
    remoteOpen = scriptSection('remote open section', 'remote-open.mjs', ['--quick', '--no-write'], 10);
} finally {
  if (!keep) rmSync(tmp, { recursive: true, force: true });
}
results.totalMs = performance.now() - T0;
sampleLoad();
results.load = {
  cores: cpus().length,
  samples: loadSamples.length,
  first: loadSamples[0],
  median: median(loadSamples),
  max: Math.max(...loadSamples),
};

const md =
  renderMarkdown(results) +
  (coldStart ? `\n${coldStart.markdown}` : '') +
  (serverLoad ? `\n${serverLoad}` : '') +
  (cliIngest ? `\n${cliIngest}` : '') +
  (remoteOpen ? `\n${remoteOpen}` : '');
const svg = renderSvg(results);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(RESULTS_DIR, 'latest.md'), md);
if (svg) writeFileSync(join(RESULTS_DIR, 'recall-latency.svg'), svg);
process.stdout.write(md);
log(
  `done in ${(results.totalMs / 1000).toFixed(1)} s; wrote ${RESULTS_DIR}/latest.{json,md}${svg ? ' and recall-latency.svg' : ''}`,
);
