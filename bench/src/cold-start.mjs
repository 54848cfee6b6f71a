// Cold-start section (`run.mjs --only=coldstart`): what a user of the DEFAULT store options
// experiences, next to raw hnswlib-node on the same data in the same run. Unlike the ANN
// section there is no waitForIndex, no warm-up pass and no pause anywhere: each job is a fresh
// Node process (cold-*.mjs) that does what an application would do, back to back.
//
//   build        ours: create → ingestBatch ×10 → close    raw: initIndex → addPoint → writeIndexSync
//   query        fresh process: open read-only / readIndexSync → every held-out query, timed one by
//                one, alternating which engine goes first, `reps` pairs; recall against exactSearch
//   writer-stall event-loop stall while a just-filled writer builds its graph; branch(), ingest 10
//   incremental  10 vectors into a copy of the built store: close() time and bytes beyond the data
//   memory       (--full or --coldstart-1m) RSS with a 1M×128 index loaded, ours vs raw
//
// Writes results/cold-start.{json,md} (committed, unlike latest.*) and returns the markdown.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exactSearch } from '@rvfjs/index';
import { synthetic, writeF32 } from './data.mjs';
import { copyDurable } from './durable-copy.mjs';
import { spawnCapped } from './spawn-capped.mjs';
import { fmtBytes, fmtMs, fmtNum, fmtRecall, latencySummary, mdTable, median } from './stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = join(HERE, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const DIM = 128;
const K = 10;
const KIB = 1024;
/** The graph segment's type name in `segments()` (the same constant as cold-child.mjs's). */
const GRAPH_SEG = 'rvfjs_hnsw_graph';

function configFor({ quick, full, argv }) {
  const memory = full || argv.includes('--coldstart-1m') || process.env.BENCH_COLDSTART_1M === '1';
  return {
    mode: quick ? 'quick' : 'default',
    // [small, large]: the targets name them 20k and 100k (quick mode: 5k and 20k).
    sizes: quick ? [5000, 20000] : [20000, 100000],
    nq: quick ? 300 : 1500,
    reps: quick ? 2 : 3,
    batches: 10,
    k: K,
    dim: DIM,
    seedBase: 300,
    // Every child is killed at this cap, so a stuck job cannot hang the run.
    capMs: 600 * 1000,
    stallWindowMs: 3000,
    stallCapMs: 60 * 1000,
    // The writer's branch() and 10-vector ingest are one call each per process, so a single
    // process is one sample of a noisy machine: the writer job runs in this many fresh
    // processes and the table takes their medians, as the query jobs do.
    writerRuns: quick ? 1 : 3,
    memory: memory ? { n: 1_000_000, capMs: 7200 * 1000 } : undefined,
  };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const ok = (r) => r && !r.error && !r.timedOut;
const ratio = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b);
const fmtRatio = (x) => (x === undefined ? 'n/a' : `${x.toFixed(2)}×`);
const sizeLabel = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

// ------------------------------------------------------------------ machine

function machineInfo() {
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const dirty = git(['status', '--porcelain', '--', '../packages']);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    totalmem: totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    commit: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    // The runtime may be under change while this runs: say so next to the hash.
    packagesDirty: Boolean(dirty),
    date: new Date().toISOString(),
    loadavgBefore: loadavg(),
  };
}

// ------------------------------------------------------------------ children

/**
 * Runs one cold-*.mjs child with its job as JSON in argv[2], capped; parses its `@@RESULT` line.
 * Adds spawn → first result (Node start-up and module loading included) when the child reports
 * the absolute time of its first result.
 */
