/**
 * A serverless cold start: a store is deployed once (built and closed), then each function
 * instance opens it read-only and answers. The instance times its cold start in two steps
 * (the tail scan that finds the latest manifest, then the full open), keeps a witness entry
 * for every request it answers, and verifies that chain.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createWitnessChain,
  hashAction,
  verifyWitnessChain,
  type WitnessEntryInput,
} from '@rvfjs/crypto/hashes';
import { F, RvfStore } from '@rvfjs/runtime';
import { fileHandleSource, findLatestManifest } from '@rvfjs/wire';
import { randomVectors, seededRandom } from './seeded-vectors.js';
import { msSince, workDir } from './work-dir.js';

const dir = await workDir(process.argv[2]);
const path = join(dir, 'catalog.rvf');
const DIM = 64;
const CATEGORIES = ['electronics', 'books', 'garden', 'toys'];

// Deploy: 500 products in batches of 100, each with a category and a price tier (1-4).
let t = performance.now();
const deploy = await RvfStore.create(path, { dimension: DIM, metric: 'cosine' });
const vectors = randomVectors(500, DIM, 7);
const pick = seededRandom(8);
for (let start = 0; start < 500; start += 100) {
  const ids = Array.from({ length: 100 }, (_, i) => start + i);
  const metadata = ids.map(() => ({
    category: CATEGORIES[Math.floor(pick() * CATEGORIES.length)]!,
    price_tier: 1 + Math.floor(pick() * 4),
  }));
  await deploy.ingestBatch(vectors.slice(start, start + 100), ids, metadata);
}
console.log(
  `deployed ${deploy.status().totalVectors} vectors in ${deploy.epoch} batches, ${deploy.status().fileSize} bytes (${msSince(t)})`,
);
await deploy.close();

// Cold start, step 1: the tail scan, which reads the end of the file to find the latest manifest.
t = performance.now();
const fh = await open(path, 'r');
const { manifest } = await findLatestManifest(fileHandleSource(fh, (await fh.stat()).size));
await fh.close();
console.log(
  `\ncold start:\n  tail scan: manifest at epoch ${manifest.epoch}, ${manifest.totalVectors} vectors (${msSince(t)})`,
);

// Step 2: the full open, read-only (every segment the manifest names is read and checked).
t = performance.now();
const store = await RvfStore.open(path, { readOnly: true });
console.log(
  `  full open: ${store.status().totalVectors} vectors, dimension ${store.dimension} (${msSince(t)})`,
);

// Every request the instance answers gets a witness entry: the hash of the request and its answer.
const witnesses: WitnessEntryInput[] = [];
async function request(name: string, vector: number[], filter?: ReturnType<typeof F.and>) {
  const start = performance.now();
  const hits = await store.query(vector, 5, filter ? { filter } : {});
  const took = msSince(start);
  const action = JSON.stringify({ name, ids: hits.map((h) => String(h.id)) });
  witnesses.push({
    actionHash: hashAction(new TextEncoder().encode(action)),
    timestampNs: BigInt(Date.now()) * 1_000_000n,
    witnessType: 0x01, // WitnessType.Computation in @rvfjs/types
  });
  return { hits, took };
}

const electronics = F.and(F.eq('category', 'electronics'), F.ge('price_tier', 2));
const first = await request('first', vectors[3]!, electronics);
console.log(`\nfirst request (category = electronics AND price_tier >= 2), ${first.took}:`);
for (const h of first.hits) {
  console.log(
    `  ${String(h.id).padStart(3)}  ${h.distance.toFixed(4)}  ${h.metadata!.category} tier ${h.metadata!.price_tier}`,
  );
}

const warm = await request('warm', vectors[42]!);
console.log(`\nwarm request (no filter), ${warm.took}: ${warm.hits.map((h) => h.id).join(', ')}`);

const chain = createWitnessChain(witnesses);
const verified = verifyWitnessChain(chain);
console.log(`\nrequest witness chain: ${verified.length} entries, ${chain.length} bytes, verified`);
const tampered = chain.slice();
tampered[40] = tampered[40]! ^ 1; // a bit of the first entry's action hash
try {
  verifyWitnessChain(tampered);
} catch (e) {
  console.log(`  with one bit flipped: ${(e as Error).message}`);
}
const own = await store.verifyWitness();
console.log(`the store's own witness chain: ${own.entries} entries, valid=${own.valid}`);
await store.close();
