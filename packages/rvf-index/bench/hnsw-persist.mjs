// Build, serialise and reload an HNSW index; reports build time, blob size and load time.
// Usage: `pnpm bench`, or after `pnpm build`: node --expose-gc bench/hnsw-persist.mjs [count=20000] [dim=128] [metric=l2]
import { mulberry32 } from '@rvfjs/test-kit';
import { createHnsw, deserializeHnsw, exactSearch, recallAtK, VectorStore } from '../dist/index.js';

const count = Number(process.argv[2] ?? 20000);
const dim = Number(process.argv[3] ?? 128);
const metric = process.argv[4] ?? 'l2';

const rng = mulberry32(1);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const clusters = 100;
const centres = Float32Array.from({ length: clusters * dim }, gauss);
const data = new Float32Array(count * dim);
for (let i = 0; i < count; i++) {
  const c = Math.floor(rng() * clusters);
  for (let j = 0; j < dim; j++) data[i * dim + j] = centres[c * dim + j] + 0.3 * gauss();
}

const store = new VectorStore(dim, count);
let t = performance.now();
const index = createHnsw(dim, metric, { store, maxElements: count });
index.addBatch(
  Uint32Array.from({ length: count }, (_, i) => i),
  data,
);
const buildMs = performance.now() - t;

t = performance.now();
const blob = index.serialize();
const saveMs = performance.now() - t;

// The first load runs cold (unoptimised JS), as a store open would; later ones are warm. Old
// indexes are collected between loads when --expose-gc is given, so native memory does not pile up.
const loads = [];
let loaded;
for (let r = 0; r < 11; r++) {
  loaded = undefined;
  globalThis.gc?.();
  t = performance.now();
  loaded = deserializeHnsw(blob, store);
  loads.push(performance.now() - t);
}
const cold = loads[0];
const warm = loads.slice(1).sort((a, b) => a - b);

let recall = 0;
let same = 0;
const nq = 200;
for (let q = 0; q < nq; q++) {
  const o = (q * 97) % count;
  const query = data.subarray(o * dim, (o + 1) * dim).map((x) => x + 0.05 * gauss());
  const a = index.search(query, 10);
  const b = loaded.search(query, 10);
  if (JSON.stringify(a) === JSON.stringify(b)) same++;
  recall += recallAtK(exactSearch({ vectors: store.flat, dimension: dim, metric, query, k: 10, count }), b);
}

const vecBytes = count * dim * 4;
const r2 = (x) => +x.toFixed(2);
console.log(
  JSON.stringify(
    {
      count,
      dim,
      metric,
      buildMs: Math.round(buildMs),
      serializeMs: Math.round(saveMs),
      serializedBytes: blob.byteLength,
      vectorBytes: vecBytes,
      ratioToVectors: +(blob.byteLength / vecBytes).toFixed(4),
      bytesPerElement: +(blob.byteLength / count).toFixed(1),
      loadMs: { cold: r2(cold), warmMin: r2(warm[0]), warmMedian: r2(warm[warm.length >> 1]) },
      identicalResultsAfterLoad: `${same}/${nq}`,
      recallAt10: +(recall / nq).toFixed(4),
    },
    null,
    2,
  ),
);
