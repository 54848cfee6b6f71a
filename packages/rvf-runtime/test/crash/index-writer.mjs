// Child of crash-index.test.ts: commits vectors, prints "committed", then closes (which builds
// and saves the HNSW graph) and prints "closed". The test kills it somewhere in between.
//   node index-writer.mjs <dist index.js> <path> <mode: fresh|grow> <n> <seed>
import { vectorsFor } from './index-data.mjs';

const [dist, path, mode, nArg, seedArg] = process.argv.slice(2);
const { RvfStore } = await import(dist);
const n = Number(nArg);
const seed = Number(seedArg);
const dim = 16;

if (mode === 'fresh') {
  const s = await RvfStore.create(path, { dimension: dim });
  const per = n / 2;
  for (let b = 0; b < 2; b++) {
    const ids = Array.from({ length: per }, (_, i) => b * per + i);
    await s.ingestBatch(
      vectorsFor(ids, dim, seed),
      ids,
      ids.map((i) => ({ tag: i % 3 })),
    );
  }
  process.stdout.write('committed\n');
  await s.close();
} else {
  // An indexed store grows by more than a tail and has a saved vector rewritten, so close
  // must save a whole new graph (the incremental path's worst case).
  const s = await RvfStore.open(path);
  const ids = Array.from({ length: n }, (_, i) => 1_000_000 + i);
  ids.push(3, 4, 5);
  await s.ingestBatch(vectorsFor(ids, dim, seed), ids);
  process.stdout.write('committed\n');
  await s.close();
}
process.stdout.write('closed\n');
