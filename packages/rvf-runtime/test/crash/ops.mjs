// The deterministic workload of the crash tests, shared by the writer child (writer.mjs) and
// the tests' in-memory model (crash.test.ts, crash-branch.test.ts). Operation number n of a
// store is a pure function of (seed, n) and its workload (WORKLOADS: which ids and batch
// sizes it draws; crash.test.ts uses `root`), and operation n is the one that commits
// epoch n: ingest (≥1 accepted vector), delete and compact each advance the epoch by exactly one.

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

/**
 * Big ids of the branch workload: above 2^32, like BIG_ID_BASE, with low 32 bits that name
 * inherited ids (2^40 + 0..99). A delete of such an id once cleared the membership bit of
 * (id mod 2^32), hiding the inherited id; the workload keeps that path under the kill loop.
 */
export const BRANCH_BIG_ID_BASE = 2 ** 40;

/**
 * What a workload draws: small ids below `idSpace`, and one id in `bigEvery` (never, if 0)
 * from `bigIdSpace` ids at `bigIdBase`; ingests of `ingest[0]` + (0..ingest[1]-1) distinct
 * ids, deletes of `remove[0]` + (0..remove[1]-1) ids plus one that never existed;
 * `extraField`, if set, is a metadata field only this workload writes.
 */
export const WORKLOADS = {
  /** crash.test.ts: a root store. */
  root: {
    idSpace: ID_SPACE,
    bigIdBase: BIG_ID_BASE,
    bigIdSpace: BIG_ID_SPACE,
    bigEvery: 8,
    ingest: [20, 181],
    remove: [5, 60],
  },
  /** A branch's parent (crash-branch.test.ts, operations 1..5): ids below 2^28, as branch() needs. */
  parent: { idSpace: 800, bigIdBase: 0, bigIdSpace: 1, bigEvery: 0, ingest: [150, 200], remove: [40, 40] },
  /**
   * A branch child of a `parent` store: ids below 800 are mostly inherited (so ingests
   * override them and deletes hide them), 800..999 and the big ids are the child's own.
   * Small batches, so inherited ids stay in play for a while.
   */
  branch: {
    idSpace: 1000,
    bigIdBase: BRANCH_BIG_ID_BASE,
    bigIdSpace: 100,
    bigEvery: 16,
    ingest: [5, 56],
    remove: [5, 40],
    extraField: 'c',
  },
};

function pickId(seed, n, salt, i, w) {
  const h = hash(seed, n, salt, i);
  return w.bigEvery > 0 && h % w.bigEvery === 0
    ? w.bigIdBase + (Math.floor(h / w.bigEvery) % w.bigIdSpace)
    : (h >>> 3) % w.idSpace;
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

function metadataFor(seed, n, id, w) {
  const h = hash(seed, n, id, 3);
  if (h % 11 === 0) return null; // this vector has no metadata
  const meta = { n, tag: h % 2 === 0 ? 'a' : 'b', w: (h % 1000) / 8 - 60.25 };
  if (w.extraField !== undefined) meta[w.extraField] = (h >>> 12) % 5;
  return meta;
}

/**
 * Operation n: { kind: 'ingest', ids, vectors, metadata? } | { kind: 'delete', ids } | { kind: 'compact' }.
 * Batches hold 20–200 distinct ids (root workload); every 7th batch (n % 7 === 3) has no
 * metadata at all, which clears the metadata of the ids it overwrites. Deletes name 5–64
 * ids, some live, some not, and one that never existed.
 */
export function opAt(seed, n, workload = WORKLOADS.root) {
  const w = workload;
  const kind = opKind(n);
  if (kind === 'compact') return { kind };
  const [min, span] = kind === 'delete' ? w.remove : w.ingest;
  const count = min + (hash(seed, n, 1) % span);
  const ids = [];
  const seen = new Set();
  for (let i = 0; ids.length < count; i++) {
    const id = pickId(seed, n, 2, i, w);
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  if (kind === 'delete') {
    ids.push(10 * w.idSpace + n);
    return { kind, ids };
  }
  const vectors = ids.map((id) => vectorFor(seed, n, id));
  const metadata = n % 7 === 3 ? undefined : ids.map((id) => metadataFor(seed, n, id, w));
  return { kind, ids, vectors, metadata };
}

/**
 * The visible state after operations 1..epoch: id → { vector: number[], metadata?: object }.
 * `options.base` is the visible state at epoch 0 (a branch child's parent view; empty for a
 * new store): ingests override its ids, deletes hide them, a re-ingest shows them again.
 */
export class Model {
  constructor(seed, options = {}) {
    this.seed = seed;
    this.workload = options.workload ?? WORKLOADS.root;
    this.epoch = 0;
    this.live = new Map(options.base ?? []);
  }

  advanceTo(epoch) {
    while (this.epoch < epoch) this.apply(opAt(this.seed, this.epoch + 1, this.workload));
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
