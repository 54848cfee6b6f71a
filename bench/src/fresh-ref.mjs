// Fresh process: the reference's openReadonly (and its first query), timed inside the child.
// Usage: node fresh-ref.mjs <file> <queries.f32> <dim> <open|first> [--all] [--segments]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { RvfDatabase } = createRequire(import.meta.url)('@ruvector/rvf-node');
const [file, queriesPath, dimArg, mode] = process.argv.slice(2);
const dim = Number(dimArg);
const buf = readFileSync(queriesPath);
const qs = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));

const t0 = performance.now();
const db = RvfDatabase.openReadonly(file);
const tOpen = performance.now();
const out = { openMs: tOpen - t0 };
if (mode === 'first') {
  const res = db.query(qs.subarray(0, dim), 10);
  const t1 = performance.now();
  out.firstMs = t1 - t0;
  out.resultAbsMs = performance.timeOrigin + t1;
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
  out.firstIds = res.map((r) => r.id);
  if (process.argv.includes('--all')) {
    out.ids = [];
    for (let i = 0; i < qs.length / dim; i++)
      out.ids.push(db.query(qs.subarray(i * dim, (i + 1) * dim), 10).map((r) => r.id));
  }
} else {
  out.resultAbsMs = performance.timeOrigin + tOpen;
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
}
if (process.argv.includes('--segments')) {
  const bytes = {};
  for (const s of db.segments()) bytes[s.segType] = (bytes[s.segType] ?? 0) + s.payloadLength + 64;
  out.segmentBytes = bytes;
  out.indexStats = db.indexStats();
}
process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`);
process.exit(0);