function runChild(ctx, script, job, { capMs = ctx.cfg.capMs, exposeGc = false } = {}) {
  ctx.sampleLoad();
  const tSpawn = performance.timeOrigin + performance.now();
  const args = [...(exposeGc ? ['--expose-gc'] : []), join(HERE, script), JSON.stringify(job)];
  const { r, ms: processMs, timedOut } = spawnCapped(args, { capMs, maxBuffer: 256 * 1024 * 1024 });
  if (timedOut) {
    ctx.log(`  ${script} killed at its ${(capMs / 1000).toFixed(0)} s cap`);
    return { timedOut: true, capMs, processMs };
  }
  const line = `${r.stdout ?? ''}`.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (r.status !== 0 || !line) {
    // A native crash prints its reason first and a long stack after it: keep both ends, and a
    // one-line summary (exit status and the first line that names an error) for the table.
    const lines = `${r.stderr ?? ''}`.trim().split('\n');
    const reason =
      lines.find((l) => /error|fatal|abort|assert|uncaught|exception/i.test(l)) ?? lines[lines.length - 1];
    const error = `exit ${r.status ?? ''} ${r.signal ?? ''}: ${reason ?? 'no output'}`.replace(/\s+/g, ' ');
    const stderr = lines.length > 40 ? [...lines.slice(0, 15), '…', ...lines.slice(-25)] : lines;
    ctx.log(`  ${script} FAILED (${error}):\n${stderr.join('\n')}`);
    return { error, stderr: stderr.join('\n'), processMs };
  }
  const out = JSON.parse(line.slice('@@RESULT '.length));
  out.processMs = processMs;
  if (out.firstAbsMs !== undefined) out.spawnToFirstMs = out.firstAbsMs - tSpawn;
  return out;
}

const failure = (r) => (r?.timedOut ? `killed at the ${(r.capMs / 1000).toFixed(0)} s cap` : r?.error);

function rmStore(path) {
  for (const p of [path, `${path}.lock`]) rmSync(p, { force: true });
}

// ------------------------------------------------------------------ ground truth and recall

function exactTruth(data, n, queries) {
  return queries.map((query) =>
    exactSearch({ vectors: data, dimension: DIM, metric: 'l2', query, k: K, count: n }),
  );
}

function l2sq(data, off, q) {
  let s = 0;
  for (let j = 0; j < DIM; j++) {
    const d = data[off + j] - q[j];
    s += d * d;
  }
  return s;
}

/**
 * recall@10 as run.mjs computes it (ann-benchmarks' rule): a returned id counts when its true
 * distance is within the 10th true distance, so ties are not punished; ids outside 0..n-1 are
 * counted as invalid.
 */
function recallAt10(idLists, truth, data, n, queries) {
  let hits = 0;
  let want = 0;
  let invalid = 0;
  let short = 0;
  for (let qi = 0; qi < truth.length; qi++) {
    const t = truth[qi];
    want += t.length;
    const thr = t[t.length - 1].distance;
    const tol = thr * 1e-4 + 1e-6;
    const got = idLists[qi] ?? [];
    if (got.length < t.length) short++;
    const seen = new Set();
    let h = 0;
    for (const id of got) {
      if (seen.has(id)) continue;
      seen.add(id);
      if (!(Number.isInteger(id) && id >= 0 && id < n)) {
        invalid++;
        continue;
      }
      if (l2sq(data, id * DIM, queries[qi]) <= thr + tol) h++;
    }
    hits += Math.min(h, t.length);
  }
  return { recall: want ? hits / want : 1, invalid, short };
}

// ------------------------------------------------------------------ query runs

/** Run-length form of the per-query engine list: [['exact', 37], ['hnsw', 1463]]. */
function engineRuns(engines) {
  const out = [];
  for (const e of engines) {
    const last = out[out.length - 1];
    if (last && last[0] === e) last[1]++;
    else out.push([e, 1]);
  }
  return out;
}

/** One query process's numbers; the big arrays (latencies, ids, engines) are reduced here. */
function summarizeQueries(r, engine, gt) {
  if (!ok(r)) return { engine, error: failure(r) };
  // Raw hnswlib answers every query from its graph.
  const engines = r.engines ?? r.lat.map(() => 'hnsw');
  const firstHnsw = engines.indexOf('hnsw');
  const exactAnswers = engines.filter((e) => e === 'exact').length;
  // The saved graph walked by rvfjs itself: wholly in WebAssembly ('hnsw-wasm', a reader's
  // index) or in TypeScript ('hnsw-js').
  const walkedAnswers = engines.filter((e) => e === 'hnsw-js' || e === 'hnsw-wasm').length;
  const wasmAnswers = engines.filter((e) => e === 'hnsw-wasm').length;
  return {
    engine,
    ...latencySummary(r.lat, sum(r.lat)),
    importMs: r.importMs,
    openMs: r.openMs,
    firstMs: r.firstMs,
    spawnToFirstMs: r.spawnToFirstMs,
    totalWallMs: r.totalWallMs,
    elapsedMs: r.elapsedMs,
    rssMb: r.rssMb,
    ...recallAt10(r.ids, gt.truth, gt.data, gt.n, gt.queries),
    exactAnswers,
    walkedAnswers,
    wasmAnswers,
    firstHnswIndex: firstHnsw === -1 ? null : firstHnsw,
    exactBeforeGraph: firstHnsw === -1 ? exactAnswers : firstHnsw,
    engineRuns: engineRuns(engines),
    ...(r.engineAtEnd ? { engineAtEnd: r.engineAtEnd } : {}),
  };
}

