import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { F, type QueryResult, RvfStore } from '@rvfjs/runtime';
import { rvfError } from '@rvfjs/types';

type Log = (line: string) => void;

/** Seeded PRNG so the demo prints the same story every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['books', 'music', 'film', 'games'] as const;
const BASE_FILE = 'catalog.rvf';
const BRANCH_FILE = 'catalog-experiment.rvf';

export interface DemoResult {
  dir: string;
  /** False when the demo ran in a temporary folder, removed at the end. */
  kept: boolean;
  hits: QueryResult[];
  childHits: QueryResult[];
}

/**
 * The main job end to end: create a store, ingest vectors with metadata, run a filtered
 * query, branch and edit the branch, close everything, reopen and check the answers held.
 * In `dir` (created if missing; it must not hold the demo's files yet) the files stay;
 * without one the demo runs in a temporary folder and removes it, whether it passed or not.
 */
export async function runDemo(
  options: { dir?: string; count?: number; dimension?: number; log?: Log } = {},
): Promise<DemoResult> {
  const kept = options.dir !== undefined;
  let dir: string;
  if (options.dir !== undefined) {
    dir = options.dir;
    mkdirSync(dir, { recursive: true });
    for (const f of [BASE_FILE, BRANCH_FILE]) {
      if (existsSync(join(dir, f))) {
        throw rvfError(
          'PathExists',
          `${join(dir, f)} already exists; run the demo in a new or empty folder`,
          {
            path: join(dir, f),
          },
        );
      }
    }
  } else {
    dir = mkdtempSync(join(tmpdir(), 'rvf-demo-'));
  }
  try {
    return { dir, kept, ...(await story(dir, options)) };
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

async function story(
  dir: string,
  options: { count?: number; dimension?: number; log?: Log },
): Promise<{ hits: QueryResult[]; childHits: QueryResult[] }> {
  const log = options.log ?? ((l: string) => console.log(l));
  const count = options.count ?? 20_000;
  const dim = options.dimension ?? 64;
  const basePath = join(dir, BASE_FILE);
  const branchPath = join(dir, BRANCH_FILE);
  const r = rng(42);

  log(`rvfjs demo in ${dir}`);
  const t0 = performance.now();
  const store = await RvfStore.create(basePath, { dimension: dim, metric: 'cosine' });
  const vectors = new Float32Array(count * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = r() * 2 - 1;
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const metadata = ids.map((id) => ({ category: CATEGORIES[id % 4]!, price: Math.round(r() * 10000) / 100 }));
  const ingest = await store.ingestBatch(vectors, ids, metadata);
  log(
    `created ${basePath}: ingested ${ingest.accepted} vectors (dim ${dim}, cosine) in ${(performance.now() - t0).toFixed(0)} ms, epoch ${ingest.epoch}`,
  );

  const query = vectors.slice(7 * dim, 8 * dim); // the vector of id 8
  const filter = F.and(F.eq('category', 'books'), F.lt('price', 50));
  const hits = await store.query(query, 5, { filter });
  log('filtered query (category = books AND price < 50), top 5:');
  for (const h of hits) log(`  id ${h.id}  distance ${h.distance.toFixed(4)}  ${JSON.stringify(h.metadata)}`);

  const child = await store.branch(branchPath);
  await child.ingestBatch([Array.from(query)], [1_000_000], [{ category: 'books', price: 1 }]);
  await child.delete([hits[0]!.id as number]);
  const childHits = await child.query(query, 5, { filter });
  const cow = child.cowStats()!;
  log(`branched ${branchPath}: +1 vector, -1 inherited vector`);
  log(
    `  child sees ${child.status().totalVectors} vectors, stores ${child.status().ownVectors} itself; ${cow.localClusters} of ${cow.clusterCount} clusters touched`,
  );
  log(
    `  child top hit: id ${childHits[0]!.id}; parent top hit still: id ${(await store.query(query, 1, { filter }))[0]!.id}`,
  );
  await child.close();
  await store.close();

  const reopened = await RvfStore.open(basePath, { readOnly: true });
  const again = await reopened.query(query, 5, { filter });
  const same = JSON.stringify(again.map((h) => h.id)) === JSON.stringify(hits.map((h) => h.id));
  const witness = await reopened.verifyWitness();
  await reopened.close();
  const reChild = await RvfStore.open(branchPath, { readOnly: true });
  const childAgain = await reChild.query(query, 5, { filter });
  const childSame =
    JSON.stringify(childAgain.map((h) => h.id)) === JSON.stringify(childHits.map((h) => h.id));
  await reChild.close();
  log(
    `reopened both files: parent results ${same ? 'identical' : 'DIFFERENT'}, branch results ${childSame ? 'identical' : 'DIFFERENT'}`,
  );
  log(
    `witness chain: ${witness.valid ? 'valid' : 'BROKEN'}, ${witness.entries} entries, ${witness.shake256Links} SHAKE-256 links`,
  );
  if (!same || !childSame || !witness.valid)
    throw new Error('demo check failed: results changed across reopen');
  return { hits, childHits };
}
