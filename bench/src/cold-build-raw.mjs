// Cold-start job "build-raw": raw hnswlib-node on the same data, as its README builds an index:
// HierarchicalNSW('l2') → initIndex (m 16, efConstruction 200, our defaults too) → addPoint per
// vector → writeIndexSync. The plain number[] rows hnswlib-node requires are made before the
// clock starts, so the time is hnswlib's alone.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { emit, job, loadFlat, now } from './cold-child.mjs';

const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node');
const { file, dataPath, n, dim } = job;
const data = loadFlat(dataPath, n, dim);
const points = [];
for (let i = 0; i < n; i++) points.push(Array.from(data.subarray(i * dim, (i + 1) * dim)));

const t0 = now();
const index = new HierarchicalNSW('l2', dim);
index.initIndex({ maxElements: n, m: 16, efConstruction: 200, randomSeed: 100 });
for (let i = 0; i < n; i++) index.addPoint(points[i], i);
const tSave = now();
index.writeIndexSync(file);
const t1 = now();

emit({ totalMs: t1 - t0, addMs: tSave - t0, saveMs: t1 - tSave, fileSize: statSync(file).size });