const MEDIAN_KEYS = ['p50', 'p99', 'mean', 'openMs', 'firstMs', 'spawnToFirstMs', 'totalWallMs', 'rssMb'];

function medianOf(runs) {
  const good = runs.filter((r) => !r.error);
  if (good.length === 0) return undefined;
  const out = { runs: good.length };
  for (const k of [...MEDIAN_KEYS, 'recall', 'exactAnswers', 'walkedAnswers', 'wasmAnswers'])
    out[k] = median(good.map((r) => r[k]).filter((x) => x !== undefined));
  out.firstHnswIndex = good.map((r) => r.firstHnswIndex);
  return out;
}

// ------------------------------------------------------------------ one data size

function sizeSection(ctx, n, seed, large) {
  const { cfg, dir, log } = ctx;
  const name = `clustered-${sizeLabel(n)}x${DIM}`;
  log(`cold start: ${name} (seed ${seed}), ${cfg.nq} held-out queries`);
  const { data, queries } = synthetic('clustered', n, cfg.nq, DIM, seed);
  const dataPath = join(dir, `${name}.data.f32`);
  const queriesPath = join(dir, `${name}.queries.f32`);
  writeF32(dataPath, data);
  writeF32(queriesPath, queries);
  const qRows = Array.from({ length: cfg.nq }, (_, i) => queries.subarray(i * DIM, (i + 1) * DIM));

  log('  exact ground truth');
  const gt = { truth: exactTruth(data, n, qRows), data, n, queries: qRows };

  const oursFile = join(dir, `${name}.ours.rvf`);
  const rawFile = join(dir, `${name}.hnswlib.bin`);
  const out = { n, name, seed, nq: cfg.nq };
  log('  build-ours: create → ingestBatch ×10 → close (default options)');
  out.buildOurs = runChild(ctx, 'cold-build-ours.mjs', {
    file: oursFile,
    dataPath,
    n,
    dim: DIM,
    batches: cfg.batches,
  });
  log('  build-raw: hnswlib-node initIndex → addPoint → writeIndexSync');
  out.buildRaw = runChild(ctx, 'cold-build-raw.mjs', { file: rawFile, dataPath, n, dim: DIM });

  // Query pairs in fresh processes; who goes first alternates (a process started right after
  // another can meet a busier machine).
  const runs = [];
  const jobs = { ours: ['cold-query-ours.mjs', oursFile], raw: ['cold-query-raw.mjs', rawFile] };
  const built = { ours: ok(out.buildOurs), raw: ok(out.buildRaw) };
  for (let rep = 0; rep < cfg.reps; rep++) {
    const order = rep % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours'];
    log(`  query run ${rep + 1}/${cfg.reps}: ${order.join(' then ')}`);
    for (const engine of order) {
      if (!built[engine]) continue;
      const [script, file] = jobs[engine];
      const r = runChild(ctx, script, { file, queriesPath, nq: cfg.nq, dim: DIM });
      runs.push({ rep: rep + 1, order: order.join('→'), ...summarizeQueries(r, engine, gt) });
    }
  }
  out.queryRuns = runs;
  out.query = {
    ours: medianOf(runs.filter((r) => r.engine === 'ours')),
    raw: medianOf(runs.filter((r) => r.engine === 'raw')),
  };
  const q = out.query;
  out.ratios = {
    build: ratio(out.buildOurs.totalMs, out.buildRaw.totalMs),
    p50: ratio(q.ours?.p50, q.raw?.p50),
    p99: ratio(q.ours?.p99, q.raw?.p99),
    firstMs: ratio(q.ours?.firstMs, q.raw?.firstMs),
    totalWallMs: ratio(q.ours?.totalWallMs, q.raw?.totalWallMs),
  };

  if (large) {
    if (built.ours) {
      log('  incremental: 10 vectors into a copy of the built store, then close()');
      const copy = join(dir, `${name}.incremental.rvf`);
      copyDurable(oursFile, copy);
      out.incremental = runChild(ctx, 'cold-incremental.mjs', { file: copy, queriesPath, n, dim: DIM });
      rmStore(copy);
    } else out.incremental = { error: 'build-ours failed' };
    const wFile = join(dir, `${name}.writer.rvf`);
    const wChild = join(dir, `${name}.writer-child.rvf`);
    const runs = [];
    for (let run = 1; run <= cfg.writerRuns; run++) {
      log(
        `  writer-stall ${run}/${cfg.writerRuns}: ingest ${n}, then branch() and ingest 10 while the graph builds`,
      );
      runs.push(
        runChild(ctx, 'cold-writer-stall.mjs', {
          file: wFile,
          childFile: wChild,
          dataPath,
          queriesPath,
          n,
          dim: DIM,
          batches: cfg.batches,
          windowMs: cfg.stallWindowMs,
          capMs: cfg.stallCapMs,
        }),
      );
      rmStore(wFile);
      rmStore(wChild);
    }
    out.writerStall = medianWriterRun(runs);
  }
  if (!ctx.keep) for (const p of [dataPath, queriesPath, oursFile, rawFile]) rmStore(p);
  return out;
}

