// Markdown report: one or more tables per section, with every number taken from the results.
import { fmtBytes, fmtMs, fmtNum, fmtRecall, mdTable, median } from './stats.mjs';

const pct = (a, b) => (a === undefined || !b ? 'n/a' : `${((a / b) * 100).toFixed(3)} %`);
const blank = (n) => Array.from({ length: n }, () => '');
const ratio = (a, b) => (a === undefined || b === undefined || !b ? 'n/a' : `${(a / b).toFixed(2)}×`);
const rate = (n, ms) => (ms ? fmtNum((n * 1000) / ms) : 'n/a');
const failed = (r) => r === undefined || r.error || r.timedOut || r.skipped;
const why = (r) =>
  r === undefined
    ? 'not run'
    : r.skipped
      ? r.skipped
      : r.timedOut
        ? `killed at the ${((r.capMs ?? 0) / 1000).toFixed(0)} s cap`
        : `error: ${String(r.error).split('\n').slice(-1)[0]}`;

function minMax(list) {
  if (!list || list.length === 0) return 'n/a';
  return `${fmtMs(median(list))} (${fmtMs(Math.min(...list))}–${fmtMs(Math.max(...list))})`;
}

function recallCell(r) {
  if (!r || r.recall === undefined) return 'n/a';
  let s = fmtRecall(r.recall);
  if (r.invalid) s += ` (${r.invalid} invalid ids!)`;
  if (r.short) s += ` (${r.short} short lists)`;
  return s;
}

function header(results) {
  const m = results.machine;
  const lines = [
    '# rvfjs benchmark',
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, ${m.platform}; Node ${m.node}`,
    `- Run: ${m.date}, mode **${results.config.mode}**, commit ${m.commit}, total run time **${fmtMs(results.totalMs)}**`,
    results.load
      ? `- Machine load (1-min load average, sampled before each of ${results.load.samples} child processes): first ${results.load.first.toFixed(2)}, median ${results.load.median.toFixed(2)}, max ${results.load.max.toFixed(2)} on ${results.load.cores} cores` +
        (results.load.max > results.load.cores * 0.75
          ? ' — **other work was running on this machine during the run; timings are noisier than on an idle machine**'
          : '')
      : '',
    `- Versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
    '- Every engine runs in its own child process (one per job); latencies are single-threaded, sequential, k = 10, ' +
      `after ${results.config.warm} warm-up queries, over ${results.config.nq} held-out queries. ` +
      'p50/p99 are nearest-rank percentiles of per-query wall time; QPS = queries / loop wall time. ' +
      'Files live in the OS temp directory (page cache warm: each file was just written).',
    '',
  ];
  return lines.join('\n');
}

// ------------------------------------------------------------------ section 1

