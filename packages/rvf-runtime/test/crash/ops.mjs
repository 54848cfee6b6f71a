// The deterministic workload of the crash test, shared by the writer child (writer.mjs) and
// the test's in-memory model (crash.test.ts). Operation number n of a store is a pure
// function of (seed, n), and operation n is the one that commits epoch n: ingest (≥1
// accepted vector), delete and compact each advance the epoch by exactly one.

export const DIMENSION = 8;
/**
 * Small ids, so batches keep re-ingesting (overwriting) earlier ids and deleted ids come
 * back. At most ID_SPACE + BIG_ID_SPACE = 950 vectors are live, so a store at its default
 * settings answers queries exactly.
 */
export const ID_SPACE = 800;
/** A second id range above 2^32, so ids that need more than 32 bits are exercised too. */
export const BIG_ID_BASE = 2 ** 40;
export const BIG_ID_SPACE = 150;

function mix32(a) {
  a = Math.imul(a ^ (a >>> 16), 0x7feb352d);
  a = Math.imul(a ^ (a >>> 15), 0x846ca68b);
  return (a ^ (a >>> 16)) >>> 0;
}

/** A 32-bit hash of non-negative integers below 2^53. */
export function hash(...xs) {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = mix32(h ^ mix32(x >>> 0));
    h = mix32(h ^ mix32(Math.floor(x / 4294967296) + 0x632be5ab));
  }
  return h;
}

/** What operation n does: every 13th compacts, every other 5th deletes, the rest ingest. */
export function opKind(n) {
  if (n % 13 === 0) return 'compact';
  if (n % 5 === 0) return 'delete';
  return 'ingest';
}

/**
 * After committing operation n the writer closes the store (saving its HNSW graph: a
 * bookkeeping commit at the same epoch) and reopens it, when this is true. Not an operation:
 * the epoch does not change.
 */
export function reopensAfter(n) {
  return n % 17 === 0;
}

function pickId(seed, n, salt, i) {
  const h = hash(seed, n, salt, i);
  return h % 8 === 0 ? BIG_ID_BASE + ((h >>> 3) % BIG_ID_SPACE) : (h >>> 3) % ID_SPACE;
}

/** Vector of `id` as written by operation n: float32 values (with the odd -0 and subnormal), exact. */
export function vectorFor(seed, n, id) {
  const v = new Array(DIMENSION);
  for (let d = 0; d < DIMENSION; d++) {
    const h = hash(seed, n, id, d, 7);
    if (h % 97 === 0) v[d] = -0;
    else if (h % 89 === 0)
      v[d] = Math.fround(((h >>> 8) % 1000) * 1e-42); // float32 subnormal
    else v[d] = Math.fround((h / 4294967296) * 4 - 2);
  }
  return v;
}

function metadataFor(seed, n, id) {
  const h = hash(seed, n, id, 3);
  if (h % 11 === 0) return null; // this vector has no metadata
  return { n, tag: h % 2 === 0 ? 'a' : 'b', w: (h % 1000) / 8 - 60.25 };
}

/**
 * Operation n: { kind: 'ingest', ids, vectors, metadata? } | { kind: 'delete', ids } | { kind: 'compact' }.
 * Batches hold 20–200 distinct ids; every 7th batch (n % 7 === 3) has no metadata at all,
 * which clears the metadata of the ids it overwrites. Deletes name 5–64 ids, some live,
 * some not, and one that never existed.
 */
export function opAt(seed, n) {
  const kind = opKind(n);
  if (kind === 'compact') return { kind };
  const count = kind === 'delete' ? 5 + (hash(seed, n, 1) % 60) : 20 + (hash(seed, n, 1) % 181);
  const ids = [];
  const seen = new Set();
  for (let i = 0; ids.length < count; i++) {
    const id = pickId(seed, n, 2, i);
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  if (kind === 'delete') {
    ids.push(10 * ID_SPACE + n);
    return { kind, ids };
  }
  const vectors = ids.map((id) => vectorFor(seed, n, id));
  const metadata = n % 7 === 3 ? undefined : ids.map((id) => metadataFor(seed, n, id));
  return { kind, ids, vectors, metadata };
}

/** The visible state after operations 1..epoch: id → { vector: number[], metadata?: object }. */
export class Model {
  constructor(seed) {
    this.seed = seed;
    this.epoch = 0;
    this.live = new Map();
  }

  advanceTo(epoch) {
    while (this.epoch < epoch) this.apply(opAt(this.seed, this.epoch + 1));
  }

  apply(op) {
    if (op.kind === 'ingest') {
      op.ids.forEach((id, i) => {
        const meta = op.metadata?.[i];
        this.live.set(id, meta ? { vector: op.vectors[i], metadata: meta } : { vector: op.vectors[i] });
      });
    } else if (op.kind === 'delete') {
      for (const id of op.ids) this.live.delete(id);
    }
    this.epoch++;
  }
}
