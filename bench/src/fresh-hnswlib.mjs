// Fresh process: raw hnswlib-node readIndexSync + first search, timed inside the child.
// Usage: node fresh-hnswlib.mjs <index file> <queries.f32> <dim> first [--all]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node');
const [file, queriesPath, dimArg] = process.argv.slice(2);
const dim = Number(dimArg);
const buf = readFileSync(queriesPath);
const qs = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));

const t0 = performance.now();
const index = new HierarchicalNSW('l2', dim);
index.readIndexSync(file);
const tOpen = performance.now();
index.setEf(100);
const res = index.searchKnn(Array.from(qs.subarray(0, dim)), 10);
const t1 = performance.now();
const out = {
  openMs: tOpen - t0,
  firstMs: t1 - t0,
  resultAbsMs: performance.timeOrigin + t1,
  rssMb: process.memoryUsage().rss / 1024 / 1024,
  firstIds: res.neighbors,
};
if (process.argv.includes('--all')) {
  out.ids = [];
  for (let i = 0; i < qs.length / dim; i++)
    out.ids.push(index.searchKnn(Array.from(qs.subarray(i * dim, (i + 1) * dim)), 10).neighbors);
}
process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`);
process.exit(0);