function ingestMd(s, cfg) {
  const out = [
    '## 1. Ingest / open (issue: runtime)',
    '',
    `Data: ${s.data} (U[-1, 1), seed 11), ${fmtNum(s.n)} vectors in batches of ${fmtNum(s.batch)}, ids 0..n-1.`,
    '',
  ];
  const n = s.n;
  const rows = [];
  const add = (label, timed, r, ms) =>
    rows.push(
      failed(r)
        ? [label, timed, why(r), '', '']
        : [label, timed, fmtMs(ms), rate(n, ms), fmtBytes(r.fileSize)],
    );
  add(
    'ours, append-only (`indexThreshold: Infinity`), no metadata',
    'ingestBatch calls',
    s.oursAppend,
    s.oursAppend?.ingestMs,
  );
  add(
    'ours, index maintained (default), no metadata',
    'ingestBatch calls (graph catches up in the background, also during their I/O)',
    s.oursIndexed,
    s.oursIndexed?.ingestMs,
  );
  add(
    'ours, index maintained (default), no metadata',
    'ingestBatch calls + waitForIndex (graph complete)',
    s.oursIndexed,
    (s.oursIndexed?.ingestMs ?? 0) + (s.oursIndexed?.waitMs ?? 0),
  );
  add(
    'reference, no metadata (append-only; graph built inside its first query)',
    'ingestBatch calls',
    s.ref,
    s.ref?.ingestMs,
  );
  add('ours, append-only, metadata `{cat}`', 'ingestBatch calls', s.oursMeta, s.oursMeta?.ingestMs);
  add(
    'reference, metadata `{fieldId 0, u64}` (kept in memory only)',
    'ingestBatch calls',
    s.refMeta,
    s.refMeta?.ingestMs,
  );
  out.push(
    '### Ingest throughput',
    '',
    mdTable(['store', 'what is timed', 'time', 'vectors/s', 'file size'], rows),
    '',
  );

  const o = s.open ?? {};
  const openRow = (label, r, file, note) =>
    failed(r)
      ? [label, fmtBytes(file), why(r), '', '', note]
      : [label, fmtBytes(file), fmtMs(r.openMs), fmtMs(r.spawnToResultMs), `${fmtNum(r.rssMb)} MB`, note];
  const engineNote = (r) => {
    const e = r?.engineAtOpen;
    if (!e) return '';
    return `engine at open: index=${e.index}, indexed ${fmtNum(e.indexedVectors)}${e.rebuildReason ? `, "${e.rebuildReason}"` : ''}`;
  };
  out.push(
    `### Open, fresh process (median of ${cfg.freshReps})`,
    '',
    'Measured inside a freshly spawned `node`: from just before `open` to its return (read-only). ' +
      '"spawn → returned" adds Node startup and module loading, timed from the parent.',
    '',
    mdTable(
      ['store', 'file size', 'open (in child)', 'spawn → returned', 'RSS after open', 'note'],
      [
        openRow(
          'ours, append-only file (no saved graph)',
          o.oursAppend,
          s.oursAppend?.fileSize,
          `${engineNote(o.oursAppend)}${o.oursAppend?.engineAtOpen?.index === 'building' ? ' — the read-only open started building a graph in the background' : ''}`,
        ),
        openRow(
          'ours, saved HNSW graph (index maintained)',
          o.oursIndexed,
          s.oursIndexed?.fileSize,
          engineNote(o.oursIndexed),
        ),
        openRow(
          'reference `openReadonly` (never queried: no INDEX_SEG)',
          o.ref,
          s.ref?.fileSize,
          'never queried before close, so the file has no INDEX_SEG',
        ),
      ],
    ),
    '',
  );

  const lat = (label, r, note) =>
    !r?.summary
      ? [label, 'n/a', 'n/a', 'n/a', 'n/a', note]
      : [
          label,
          fmtMs(r.summary.p50),
          fmtMs(r.summary.p99),
          fmtNum(r.summary.qps),
          recallCell(r.recall),
          note,
        ];
  out.push(
    `### Exact-scan query latency at ${fmtNum(n)}×128 (k = 10)`,
    '',
    mdTable(
      ['what', 'p50', 'p99', 'QPS', 'recall@10', 'what it is'],
      [
        lat(
          '@rvfjs/index `exactSearch`',
          s.oursAppend?.kernel,
          'the scan kernel alone over a Float32Array (no store, no ids)',
        ),
        lat(
          "ours `query(v, 10, { plan: 'exact' })`",
          s.oursAppend?.exact,
          `full store query path, no filter (engine: ${s.oursAppend?.exactEngine ?? 'n/a'})`,
        ),
        lat(
          "ours `query(v, 10, { filter: F.lt('cat', 10), plan: 'exact', includeMetadata: false })`",
          s.oursMeta?.filterAll,
          `filter matching every vector: candidates from the metadata index + per-vector filter check (engine: ${s.oursMeta?.filterAllEngine ?? 'n/a'})`,
        ),
        lat(
          'reference `query(v, 10, { filter: range cat 0..10 })`',
          s.refMeta?.filterAll,
          s.refMeta?.filterAllFirstMs === undefined
            ? 'n/a'
            : `filter matching every vector = its exact filtered scan; its first such query took ${fmtMs(s.refMeta.filterAllFirstMs)} (no lazy graph build on the filtered path)`,
        ),
      ],
    ),
    '',
    'Same store contents and metadata for the two filtered rows (the fair pair); the unfiltered rows show the scan without filter overhead. ' +
      'The reference exposes no unfiltered exact scan above its 1024-vector HNSW threshold.',
    '',
  );
  return out.join('\n');
}

// ------------------------------------------------------------------ section 2