/**
 * The writer runs summed up: each timing the median over the runs that finished (the other
 * fields from the first of them), with every run kept under `runs`; a failure when none did.
 */
function medianWriterRun(runs) {
  const done = runs.filter(ok);
  if (done.length === 0) return { ...runs[0], runs };
  const timed = [
    'maxStallMs',
    'p99StallMs',
    'p50StallMs',
    'branchMs',
    'ingest10Ms',
    'windowMs',
    'closeMs',
    'childCloseMs',
  ];
  const out = { ...done[0], runs };
  for (const key of timed) {
    const values = done.map((r) => r[key]).filter((v) => typeof v === 'number');
    if (values.length > 0) out[key] = median(values);
  }
  return out;
}

/** 1M×128: resident memory with the index ready, ours (graph loaded) vs raw readIndexSync. */
function memorySection(ctx) {
  const { cfg, dir, log } = ctx;
  const { n, capMs } = cfg.memory;
  const name = `clustered-${sizeLabel(n)}x${DIM}`;
  log(`cold start memory: ${name} (builds take long: cap ${(capMs / 60000).toFixed(0)} min each)`);
  const { data, queries } = synthetic('clustered', n, 10, DIM, cfg.seedBase + 9);
  const dataPath = join(dir, `${name}.data.f32`);
  const queriesPath = join(dir, `${name}.queries.f32`);
  writeF32(dataPath, data);
  writeF32(queriesPath, queries);
  const oursFile = join(dir, `${name}.ours.rvf`);
  const rawFile = join(dir, `${name}.hnswlib.bin`);
  const out = { n };
  const build = { dataPath, n, dim: DIM, batches: cfg.batches };
  out.buildOurs = runChild(ctx, 'cold-build-ours.mjs', { ...build, file: oursFile }, { capMs });
  out.buildRaw = runChild(ctx, 'cold-build-raw.mjs', { ...build, file: rawFile }, { capMs });
  const mem = (engine, file) =>
    runChild(ctx, 'cold-memory.mjs', { engine, file, queriesPath, dim: DIM }, { capMs, exposeGc: true });
  out.ours = ok(out.buildOurs) ? mem('ours', oursFile) : { error: 'build-ours failed' };
  out.raw = ok(out.buildRaw) ? mem('raw', rawFile) : { error: 'build-raw failed' };
  if (!ctx.keep) for (const p of [dataPath, queriesPath, oursFile, rawFile]) rmStore(p);
  return out;
}

// ------------------------------------------------------------------ targets

/**
 * The targets, each { label, value, limit, op, unit }; `pass` is false when the value is missing
 * (a failed job misses its target). small/large are the 20k/100k sizes (quick: 5k/20k).
 */
