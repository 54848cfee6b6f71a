// Fresh process: open an rvfjs store read-only (and run its first query), timed inside the child.
// Usage: node fresh-ours.mjs <file> <queries.f32> <dim> <open|first> [--all] [--segments]
import { readFileSync } from 'node:fs';
import { RvfStore } from '@rvfjs/runtime';

const [file, queriesPath, dimArg, mode] = process.argv.slice(2);
const dim = Number(dimArg);
const buf = readFileSync(queriesPath);
const qs = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const q0 = qs.subarray(0, dim);

const t0 = performance.now();
const store = await RvfStore.open(file, { readOnly: true });
const tOpen = performance.now();
const out = { openMs: tOpen - t0 };
if (mode === 'first') {
  const res = await store.query(q0, 10);
  const t1 = performance.now();
  out.firstMs = t1 - t0;
  // Read after the clock stops: status() loads the native add-on to say whether it is there.
  out.engineAtOpen = store.status().engine;
  out.resultAbsMs = performance.timeOrigin + t1;
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
  out.firstEngine = store.status().engine.lastQueryEngine;
  out.firstIds = res.map((r) => Number(r.id));
  if (process.argv.includes('--all')) {
    out.ids = [];
    for (let i = 0; i < qs.length / dim; i++)
      out.ids.push((await store.query(qs.subarray(i * dim, (i + 1) * dim), 10)).map((r) => Number(r.id)));
    out.allEngine = store.status().engine.lastQueryEngine;
  }
} else {
  out.engineAtOpen = store.status().engine;
  out.resultAbsMs = performance.timeOrigin + tOpen;
  out.rssMb = process.memoryUsage().rss / 1024 / 1024;
}
if (process.argv.includes('--segments')) {
  const bytes = {};
  for (const s of store.segments()) bytes[s.segType] = (bytes[s.segType] ?? 0) + s.payloadLength + 64;
  out.segmentBytes = bytes;
}
process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`);
process.exit(0);