function buildCell(engine, e) {
  if (engine === 'ours')
    return `${fmtMs(e.buildMs)} (ingest ${fmtMs(e.ingestMs)} + waitForIndex ${fmtMs(e.waitMs)})`;
  if (engine === 'ref')
    return `${fmtMs(e.buildMs)} (ingest ${fmtMs(e.ingestMs)} + first query ${fmtMs(e.firstQueryMs)})`;
  return `${fmtMs(e.buildMs)} (addPoint loop)`;
}

function segBreakdown(seg) {
  if (!seg) return '';
  return Object.entries(seg)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmtBytes(v)}`)
    .join(', ');
}

function annDatasetMd(d, cfg) {
  const out = [`### ${d.name} (${fmtNum(d.n)} vectors, ${d.nq} queries)`, ''];
  const rows = [];
  const names = {
    ours: 'ours (defaults: M 16, efC 200, ef 100)',
    hnswlib: 'raw hnswlib-node (M 16, efC 200, ef 100)',
    ref: 'reference rvf-node (defaults)',
  };
  for (const engine of ['ours', 'hnswlib', 'ref']) {
    const e = d.engines[engine];
    if (failed(e)) {
      rows.push([names[engine], why(e), '', '', '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const f = e.fresh;
    const freshCells = failed(f)
      ? [why(f), '', '', '']
      : [
          `${fmtMs(f.firstMs)} (open ${fmtMs(f.openMs)})`,
          fmtMs(f.spawnToResultMs),
          `${fmtNum(f.rssMb)} MB`,
          recallCell(f.recallAfterReopen),
        ];
    rows.push([
      names[engine],
      buildCell(engine, e),
      fmtMs(e.def?.p50),
      fmtMs(e.def?.p99),
      fmtNum(e.def?.qps),
      recallCell(e.def),
      fmtMs(e.filtered?.p50),
      recallCell(e.filtered),
      fmtBytes(e.fileSize),
      ...freshCells,
    ]);
    // Variant rows: a label and either unfiltered or filtered figures, the rest blank.
    const unfiltered = (label, r) =>
      rows.push([label, '″', fmtMs(r.p50), fmtMs(r.p99), fmtNum(r.qps), recallCell(r), ...blank(7)]);
    const filtered = (label, r) =>
      rows.push([label, '″', ...blank(4), fmtMs(r.p50), recallCell(r), ...blank(5)]);
    if (engine === 'hnswlib' && e.defConv)
      unfiltered('raw hnswlib-node, query given as Float32Array (`Array.from` per query, timed)', e.defConv);
    if (engine === 'ours' && e.noMeta) unfiltered('ours, `includeMetadata: false`', e.noMeta);
    if (engine === 'ours' && e.filteredExact)
      filtered("ours, filter with `plan: 'exact'` (scan of the filter's candidates)", e.filteredExact);
    if (engine === 'ours' && e.filteredHnsw)
      filtered("ours, filter with `plan: 'hnsw'` (forced graph walk)", e.filteredHnsw);
  }
  rows.push([
    'exact scan (`exactSearch`, @rvfjs/index)',
    'none',
    fmtMs(d.exact.latency.p50),
    fmtMs(d.exact.latency.p99),
    fmtNum(d.exact.latency.qps),
    '1.0000 (ground truth)',
    fmtMs(d.exact.filteredLatency.p50),
    '1.0000',
    `${fmtBytes(d.rawVectorBytes)} (raw vectors)`,
    '',
    '',
    '',
    '',
  ]);
  out.push(
    mdTable(
      [
        'engine',
        'build',
        'p50',
        'p99',
        'QPS',
        'recall@10',
        'filtered p50 (cat = 3, 10 %)',
        'filtered recall@10',
        'file size',
        `open → first result, in child (median ×${cfg.freshReps})`,
        'spawn → first result',
        'RSS after first result',
        'recall@10 after reopen',
      ],
      rows,
    ),
    '',
  );
  const notes = [];
  const o = d.engines.ours;
  if (!failed(o)) {
    notes.push(
      `ours: unfiltered queries answered by \`${o.defEngine}\`; filtered (plan auto) by \`${o.filteredEngine}\`; ` +
        `close() ${fmtMs(o.closeMs)} (persists the graph); worker RSS ${fmtNum(o.workerRssMb)} MB.` +
        (o.fresh?.segmentBytes ? ` File by segment type: ${segBreakdown(o.fresh.segmentBytes)}.` : ''),
    );
    if (o.fresh?.engineAtOpen)
      notes.push(
        `ours after a fresh read-only open: index=${o.fresh.engineAtOpen.index}${o.fresh.engineAtOpen.rebuildReason ? ` ("${o.fresh.engineAtOpen.rebuildReason}")` : ''}, first query by \`${o.fresh.firstEngine}\`.`,
      );
  }
  const h = d.engines.hnswlib;
  if (!failed(h))
    notes.push(
      `raw hnswlib: queries pre-converted to plain arrays (outside timing); filtered = \`searchKnn(q, 10, label => label % 10 === 3)\`; ` +
        `file = \`writeIndexSync\` output (vectors + graph + labels; raw vectors alone are ${fmtBytes(d.rawVectorBytes)}).`,
    );
  const r = d.engines.ref;
  if (!failed(r)) {
    notes.push(
      `reference: build includes its first query, which builds the whole graph (${fmtMs(r.firstQueryMs)}); its filtered queries are exact scans over the matching vectors (metadata is in memory only: after a reopen they return nothing). close() ${fmtMs(r.closeMs)}.` +
        (r.fresh?.segmentBytes ? ` File by segment type: ${segBreakdown(r.fresh.segmentBytes)}.` : ''),
    );
    if (!failed(r.fresh)) {
      const q1 = r.fresh.firstMs - r.fresh.openMs;
      const rebuilt = q1 > 0.1 * r.firstQueryMs;
      notes.push(
        `reference fresh process: openReadonly ${fmtMs(r.fresh.openMs)}, first query after it ${fmtMs(q1)} ` +
          (rebuilt
            ? `— comparable to its in-session graph build (${fmtMs(r.firstQueryMs)}): a rebuild.`
            : `vs ${fmtMs(r.firstQueryMs)} for its in-session build: it used the INDEX_SEG written by close() (the store had been queried), not a rebuild.`),
      );
    }
  }
  if (notes.length) out.push(...notes.map((x) => `- ${x}`), '');

  const sweepRows = [];
  const efs = new Set([...(o?.sweep ?? []), ...(h?.sweep ?? [])].map((s) => s.ef));
  for (const ef of [...efs].sort((a, b) => a - b)) {
    const so = o?.sweep?.find((s) => s.ef === ef);
    const sh = h?.sweep?.find((s) => s.ef === ef);
    sweepRows.push([
      ef,
      fmtMs(so?.p50),
      recallCell(so),
      fmtMs(sh?.p50),
      recallCell(sh),
      so?.p50 && sh?.p50 ? ratio(so.p50, sh.p50) : 'n/a',
    ]);
  }
  if (sweepRows.length)
    out.push(
      `efSearch sweep (ours with \`includeMetadata: false\`; hnswlib \`setEf\`):`,
      '',
      mdTable(
        ['ef', 'ours p50', 'ours recall@10', 'hnswlib p50', 'hnswlib recall@10', 'ours / hnswlib p50'],
        sweepRows,
      ),
      '',
    );
  if (d.writes) {
    const w = d.writes;
    out.push(
      `Filtered queries (cat = 3) between writes, ours on a copy of the store: p50 ${fmtMs(w.afterWrite.p50)} (p99 ${fmtMs(w.afterWrite.p99)}) when each query follows a 10-vector ingest with metadata (the ingest, ${fmtMs(w.writeMs)} on average, not timed), against ${fmtMs(w.alone.p50)} with no writes = ${ratio(w.afterWrite.p50, w.alone.p50)}; answered by \`${w.engine}\`. The metadata index takes in each write instead of being rebuilt.`,
      '',
    );
  }
  const qr = roundsSummary(d);
  if (qr) {
    const rows = qr.rounds.map((r, i) => [
      i + 1,
      i % 2 === 0 ? 'ours' : 'hnswlib',
      fmtMs(r.ours),
      fmtMs(r.oursNoMeta),
      fmtMs(r.hnswlib),
      ratio(r.ours, r.hnswlib),
      ratio(r.oursNoMeta, r.hnswlib),
    ]);
    rows.push([
      'median',
      '',
      fmtMs(qr.ours),
      fmtMs(qr.oursNoMeta),
      fmtMs(qr.hnswlib),
      ratio(qr.ours, qr.hnswlib),
      ratio(qr.oursNoMeta, qr.hnswlib),
    ]);
    out.push(
      `Query rounds: p50 in ${qr.rounds.length} pairs of short processes, ours and raw hnswlib alternating (which one starts a pair alternates too), each on the index its build job saved: ours reopened read-only after \`waitForIndex()\`, hnswlib from \`readIndexSync\`. Same warm-up and queries as above. Recall@10 in every round: ours ${qr.recallOurs}, hnswlib ${qr.recallHnswlib}.`,
      '',
      mdTable(
        [
          'round',
          'first',
          'ours p50',
          'ours p50, no metadata',
          'hnswlib p50',
          'ours / hnswlib',
          'no metadata / hnswlib',
        ],
        rows,
      ),
      '',
    );
  }
  return out.join('\n');
}

/** Medians over the alternating query rounds, or undefined when they did not run. */
function ratioRange(rounds) {
  const r = rounds.map((x) => x.ours / x.hnswlib);
  return `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}×`;
}

function roundsSummary(d) {
  const q = d.queryRounds;
  if (!q?.ours?.length || !q.hnswlib?.length) return undefined;
  const n = Math.min(q.ours.length, q.hnswlib.length);
  const rounds = [];
  for (let i = 0; i < n; i++)
    rounds.push({ ours: q.ours[i].p50, oursNoMeta: q.oursNoMeta[i]?.p50, hnswlib: q.hnswlib[i].p50 });
  const recalls = (list) => {
    const r = list.map((x) => x.recall);
    return Math.min(...r) === Math.max(...r)
      ? fmtRecall(r[0])
      : `${fmtRecall(Math.min(...r))}–${fmtRecall(Math.max(...r))}`;
  };
  return {
    rounds,
    ours: median(rounds.map((r) => r.ours)),
    oursNoMeta: median(rounds.map((r) => r.oursNoMeta).filter((x) => x !== undefined)),
    hnswlib: median(rounds.map((r) => r.hnswlib)),
    recallOurs: recalls(q.ours),
    recallHnswlib: recalls(q.hnswlib),
  };
}

function targetsMd(d) {
  const o = d.engines.ours;
  const h = d.engines.hnswlib;
  if (failed(o)) return `Targets: not evaluated (${why(o)}).\n`;
  const rows = [];
  const row = (name, measured, pass) =>
    rows.push([name, measured, pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS']);
  row('recall@10 ≥ 0.95 at defaults', fmtRecall(o.def?.recall), o.def?.recall >= 0.95);
  const qr = roundsSummary(d);
  const inBuild = `${fmtMs(o.def?.p50)} vs ${fmtMs(h?.def?.p50)} = ${ratio(o.def?.p50, h?.def?.p50)} (without metadata: ${ratio(o.noMeta?.p50, h?.def?.p50)})`;
  if (qr)
    row(
      'query p50 ≤ 1.2× raw hnswlib-node p50',
      `median of ${qr.rounds.length} alternating rounds: ${fmtMs(qr.ours)} vs ${fmtMs(qr.hnswlib)} = ${ratio(qr.ours, qr.hnswlib)} (without metadata: ${ratio(qr.oursNoMeta, qr.hnswlib)}; per round ${ratioRange(qr.rounds)}); in the build processes: ${inBuild}`,
      qr.ours <= 1.2 * qr.hnswlib,
    );
  else if (!failed(h))
    row(
      'query p50 ≤ 1.2× raw hnswlib-node p50',
      `${inBuild}; vs hnswlib incl. Array.from of the query: ${ratio(o.def?.p50, h.defConv?.p50)}`,
      o.def?.p50 <= 1.2 * h.def?.p50,
    );
  else row('query p50 ≤ 1.2× raw hnswlib-node p50', why(h), undefined);
  row(
    'open → first result in a fresh process ≤ 40 ms',
    failed(o.fresh)
      ? why(o.fresh)
      : `${fmtMs(o.fresh.firstMs)} in child (${fmtMs(o.fresh.spawnToResultMs)} from spawn, incl. Node startup)`,
    failed(o.fresh) ? undefined : o.fresh.firstMs <= 40,
  );
  row(
    'filtered p50 at 10 % ≤ 0.5 ms with recall ≥ 0.99',
    `${fmtMs(o.filtered?.p50)}, recall ${fmtRecall(o.filtered?.recall)}`,
    o.filtered?.p50 <= 0.5 && o.filtered?.recall >= 0.99,
  );
  if (!failed(h))
    row(
      'file size ≤ raw vectors + graph (hnswlib index file)',
      `${fmtBytes(o.fileSize)} vs ${fmtBytes(h.fileSize)} (${ratio(o.fileSize, h.fileSize)})`,
      o.fileSize <= h.fileSize,
    );
  return [`**Targets (${d.name})**`, '', mdTable(['target', 'measured', 'result'], rows), ''].join('\n');
}

function annMd(s, cfg) {
  const out = [
    '## 2. ANN (issue: index)',
    '',
    'Synthetic: seeded; "clustered" = 100 Gaussian blobs (centres N(0,1), σ 0.3), "uniform" = U[-1, 1); queries are 200 held-out vectors of the same distribution. ' +
      'Metadata `cat = id % 10`; filtered queries ask `cat = 3` (10 % of vectors). recall@10 counts a returned id when its true distance is within the 10th true distance.',
    '',
  ];
  const target = s.datasets.find((d) => d.name.startsWith('clustered'));
  for (const d of s.datasets) {
    out.push(annDatasetMd(d, cfg));
    if (d === target) out.push(targetsMd(d));
  }
  if (s.fashionNote) out.push(`_${s.fashionNote}_`, '');
  out.push('Plot: `results/recall-latency.svg` (recall@10 vs p50 latency, one panel per data set).', '');
  return out.join('\n');
}

// ------------------------------------------------------------------ section 3

function branchMd(s, cfg) {
  const out = [
    '## 3. Branches (issue: branches)',
    '',
    'Parents: U[-1, 1) × 128, seed 11; ours with its graph saved (default settings), the reference as ingested.',
    '',
  ];
  const rows = s.sizes.map((r) => [
    fmtNum(r.n),
    r.ours.error ? r.ours.error : minMax(r.ours.times),
    r.ref.error ? r.ref.error : minMax(r.ref.times),
    fmtBytes(r.ours.childSize),
    fmtBytes(r.ref.childSize),
    r.ours.childEngine
      ? `${r.ours.childEngine.index} (${fmtNum(r.ours.childEngine.indexedVectors)} indexed)`
      : 'n/a',
  ]);
  out.push(
    `### branch() time (median, min–max of ${cfg.branchReps})`,
    '',
    mdTable(
      [
        'parent vectors',
        'ours `parent.branch(child)`',
        'reference `db.branch(child)`',
        'ours child file',
        'reference child file',
        "ours child's graph right after branch()",
      ],
      rows,
    ),
    '',
    `The page cache is written out (\`sync\`) before each engine's timed calls, so that neither waits behind the writeback of files the bench wrote just before. ` +
      `Ours: each repetition in a fresh process (parent opened read-write and its graph loaded, branch code warmed on a scratch store, then one untimed branch of the same parent); ` +
      `the child is left unclosed (its close() may wait for background graph work; measured below) and deleted. ` +
      `Reference: one process, parent opened read-write, one warm-up branch, then ${cfg.branchReps} timed (each child closed untimed).`,
    '',
  );

  const e = s.edits;
  if (e) {
    const row = (label, r) =>
      failed(r)
        ? [label, why(r), '', '', '', '', '', '']
        : [
            label,
            fmtBytes(r.parentSizeBefore),
            `${fmtNum(r.childSizeAfterEdits)} B (${pct(r.childSizeAfterEdits, r.parentSizeBefore)})`,
            `${fmtNum(r.childSizeAfterClose)} B (${pct(r.childSizeAfterClose, r.parentSizeBefore)})`,
            fmtMs(r.branchMs),
            fmtMs(r.editMs),
            fmtMs(r.childCloseMs),
            r.childStatus ? `${fmtNum(r.childStatus.totalVectors)} visible` : '',
          ];
    out.push(
      `### Child file after 100 upserts (50 overriding inherited ids, 50 new) + 50 deletes of inherited ids, ${fmtNum(e.n)}×128 parent`,
      '',
      mdTable(
        [
          'engine',
          'parent file',
          'child after edits',
          'child after close()',
          'branch()',
          'edits',
          'child close()',
          'child status',
        ],
        [row('ours', e.engines.ours), row('reference', e.engines.ref)],
      ),
      '',
    );
    out.push(
      "Here branch() is the first call in a fresh process, right after the parent's open (ours: while the parent's graph loads in the background, with nothing warmed up; see the table above for warm calls).",
      '',
    );
    const o = e.engines.ours;
    if (!failed(o) && o.childSizeAfterClose > o.childSizeAfterEdits)
      out.push(
        `- ours: close() (${fmtMs(o.childCloseMs)}) grew the child by ${fmtBytes(o.childSizeAfterClose - o.childSizeAfterEdits)}: ` +
          `the child saves an HNSW graph of its own covering its ${fmtNum(o.childStatus?.totalVectors)} visible vectors ` +
          `(graph at the time of the edits: ${o.childEngineAfterEdits?.index ?? 'n/a'}, ${fmtNum(o.childEngineAfterEdits?.indexedVectors)} indexed).`,
        '',
      );
    const r = e.engines.ref;
    if (!failed(r) && r.childSizeAfterClose > r.childSizeAfterEdits)
      out.push(
        `- reference: close() grew the child by ${fmtBytes(r.childSizeAfterClose - r.childSizeAfterEdits)} (INDEX_SEG written because the child was queried).`,
        '',
      );
  }

  const qrows = [];
  for (const q of s.queries) {
    for (const engine of ['ours', 'ref']) {
      const r = q.engines[engine];
      const label = engine === 'ours' ? 'ours' : 'reference';
      if (failed(r)) {
        qrows.push([fmtNum(q.n), label, why(r), '', '', '', '', '', '']);
        continue;
      }
      if (r.queriesSkipped) {
        qrows.push([
          fmtNum(q.n),
          label,
          `skipped: its parent's and child's first queries each build a full graph single-threaded (minutes at ${fmtNum(q.n)}); run with --full`,
          '',
          '',
          '',
          '',
          '',
          '',
        ]);
        continue;
      }
      if (engine === 'ours')
        qrows.push([
          fmtNum(q.n),
          label,
          `${fmtMs(r.parent?.p50)} (${r.parentEngine})`,
          recallCell(r.parent),
          `${fmtMs(r.childNow?.p50)} (${r.childNowEngine}) = ${ratio(r.childNow?.p50, r.parent?.p50)}`,
          recallCell(r.childNow),
          `${fmtMs(r.childReady?.p50)} (${r.childReadyEngine}) = ${ratio(r.childReady?.p50, r.parent?.p50)}`,
          recallCell(r.childReady),
          `child waitForIndex took ${fmtMs(r.childWaitMs)}; parent again after the child: ${fmtMs(r.parentAgain?.p50)} (child = ${ratio(r.childReady?.p50, r.parentAgain?.p50)} of that)`,
        ]);
      else
        qrows.push([
          fmtNum(q.n),
          label,
          fmtMs(r.parent?.p50),
          recallCell(r.parent),
          'n/a (no query before its graph exists)',
          '',
          `${fmtMs(r.childReady?.p50)} = ${ratio(r.childReady?.p50, r.parent?.p50)}`,
          recallCell(r.childReady),
          `first query builds the graph: parent ${fmtMs(r.parentFirstQueryMs)}, child ${fmtMs(r.childFirstQueryMs)}; child p50 at exact-scan speed would be ≈ ${fmtMs(q.exactP50)}`,
        ]);
    }
  }
  if (qrows.length)
    out.push(
      `### Child query latency vs parent (p50 over ${cfg.nq} queries, k = 10, after the edits above)`,
      '',
      mdTable(
        [
          'parent vectors',
          'engine',
          'parent p50 (engine)',
          'parent recall@10',
          'child p50 right after branch + edits (engine) = × parent',
          'recall@10',
          'child p50, child graph complete = × parent',
          'recall@10',
          'notes',
        ],
        qrows,
      ),
      '',
      "Ours: the parent is queried once its graph has loaded (waitForIndex). Child recall is against an exact scan of the child's own visible set (overrides applied, deletes removed, new ids added).",
      '',
    );
  return out.join('\n');
}

export function renderMarkdown(results) {
  const cfg = results.config;
  const parts = [header(results)];
  const s = results.sections;
  if (s.ingest) parts.push(ingestMd(s.ingest, cfg));
  if (s.ann) parts.push(annMd(s.ann, cfg));
  if (s.branch) parts.push(branchMd(s.branch, cfg));
  return `${parts.join('\n')}\n`;
}