function evaluateTargets(res) {
  const [small, large] = res.sizes;
  const w = res.writerStall;
  const inc = res.incremental;
  const t = (scope, label, value, op, limit, unit) => {
    const pass = value === undefined || value === null ? false : op === '≤' ? value <= limit : value >= limit;
    return { scope, label, value, op, limit, unit, pass };
  };
  const list = [];
  for (const s of [small, large]) {
    if (!s) continue;
    list.push(t(s.n, 'build', s.ratios.build, '≤', 1.2, '× raw'));
  }
  if (large) {
    list.push(t(large.n, 'p50', large.ratios.p50, '≤', 1.5, '× raw'));
    list.push(t(large.n, 'total wall', large.ratios.totalWallMs, '≤', 1.5, '× raw'));
    list.push(t(large.n, 'recall', large.query.ours?.recall, '≥', 0.95, ''));
  }
  if (small) {
    list.push(t(small.n, 'p50', small.ratios.p50, '≤', 1.2, '× raw'));
    list.push(t(small.n, 'open→first', small.query.ours?.firstMs, '≤', 40, 'ms'));
    list.push(t(small.n, 'open→first', small.ratios.firstMs, '≤', 1.5, '× raw'));
  }
  const wn = large?.n;
  list.push(t(wn, 'max stall', ok(w) ? w.maxStallMs : undefined, '≤', 25, 'ms'));
  list.push(t(wn, 'branch', ok(w) ? w.branchMs : undefined, '≤', 10, 'ms'));
  list.push(t(wn, 'ingest10', ok(w) ? w.ingest10Ms : undefined, '≤', 10, 'ms'));
  list.push(t(wn, 'incremental close', ok(inc) ? inc.closeMs : undefined, '≤', 5, 'ms'));
  list.push(t(wn, 'incremental overhead', ok(inc) ? inc.overheadBytes : undefined, '≤', 64 * KIB, 'B'));
  return list;
}

// ------------------------------------------------------------------ report

