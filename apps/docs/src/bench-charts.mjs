/**
 * The benchmark charts: each reads one committed result under bench/results/, turns it into
 * rows, and plots them (Vega-Lite, rendered to SVG at build time). Every chart carries the
 * machine, date and load of the run it shows, from the file itself (bench-provenance.mjs).
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { provenance } from './bench-provenance.mjs';
import { renderSvg } from './chart-svg.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r3 = (x) => Number(x.toPrecision(3));
const r4 = (x) => Number(x.toPrecision(4));
const sizeLabel = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

/** One engine's p50, p99 and recall@10 at one store size, as the bar charts' rows. */
const latencyAndRecall = (n, engine, r) => [
  { group: sizeLabel(n), engine, metric: 'p50 latency (ms)', value: r3(r.p50) },
  { group: sizeLabel(n), engine, metric: 'p99 latency (ms)', value: r3(r.p99) },
  { group: sizeLabel(n), engine, metric: 'recall@10', value: r4(r.recall) },
];

/** Bars per group (x), coloured by engine, one panel per metric, each with its own y scale. */
function facetBars({ rows, xTitle, sort }) {
  return {
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: null } },
    spec: {
      width: 170,
      height: 170,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'group', type: 'nominal', title: xTitle, sort: sort ?? null, axis: { labelAngle: 0 } },
        xOffset: { field: 'engine', type: 'nominal' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'engine', type: 'nominal', title: 'engine' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** Lines over store size (log scale), one per series. */
function linesOverSize({ rows, yTitle }) {
  return {
    data: { values: rows },
    width: 420,
    height: 240,
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, title: 'vectors in the store (128-d)' },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export const CHARTS = [
  {
    id: 'query-vs-hnswlib',
    file: 'cold-start.json',
    title: 'Query latency and recall: rvfjs vs raw hnswlib-node (k = 10, fresh process)',
    caption:
      'Median over 3 process pairs of 1,500 queries each, answered by a fresh process right after open (no warm-up). p99 includes the first queries, answered by an exact scan while the saved graph is laid out for the WebAssembly walk.',
    rows: (j) =>
      j.sizes.flatMap((s) =>
        [
          ['rvfjs', s.query.ours],
          ['raw hnswlib-node', s.query.raw],
        ].flatMap(([engine, q]) => latencyAndRecall(s.n, engine, q)),
      ),
    spec: (rows) => facetBars({ rows, xTitle: 'store size' }),
  },
  {
    id: 'query-vs-reference',
    file: 'branches.json',
    title: 'Query latency and recall: rvfjs vs the reference (@ruvector/rvf-node), parent store',
    caption:
      '200 queries on the parent store of the branch benchmark, each engine at its default search width; recall against exact float64 neighbours.',
    rows: (j) =>
      j.sections.branch.queries.flatMap((q) =>
        [
          ['rvfjs', q.engines.ours?.parent],
          ['reference', q.engines.ref?.parent],
        ]
          .filter(([, r]) => r)
          .flatMap(([engine, r]) => latencyAndRecall(q.n, engine, r)),
      ),
    spec: (rows) => facetBars({ rows, xTitle: 'store size' }),
  },
  {
    id: 'cold-start',
    file: 'cold-start.json',
    title: 'Cold start against store size: open, and first answer from process start',
    caption:
      'A fresh process imports the library, opens the store read-only and answers its first query. Medians of 3 runs.',
    rows: (j) =>
      j.sizes.flatMap((s) => [
        { n: s.n, series: 'rvfjs: open', value: r3(s.query.ours.openMs) },
        { n: s.n, series: 'rvfjs: spawn → first answer', value: r3(s.query.ours.spawnToFirstMs) },
        { n: s.n, series: 'hnswlib-node: open', value: r3(s.query.raw.openMs) },
        { n: s.n, series: 'hnswlib-node: spawn → first answer', value: r3(s.query.raw.spawnToFirstMs) },
      ]),
    spec: (rows) => linesOverSize({ rows, yTitle: 'milliseconds' }),
  },
  {
    id: 'cold-start-1m',
    file: 'cold-start-1m.json',
    title: 'Open time from 20k to 1M vectors (the run with the 1M memory row)',
    caption:
      'Open time for the 20k and 100k stores, and for the 1M store of the memory row; "ready" is when its saved graph is laid out and checked for the WebAssembly walk (rvfjs answers before that, by an exact scan).',
    rows: (j) => [
      ...j.sizes.flatMap((s) => [
        { n: s.n, series: 'rvfjs: open', value: r3(s.query.ours.openMs) },
        { n: s.n, series: 'hnswlib-node: open', value: r3(s.query.raw.openMs) },
      ]),
      ...(j.memory
        ? [
            { n: j.memory.n, series: 'rvfjs: open', value: r3(j.memory.ours.openMs) },
            { n: j.memory.n, series: 'rvfjs: graph ready', value: r3(j.memory.ours.readyMs) },
            { n: j.memory.n, series: 'hnswlib-node: open', value: r3(j.memory.raw.openMs) },
          ]
        : []),
    ],
    spec: (rows) => linesOverSize({ rows, yTitle: 'milliseconds' }),
  },
  {
    id: 'branch-cost',
    file: 'branches.json',
    title: 'Branch cost and child size against parent size: rvfjs vs the reference',
    caption:
      'branch() of a parent with n vectors, median of the repetitions; the child file right after branching (it holds no vectors yet).',
    rows: (j) =>
      j.sections.branch.sizes.flatMap((s) =>
        [
          ['rvfjs', s.ours],
          ['reference', s.ref],
        ]
          .filter(([, r]) => r)
          .flatMap(([engine, r]) => [
            { group: sizeLabel(s.n), engine, metric: 'branch time (ms)', value: r3(median(r.times)) },
            { group: sizeLabel(s.n), engine, metric: 'child file (KiB)', value: r3(r.childSize / 1024) },
          ]),
      ),
    spec: (rows) => facetBars({ rows, xTitle: 'parent size' }),
  },
  {
    id: 'ingest-rate',
    file: 'cold-start.json',
    title: 'Ingest rate: vectors per second while building the store',
    caption:
      'rvfjs: ingestBatch ×10 (append and commit), and the whole build including close(), which finishes and saves the HNSW graph. hnswlib-node: addPoint loop and writeIndexSync.',
    rows: (j) =>
      j.sizes.flatMap((s) => [
        {
          group: sizeLabel(s.n),
          engine: 'rvfjs',
          metric: 'ingestBatch only',
          value: Math.round(s.n / (s.buildOurs.ingestMs / 1000)),
        },
        {
          group: sizeLabel(s.n),
          engine: 'rvfjs',
          metric: 'whole build (graph saved)',
          value: Math.round(s.n / (s.buildOurs.totalMs / 1000)),
        },
        {
          group: sizeLabel(s.n),
          engine: 'raw hnswlib-node',
          metric: 'whole build (graph saved)',
          value: Math.round(s.n / (s.buildRaw.totalMs / 1000)),
        },
      ]),
    spec: (rows) => facetBars({ rows, xTitle: 'store size' }),
  },
  {
    id: 'cli-ingest',
    file: 'cli-ingest.json',
    title: 'CLI ingest: rvf ingest from files, vectors per second',
    caption: 'rvf ingest of a 128-d file, whole command (read, parse, commit in batches, close).',
    rows: (j) =>
      j.runs.flatMap((r) => [
        {
          group: r.result.format,
          engine: `${r.result.accepted.toLocaleString('en')} vectors`,
          metric: 'vectors per second',
          value: Math.round(r.result.accepted / (r.wallMs / 1000)),
        },
        {
          group: r.result.format,
          engine: `${r.result.accepted.toLocaleString('en')} vectors`,
          metric: 'peak RSS (MiB)',
          value: Math.round(r.peakRssMb),
        },
      ]),
    spec: (rows) => facetBars({ rows, xTitle: 'input format' }),
  },
  {
    id: 'remote-open',
    file: 'remote-open.json',
    title: 'Remote open: the same store opened locally, over HTTP ranges, downloaded, and from S3',
    caption:
      'Open, first query and all queries, median over the runs; the S3 endpoint is a Ceph RADOS Gateway on the same machine, the HTTP server a local one.',
    rows: (j) =>
      j.summary.flatMap((s) => [
        { group: s.mode, engine: 'open', metric: 'milliseconds', value: r3(s.openMs) },
        { group: s.mode, engine: 'first answer', metric: 'milliseconds', value: r3(s.firstMs) },
        { group: s.mode, engine: 'all queries', metric: 'milliseconds', value: r3(s.allMs) },
      ]),
    spec: (rows) => facetBars({ rows, xTitle: 'where the store is' }),
  },
];

/**
 * Renders every chart whose result file exists into `<srcDir>/public/bench/<id>.svg` and
 * returns `{ chart, rows, prov, svgPath }` for each; a missing file is an error (the page would
 * otherwise silently lose a chart).
 */
export async function renderCharts({ repoRoot, srcDir }) {
  const dir = join(srcDir, 'public', 'bench');
  await fs.mkdir(dir, { recursive: true });
  const out = [];
  for (const chart of CHARTS) {
    const file = join(repoRoot, 'bench', 'results', chart.file);
    if (!existsSync(file)) throw new Error(`benchmark chart ${chart.id}: ${file} does not exist`);
    const json = JSON.parse(await fs.readFile(file, 'utf8'));
    const rows = chart.rows(json);
    if (!rows.length) throw new Error(`benchmark chart ${chart.id}: no data in ${chart.file}`);
    const prov = provenance(repoRoot, file, json);
    const spec = {
      title: { text: chart.title, subtitle: [prov.line, `source: bench/results/${chart.file}`] },
      ...chart.spec(rows),
    };
    const svgPath = join(dir, `${chart.id}.svg`);
    await fs.writeFile(svgPath, await renderSvg(spec));
    out.push({ chart, rows, prov, svgPath });
  }
  return out;
}

/** The generator: charts rendered, and Markdown with each picture, its caption and its figures. */
export async function benchmarkCharts({ repoRoot, srcDir }) {
  const rendered = await renderCharts({ repoRoot, srcDir });
  return rendered
    .map(({ chart, prov }) =>
      [
        `### ${chart.title}`,
        `![${chart.title}](/bench/${chart.id}.svg)`,
        `${chart.caption} Measured on ${prov.machine}, ${prov.date}${prov.load ? ` (${prov.load})` : ''}; ` +
          `data: \`bench/results/${chart.file}\`.`,
      ].join('\n\n'),
    )
    .join('\n\n');
}
