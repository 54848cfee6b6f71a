// CLI ingest section (`run.mjs --only=cliingest`, or on its own): what `rvf ingest` costs in
// memory on large inputs. A 1M×128 float32 matrix is written as a NumPy .npy file (512 MB) and
// as NDJSON for its first 200k rows, then ingested by the built CLI in a fresh process with
// `--defer-index` (a graph over 1M vectors is a separate cost; see the cold-start section).
// Peak resident memory comes from /usr/bin/time (the kernel's high-water mark for the process).
// The store itself keeps every vector in memory (4 bytes per component), so that is the floor;
// what the number shows is whether the reader holds the input on top of it.
//
//   node src/cli-ingest.mjs [--quick] [--no-write]
// Writes results/cli-ingest.{json,md} (committed, as cold-start.*) unless --no-write.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './data.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '../../apps/cli/dist/cli.js');
const RESULTS = join(HERE, '../results');
const quick = process.argv.includes('--quick');
const write = !process.argv.includes('--no-write');
const DIM = 128;
const N = quick ? 100_000 : 1_000_000;
const NDJSON_N = quick ? 20_000 : 200_000;
const MIB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'rvfjs-cli-ingest-'));
const log = (s) => process.stderr.write(`[cli-ingest] ${s}\n`);

/** Rows of uniform floats in [-1, 1), written in blocks so the generator itself stays small. */
function writeRows(path, rows, header, encode) {
  const fd = openSync(path, 'w');
  try {
    if (header) writeSync(fd, header);
    const rng = mulberry32(7);
    const block = 10_000;
    for (let from = 0; from < rows; from += block) {
      const n = Math.min(block, rows - from);
      const v = new Float32Array(n * DIM);
      for (let i = 0; i < v.length; i++) v[i] = rng() * 2 - 1;
      writeSync(fd, encode(v, from, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** A NumPy .npy v1.0 header for a little-endian float32 matrix, padded to 64 bytes. */
function npyHeader(rows) {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${DIM}), }`;
  const unpadded = 10 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const text = `${dict}${' '.repeat(pad)}\n`;
  const out = Buffer.alloc(10 + text.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}

/** Runs the CLI under /usr/bin/time: wall time and peak RSS. */
function ingest(label, input, extra = []) {
  const store = join(dir, `${label}.rvf`);
  const created = spawnSync(process.execPath, [CLI, 'create', store, '--dim', String(DIM)], {
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new Error(`${label}: rvf create failed: ${created.stderr}`);
  const t = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, CLI, 'ingest', store, input, '--defer-index', '--json', ...extra],
    {
      encoding: 'utf8',
      maxBuffer: 64 * MIB,
    },
  );
  const wallMs = performance.now() - t;
  const lines = r.stderr.trim().split('\n');
  const peakKb = Number(lines.at(-1));
  if (r.status !== 0 || !Number.isFinite(peakKb))
    throw new Error(`${label}: rvf ingest failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return {
    label,
    inputBytes: statSync(input).size,
    storeBytes: statSync(store).size,
    wallMs,
    peakRssMb: peakKb / 1024,
    result: JSON.parse(r.stdout),
  };
}

const loadBefore = loadavg();
log(`writing ${N.toLocaleString()}×${DIM} .npy and ${NDJSON_N.toLocaleString()} NDJSON rows in ${dir}`);
const npy = join(dir, 'vectors.npy');
writeRows(npy, N, npyHeader(N), (v) => Buffer.from(v.buffer));
const ndjson = join(dir, 'vectors.ndjson');
writeRows(ndjson, NDJSON_N, undefined, (v, from, n) => {
  let s = '';
  for (let i = 0; i < n; i++) {
    const row = Array.from(v.subarray(i * DIM, (i + 1) * DIM), (x) => x.toPrecision(7));
    s += `{"id":${from + i},"vector":[${row.join(',')}],"metadata":{"cat":${(from + i) % 10}}}\n`;
  }
  return s;
});
const runs = [];
try {
  log('ingesting the .npy file');
  runs.push(ingest(`npy-${N}`, npy));
  log('ingesting the NDJSON file');
  runs.push(ingest(`ndjson-${NDJSON_N}`, ndjson));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const loadAfter = loadavg();

const fmtMb = (b) => `${(b / MIB).toFixed(0)} MiB`;
const md = [
  '## CLI ingest: peak memory on large inputs',
  '',
  `- Machine: ${cpus()[0]?.model ?? '?'} ×${cpus().length}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ${process.platform}-${process.arch}, Node ${process.version}`,
  `- Run: ${new Date().toISOString()}; load average (1/5/15 min) before ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' / ')}`,
  `- \`rvf ingest <store> <file> --defer-index\` (built CLI, fresh process, batches of 10,000); peak RSS from /usr/bin/time. The store keeps its vectors in memory (${DIM} × 4 bytes each), which is the floor.`,
  '',
  '| input | rows | input size | vectors in memory | peak RSS | wall |',
  '| --- | --- | --- | --- | --- | --- |',
  ...runs.map((r) => {
    const rows = Number(r.label.split('-')[1]);
    return `| ${r.label.split('-')[0]} | ${rows.toLocaleString('en-US')} | ${fmtMb(r.inputBytes)} | ${fmtMb(rows * DIM * 4)} | ${r.peakRssMb.toFixed(0)} MiB | ${(r.wallMs / 1000).toFixed(1)} s |`;
  }),
  '',
].join('\n');
const json = {
  section: 'cliingest',
  quick,
  dim: DIM,
  load: { before: loadBefore, after: loadAfter },
  runs,
  at: new Date().toISOString(),
};
if (write) {
  writeFileSync(join(RESULTS, 'cli-ingest.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'cli-ingest.md'), `${md}\n`);
}
process.stdout.write(`${md}\n`);