function renderMarkdown(res) {
  const { config: cfg, machine: m } = res;
  const targets = res.targets;
  const find = (n, label) => targets.filter((x) => x.scope === n && x.label === label);
  const limitText = (x) =>
    x.unit === 'B'
      ? `${x.op} ${fmtBytes(x.limit)}`
      : x.unit === 'ms'
        ? `${x.op} ${x.limit} ms`
        : `${x.op} ${x.limit}${x.unit}`;
  const verdict = (x) =>
    x.value === undefined || x.value === null ? 'MISS (n/a)' : x.pass ? 'PASS' : 'MISS';
  const tcells = (n, label) => {
    const ts = find(n, label);
    return [ts.map(limitText).join('; '), ts.map(verdict).join('; ')];
  };
  const la = (a) => (a ? a.map((x) => x.toFixed(2)).join(' / ') : 'n/a');

  const lines = [
    `## Cold start: default options, fresh processes (mode ${cfg.mode})`,
    '',
    `- Machine: ${m.cpuModel} ×${m.cpuCount}, ${(m.totalmem / 1024 ** 3).toFixed(1)} GiB RAM, ${m.platform}, Node ${m.node}`,
    `- Run: ${m.date}, commit ${m.commit}${m.packagesDirty ? ' (packages/ had uncommitted changes)' : ''}; ` +
      `load average (1/5/15 min) before ${la(m.loadavgBefore)}, after ${la(m.loadavgAfter)} on ${m.cpuCount} cores` +
      (Math.max(m.loadavgBefore[0], m.loadavgAfter?.[0] ?? 0) > m.cpuCount * 0.75
        ? ' — **other work was running on this machine during the run; timings are noisier than on an idle machine**'
        : ''),
    `- Data: clustered ${DIM}-d (100 Gaussian blobs), ${cfg.nq} held-out queries, k = ${K}, metadata \`{cat: i % 10}\` ` +
      `on every vector; recall@10 against exact brute force (\`exactSearch\`).`,
    '- ours: `RvfStore` with default options (no waitForIndex, no warm-up, no pauses), built by create → ' +
      `ingestBatch ×${cfg.batches} → close, queried after \`open(file, { readOnly: true })\` with \`query(q, 10)\`. ` +
      'raw: hnswlib-node m 16, efConstruction 200, ef 100, built by addPoint → writeIndexSync, queried after ' +
      'readIndexSync. Query arrays for hnswlib are converted before its clock starts.',
    `- Each query job is a fresh process; ${cfg.reps} pairs, alternating which engine goes first; medians below, ` +
      'every run further down. open → first result counts from just before open; spawn → first adds Node ' +
      'start-up and module loading. Total wall = open + all queries, back to back.',
    `- The writer job (ingest everything, then, while the graph builds, a 1 ms timer, \`branch()\` and a ` +
      `10-vector ingest, each the process's first) runs in ${cfg.writerRuns ?? 1} fresh process(es); the writer ` +
      'rows are their medians, every run further down.',
    '',
  ];

  const rows = [];
  for (const s of res.sizes) {
    const label = sizeLabel(s.n);
    const bo = s.buildOurs;
    const br = s.buildRaw;
    const qo = s.query.ours;
    const qr = s.query.raw;
    const cell = (r, fn) => (ok(r) ? fn(r) : `failed: ${String(failure(r)).split('\n').pop()}`);
    const qcell = (qm, fn) => (qm ? fn(qm) : 'failed');
    rows.push([
      'build (ours: create → ingest → close; raw: add → write)',
      label,
      cell(bo, (r) => fmtMs(r.totalMs)),
      cell(br, (r) => fmtMs(r.totalMs)),
      fmtRatio(s.ratios.build),
      ...tcells(s.n, 'build'),
    ]);
    rows.push([
      '  of which close() / writeIndexSync',
      label,
      cell(bo, (r) => fmtMs(r.closeMs)),
      cell(br, (r) => fmtMs(r.saveMs)),
      '',
      '',
      '',
    ]);
    rows.push([
      'file size',
      label,
      cell(
        bo,
        (r) =>
          `${fmtBytes(r.fileSize)} (graph segment ${r.hasGraph ? fmtBytes(r.segmentBytes[GRAPH_SEG]) : 'none'})`,
      ),
      cell(br, (r) => fmtBytes(r.fileSize)),
      ok(bo) && ok(br) ? fmtRatio(bo.fileSize / br.fileSize) : 'n/a',
      '',
      '',
    ]);
    // A fast build that saved no usable graph moved the work to whoever opens the file next.
    rows.push([
      'graph ready after a read-only reopen (waitForIndex)',
      label,
      cell(bo, (r) => {
        const e = r.engineWhenReady ?? {};
        const why = e.rebuildReason ?? r.engineAtReopen?.rebuildReason;
        return `${fmtMs(r.graphReadyAfterReopenMs)} (${e.index}, ${fmtNum(e.indexedVectors)} vectors${why ? `; ${why}` : ''})`;
      }),
      cell(br, () => 'readIndexSync (open row)'),
      '',
      '',
      '',
    ]);
    const qrow = (title, key, fmt, ratioKey, target) =>
      rows.push([
        title,
        label,
        qcell(qo, (x) => fmt(x[key])),
        qcell(qr, (x) => fmt(x[key])),
        ratioKey ? fmtRatio(s.ratios[ratioKey]) : fmtRatio(ratio(qo?.[key], qr?.[key])),
        ...(target ? tcells(s.n, target) : ['', '']),
      ]);
    qrow('cold query p50', 'p50', fmtMs, 'p50', 'p50');
    qrow('cold query p99', 'p99', fmtMs, 'p99');
    qrow('open (open / readIndexSync)', 'openMs', fmtMs);
    qrow('open → first result', 'firstMs', fmtMs, 'firstMs', 'open→first');
    qrow('spawn → first result', 'spawnToFirstMs', fmtMs);
    qrow(`total wall (open + ${cfg.nq} queries)`, 'totalWallMs', fmtMs, 'totalWallMs', 'total wall');
    rows.push([
      'recall@10',
      label,
      qcell(qo, (x) => fmtRecall(x.recall)),
      qcell(qr, (x) => fmtRecall(x.recall)),
      '',
      ...tcells(s.n, 'recall'),
    ]);
    rows.push([
      'answered by exact scan / by the saved graph walked by rvfjs (of which in WebAssembly); first hnswlib query # (per run)',
      label,
      qcell(
        qo,
        (x) =>
          `${fmtNum(x.exactAnswers)} / ${fmtNum(x.walkedAnswers ?? 0)} (${fmtNum(x.wasmAnswers ?? 0)}) of ${fmtNum(cfg.nq)}; first hnswlib ${x.firstHnswIndex.map((i) => (i === null ? 'never' : `#${i}`)).join(', ')}`,
      ),
      qcell(qr, () => 'graph from the start'),
      '',
      '',
      '',
    ]);
    qrow('RSS at end (MiB)', 'rssMb', (x) => fmtNum(x, 0));
  }

  const w = res.writerStall;
  const wl = res.sizes[1] ? sizeLabel(res.sizes[1].n) : '';
  const wn = res.sizes[1]?.n;
  const wcell = (fn) =>
    ok(w)
      ? fn(w)
      : `failed: ${String(failure(w) ?? 'not run')
          .split('\n')
          .pop()}`;
  rows.push([
    'writer: max event-loop stall',
    wl,
    wcell((x) => `${fmtMs(x.maxStallMs)} (p99 ${fmtMs(x.p99StallMs)})`),
    '—',
    '',
    ...tcells(wn, 'max stall'),
  ]);
  rows.push(['writer: branch()', wl, wcell((x) => fmtMs(x.branchMs)), '—', '', ...tcells(wn, 'branch')]);
  // (Each writer row is the median of the writer runs; see "Every writer run".)
  rows.push([
    'writer: ingestBatch(10 vectors)',
    wl,
    wcell((x) => fmtMs(x.ingest10Ms)),
    '—',
    '',
    ...tcells(wn, 'ingest10'),
  ]);
  rows.push([
    'writer: close() after the window',
    wl,
    wcell(
      (x) =>
        `${fmtMs(x.closeMs)} (window ${fmtMs(x.windowMs)}, graph ${x.engineAtWindowEnd?.index} ` +
        `${fmtNum(x.engineAtWindowEnd?.indexedVectors)}/${fmtNum(wn + 10)}; then the branch child's ` +
        `close() ${fmtMs(x.childCloseMs)})`,
    ),
    '—',
    '',
    '',
    '',
  ]);
  const inc = res.incremental;
  const icell = (fn) =>
    ok(inc)
      ? fn(inc)
      : `failed: ${String(failure(inc) ?? 'not run')
          .split('\n')
          .pop()}`;
  rows.push([
    'incremental: close() after ingesting 10',
    wl,
    icell((x) => fmtMs(x.closeMs)),
    '—',
    '',
    ...tcells(wn, 'incremental close'),
  ]);
  rows.push([
    'incremental: bytes beyond vectors + metadata',
    wl,
    icell(
      (x) =>
        `${fmtBytes(x.overheadBytes)} (appended ${fmtBytes(x.appendedBytes)}, data ${fmtBytes(x.dataBytes)}; new: ${
          Object.entries(x.newBytesByType)
            .map(([k, v]) => `${k} ${fmtBytes(v)}`)
            .join(', ') || 'none'
        })`,
    ),
    '—',
    '',
    ...tcells(wn, 'incremental overhead'),
  ]);
  const mem = res.memory;
  if (mem.notRun) rows.push(['memory 1M×128 (RSS, index loaded)', '1M', mem.notRun, '', '', '', '']);
  else
    rows.push([
      'memory 1M×128 (RSS, index loaded)',
      '1M',
      ok(mem.ours)
        ? `${fmtNum(mem.ours.rssMb)} MiB (graph ready ${fmtMs(mem.ours.readyMs)} after open)`
        : `failed: ${failure(mem.ours)}`,
      ok(mem.raw)
        ? `${fmtNum(mem.raw.rssMb)} MiB (readIndexSync ${fmtMs(mem.raw.readyMs)})`
        : `failed: ${failure(mem.raw)}`,
      ok(mem.ours) && ok(mem.raw) ? fmtRatio(mem.ours.rssMb / mem.raw.rssMb) : 'n/a',
      '',
      '',
    ]);

  const passed = targets.filter((x) => x.pass).length;
  lines.push(mdTable(['', 'n', 'ours', 'raw hnswlib', 'ours/raw', 'target', 'result'], rows));
  lines.push('', `Targets: **${passed} PASS, ${targets.length - passed} MISS** of ${targets.length}.`, '');

  lines.push('### Every query run', '');
  const runRows = [];
  for (const s of res.sizes)
    for (const r of s.queryRuns)
      runRows.push(
        r.error
          ? [sizeLabel(s.n), r.rep, r.order, r.engine, `failed: ${String(r.error).split('\n').pop()}`]
          : [
              sizeLabel(s.n),
              r.rep,
              r.order,
              r.engine,
              fmtMs(r.openMs),
              fmtMs(r.firstMs),
              fmtMs(r.spawnToFirstMs),
              fmtMs(r.p50),
              fmtMs(r.p99),
              fmtMs(r.totalWallMs),
              fmtRecall(r.recall),
              r.engineRuns.map(([e, c]) => `${e}×${c}`).join(' → '),
              fmtNum(r.rssMb),
            ],
      );
  lines.push(
    mdTable(
      [
        'n',
        'run',
        'order',
        'engine',
        'open',
        'open→first',
        'spawn→first',
        'p50',
        'p99',
        'total wall',
        'recall@10',
        'answers (in order)',
        'RSS MiB',
      ],
      runRows,
    ),
    '',
  );

  const writerRuns = res.writerStall?.runs ?? [];
  if (writerRuns.length > 0) {
    lines.push('### Every writer run (the writer rows above are their medians)', '');
    lines.push(
      mdTable(
        ['run', 'max stall', 'p99 stall', 'branch()', 'ingestBatch(10)', 'close()', "branch child's close()"],
        writerRuns.map((r, i) =>
          ok(r)
            ? [
                i + 1,
                fmtMs(r.maxStallMs),
                fmtMs(r.p99StallMs),
                fmtMs(r.branchMs),
                fmtMs(r.ingest10Ms),
                fmtMs(r.closeMs),
                fmtMs(r.childCloseMs),
              ]
            : [
                i + 1,
                `failed: ${String(failure(r) ?? 'not run')
                  .split('\n')
                  .pop()}`,
              ],
        ),
      ),
      '',
    );
  }

  lines.push('### What build-ours left in the file (bytes by segment type, headers included)', '');
  const segRows = [];
  for (const s of res.sizes) {
    if (!ok(s.buildOurs)) continue;
    const total = s.buildOurs.fileSize;
    for (const [type, bytes] of Object.entries(s.buildOurs.segmentBytes).sort((a, b) => b[1] - a[1]))
      segRows.push([sizeLabel(s.n), type, fmtBytes(bytes), `${((bytes / total) * 100).toFixed(1)} %`]);
  }
  lines.push(mdTable(['n', 'segment type', 'bytes', 'of file'], segRows), '');
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------ entry

/**
 * Runs the section; `tmp` is the run's scratch directory, `log` its progress logger and
 * `sampleLoad` its load sampler. Returns { results, markdown } and writes cold-start.{json,md}.
 */
export function coldStartSection({
  quick = false,
  full = false,
  argv = [],
  tmp,
  keep = false,
  log,
  sampleLoad,
}) {
  const cfg = configFor({ quick, full, argv });
  const dir = join(tmp, 'coldstart');
  mkdirSync(dir, { recursive: true });
  const ctx = { cfg, dir, keep, log: log ?? (() => {}), sampleLoad: sampleLoad ?? (() => {}) };
  const T0 = performance.now();
  const res = { machine: machineInfo(), config: cfg, sizes: [] };
  cfg.sizes.forEach((n, i) => {
    const s = sizeSection(ctx, n, cfg.seedBase + i, i === cfg.sizes.length - 1);
    res.writerStall ??= s.writerStall;
    res.incremental ??= s.incremental;
    delete s.writerStall;
    delete s.incremental;
    res.sizes.push(s);
  });
  res.memory = cfg.memory
    ? memorySection(ctx)
    : { notRun: 'not run (only with --full or --coldstart-1m: 1M-vector builds take long)' };
  res.machine.loadavgAfter = loadavg();
  res.totalMs = performance.now() - T0;
  res.targets = evaluateTargets(res);
  const markdown = renderMarkdown(res);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'cold-start.json'), `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, 'cold-start.md'), markdown);
  ctx.log(`cold start done in ${fmtMs(res.totalMs)}; wrote ${RESULTS_DIR}/cold-start.{json,md}`);
  return { results: res, markdown };
}
