/**
 * Crash safety of branch CHILD commits, tested like the root store's in crash.test.ts (and
 * with its machinery, crash/harness.ts): SIGKILL writer processes mid-ingest, mid-delete
 * and mid-compaction of a copy-on-write child, and check after each kill that the child
 * holds exactly the model's state at the recovered epoch and that its parent is untouched.
 *
 * Each store is a parent built here (workload `parent` of crash/ops.mjs, operations 1..5:
 * four ingests of 150–349 ids below 800, the third without metadata, then a delete; half of
 * the parents saved an HNSW graph, which their child seeds its index from), closed, reopened,
 * branched, and both closed. The writer children then open the CHILD read-write and run the
 * endless `branch` workload on it: small batches over ids 0..999 (below 800 mostly inherited:
 * ingests override them, deletes hide them by clearing membership bits, re-ingests show them
 * again; 800..999 and ids above 2^40 are the child's own) with a metadata field the parent
 * never had, deletes of inherited and own ids, and compaction (which rewrites only the
 * child's own vectors). The model starts from the parent's visible state.
 *
 * After each kill the child is opened read-only (loading its parent through the pin) and
 * must hold the model's state at an epoch E, last printed ≤ E ≤ last printed + 1: visible
 * count, every vector bit for bit, metadata (inherited too), export(), brute-force k-NN,
 * filtered queries (on fields the parent wrote, so inherited metadata must match, and on the
 * child's own field), now and then the HNSW graph, one unbroken witness chain. The parent file must be byte-for-byte what it was after the branch
 * (sha256), with nothing written next to it. Build first: `pnpm build` in
 * packages/rvf-runtime (RVF_CRASH_DIST=<path to an index.js> runs the children on another
 * build). A failure prints RVF_CRASH_SEED, which replays the same workloads and keeps the files.
 *
 * Bugs found on the way have their own tests at the end (get() hiding inherited ids the child
 * cannot see, big ids not aliasing inherited ones in the membership bitmap, compaction of a
 * child keeping only its current membership).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import {
  type Check,
  type CrashStore,
  crashTestSetup,
  logKillLoop,
  type Must,
  runKillLoop,
  type VerifyOptions,
  verifyAgainstModel,
} from './crash/harness.js';
import {
  BRANCH_BIG_ID_BASE,
  DIMENSION,
  type Entry,
  hash,
  Model,
  type Op,
  opAt,
  WORKLOADS,
  type Workload,
} from './crash/ops.mjs';
import { rng } from './helpers.js';

const SEED = Number(process.env.RVF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Kill quotas (by the child operation in flight): the loop runs until all are met. */
const MIN_KILLS = 200;
const MIN_KILLS_IN = { compact: 20, delete: 40, ingest: 40 } as const;
/** The kill loop stops at either limit even if the quotas are not met (which then fails). */
const MAX_KILLS = 500;
const DEADLINE_MS = 80_000;
/** Short store lives, so inherited ids stay in play (every store has a fresh parent). */
const KILLS_PER_STORE = 25;
const PARENT_OPS = 5;

const setup = crashTestSetup('crash-branch', SEED);
const work = setup.work;
const check: Check = setup.check;
const must: Must = setup.must;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** What a child operation does to inherited and own ids, counted per id. */
interface Effect {
  /** Deletes of an inherited id, still the parent's version: it is hidden (membership bit cleared). */
  hideInherited: number;
  /** Deletes of the child's own version of an id (its own ids and overrides of inherited ones). */
  deleteOwn: number;
  /** Ingests over an inherited id, still the parent's version. */
  overrideInherited: number;
  /** Ingests of an inherited id the child (or the parent) had hidden: it shows again, with the new vector. */
  reshowInherited: number;
  /** Ingests over the child's own version. */
  overwriteOwn: number;
  /** Ingests of ids the parent never had and the child has not live. */
  newId: number;
  compact: number;
}
const noEffect = (): Effect => ({
  hideInherited: 0,
  deleteOwn: 0,
  overrideInherited: 0,
  reshowInherited: 0,
  overwriteOwn: 0,
  newId: 0,
  compact: 0,
});

/**
 * The child's model: the parent's visible state, then the child's operations (Model does
 * the rest: a delete hides an inherited id like any other, an ingest over it overrides it,
 * and a re-ingest of a hidden one shows it again). It also records what each applied
 * operation did to inherited and own ids, to show the test reaches those cases.
 */
class BranchModel extends Model {
  readonly effects = new Map<number, Effect>();

  constructor(
    seed: number,
    /** The parent's visible state at branch time (entries shared, so `===` means "still inherited"). */
    readonly inherited: ReadonlyMap<number, Entry>,
    /** Every id the parent ever wrote, visible or not. */
    readonly parentIds: ReadonlySet<number>,
  ) {
    super(seed, { workload: WORKLOADS.branch, base: inherited });
  }

  /** What `op` would do to the current state. */
  effectOf(op: Op): Effect {
    const e = noEffect();
    if (op.kind === 'compact') e.compact++;
    else if (op.kind === 'delete') {
      for (const id of op.ids) {
        const cur = this.live.get(id);
        if (cur === undefined) continue;
        if (cur === this.inherited.get(id)) e.hideInherited++;
        else e.deleteOwn++;
      }
    } else {
      for (const id of op.ids) {
        const cur = this.live.get(id);
        if (cur !== undefined && cur === this.inherited.get(id)) e.overrideInherited++;
        else if (cur !== undefined) e.overwriteOwn++;
        else if (this.parentIds.has(id)) e.reshowInherited++;
        else e.newId++;
      }
    }
    return e;
  }

  override apply(op: Op): void {
    this.effects.set(this.epoch + 1, this.effectOf(op));
    super.apply(op);
  }
}

/** Applies operations 1..n of `workload` to an open store (the parent's history). */
async function runOps(store: RvfStore, seed: number, workload: Workload, n: number): Promise<void> {
  for (let e = 1; e <= n; e++) {
    const op = opAt(seed, e, workload);
    const res =
      op.kind === 'ingest'
        ? await store.ingestBatch(op.vectors, op.ids, op.metadata)
        : op.kind === 'delete'
          ? await store.delete(op.ids)
          : await store.compact();
    expect(res.epoch).toBe(e);
  }
}

/** Ids get() is asked about when the model has them absent: every id the workload can name. */
const PROBE_IDS = [
  ...Array.from({ length: WORKLOADS.branch.idSpace }, (_, i) => i),
  ...Array.from({ length: WORKLOADS.branch.bigIdSpace }, (_, i) => BRANCH_BIG_ID_BASE + i),
];

/**
 * Filtered queries: on a field inherited and own vectors share, on two fields the parent
 * wrote (inherited metadata must be filterable), and on the field only the child writes.
 */
const FILTERS: VerifyOptions['filters'] = [
  { filter: F.eq('tag', 'a'), k: 10, keep: (m) => m?.tag === 'a' },
  {
    filter: F.and(F.eq('tag', 'b'), F.lt('w', -20)),
    k: 40,
    keep: (m) => m?.tag === 'b' && m.w < -20,
  },
  { filter: F.ge('c', 3), k: 10, keep: (m) => m?.c !== undefined && m.c >= 3 },
];

describe('crash safety of branch children under SIGKILL', () => {
  it(`recovers the child's exact state after ≥ ${MIN_KILLS} kills mid-ingest, mid-delete and mid-compaction, never touching the parent`, async () => {
    const totals = noEffect();
    const killedIn: Record<string, number> = {};
    let parentChecks = 0;
    const models: BranchModel[] = [];

    const makeStore = async (storeNo: number, storeSeed: number): Promise<CrashStore> => {
      const dir = join(work.dir, `store${storeNo}`);
      mkdirSync(dir);
      const parentPath = join(dir, 'parent.rvf');
      const childPath = join(dir, 'child.rvf');
      const parentSeed = hash(storeSeed, 0x9a7e47);
      // Half the parents keep an HNSW graph (saved complete at close): their child seeds its index from it.
      const withGraph = storeNo % 2 === 0;
      const indexOptions = withGraph ? { indexThreshold: 128 } : {};
      const parent = await RvfStore.create(parentPath, {
        dimension: DIMENSION,
        metric: 'l2',
        m: 8,
        efConstruction: 40,
        ...indexOptions,
      });
      await runOps(parent, parentSeed, WORKLOADS.parent, PARENT_OPS);
      if (withGraph) await parent.waitForIndex();
      await parent.close();
      const reopened = await RvfStore.open(parentPath, indexOptions);
      await (await reopened.branch(childPath)).close();
      await reopened.close();
      const parentHash = sha256(parentPath);

      const parentModel = new Model(parentSeed, { workload: WORKLOADS.parent });
      parentModel.advanceTo(PARENT_OPS);
      const parentIds = new Set<number>();
      for (let e = 1; e <= PARENT_OPS; e++) {
        const op = opAt(parentSeed, e, WORKLOADS.parent);
        if (op.kind === 'ingest') for (const id of op.ids) parentIds.add(id);
      }
      const model = new BranchModel(storeSeed, parentModel.live, parentIds);
      models.push(model);
      const verify = (path: string, m: Model, r: () => number, withIndex: boolean) =>
        verifyAgainstModel(path, m, r, withIndex, {
          probeIds: PROBE_IDS,
          filters: FILTERS,
        });
      const r0 = rng(hash(storeSeed, 2));
      // The parent holds its model's state; the new child, exactly the parent's visible state.
      const p = await verify(parentPath, parentModel, r0, withGraph);
      check(p.problems.length === 0, () => `store ${storeNo}: the parent:\n  ${p.problems.join('\n  ')}`);
      const c = await verify(childPath, model, r0, withGraph);
      check(
        c.epoch === 0 && c.problems.length === 0,
        () => `store ${storeNo}: the new child at epoch ${c.epoch}:\n  ${c.problems.join('\n  ')}`,
      );
      check(sha256(parentPath) === parentHash, () => `store ${storeNo}: reading the parent changed it`);

      return {
        path: childPath,
        writerArgs: [String(storeSeed), 'branch'],
        model,
        verify: (r, withIndex) => verify(childPath, model, r, withIndex),
        afterKill: async ({ where, inFlight, last }) => {
          // Child commits, compactions and recoveries never write the parent, nor next to it.
          check(sha256(parentPath) === parentHash, () => `${where()}: the parent file changed`);
          const stray = readdirSync(dir).filter((f) => f !== 'parent.rvf' && !f.startsWith('child.rvf'));
          check(stray.length === 0, () => `${where()}: unexpected files next to the parent: ${stray}`);
          parentChecks++;
          // What the operation in flight was doing to inherited ids (it is the model's next
          // one, or the one it just applied if it committed before the kill).
          if (inFlight === 'ingest' || inFlight === 'delete') {
            const effect =
              model.effects.get(last + 1) ?? model.effectOf(opAt(storeSeed, last + 1, WORKLOADS.branch));
            const key =
              inFlight === 'delete'
                ? effect.hideInherited > 0
                  ? 'delete hiding inherited ids'
                  : 'delete of own ids only'
                : effect.overrideInherited + effect.reshowInherited > 0
                  ? 'ingest over inherited ids'
                  : 'ingest of own ids only';
            killedIn[key] = (killedIn[key] ?? 0) + 1;
          }
        },
      };
    };

    const report = await runKillLoop({
      seed: SEED,
      check,
      must,
      minKills: MIN_KILLS,
      quotas: MIN_KILLS_IN,
      maxKills: MAX_KILLS,
      deadlineMs: DEADLINE_MS,
      killsPerStore: KILLS_PER_STORE,
      lanes: 2,
      indexCheckEvery: 4,
      durations: { ingest: 5, delete: 5, compact: 25, close: 5, reopen: 30 },
      makeStore,
    });

    for (const m of models)
      for (const [e, effect] of m.effects)
        if (e <= m.epoch) for (const k of Object.keys(totals) as (keyof Effect)[]) totals[k] += effect[k];
    logKillLoop(report, 'crash-branch test', 'children', SEED);
    console.log(`kills by what the operation did: ${JSON.stringify(killedIn)}`);
    console.log(`ids touched by the verified child operations: ${JSON.stringify(totals)}`);
    console.log(`parent sha256 checks: ${parentChecks}`);
    check(
      report.quotaMet,
      () =>
        `kill quotas not met in ${report.kills} kills / ${report.seconds.toFixed(1)} s: ${JSON.stringify(report.counts)}`,
    );
    expect(report.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    // The branch paths were exercised, also under kills.
    for (const k of Object.keys(totals) as (keyof Effect)[]) expect(totals[k], k).toBeGreaterThan(0);
    expect(killedIn['delete hiding inherited ids'] ?? 0).toBeGreaterThanOrEqual(20);
    expect(killedIn['ingest over inherited ids'] ?? 0).toBeGreaterThanOrEqual(20);
  }, 110_000);
});

// ---------------------------------------------------------------- regressions: bugs the kill loop found, fixed

describe('branch bugs found by the crash test', () => {
  /** A parent (ids 0..5, id 3 deleted) and its child, both open. */
  async function parentAndChild(name: string) {
    const dir = join(work.dir, name);
    mkdirSync(dir);
    const parent = await RvfStore.create(join(dir, 'p.rvf'), { dimension: 2 });
    await parent.ingestBatch(
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
      ],
      [0, 1, 2, 3, 4, 5],
    );
    await parent.delete([3]);
    const child = await parent.branch(join(dir, 'c.rvf'));
    return { parent, child };
  }

  /**
   * get() in a child once checked only the own tombstones, not the branch membership, and
   * returned hidden inherited ids: ids the child deleted (also after compact(), which turns a
   * deleted override back into a hidden inherited id) and ids the parent had deleted before
   * the branch. query() and export() hid them; get() must too.
   */
  it('get() in a branch child hides the inherited ids it cannot see', async () => {
    const { parent, child } = await parentAndChild('get-hidden');
    try {
      await child.delete([1]);
      expect((await child.query([1, 1], 10)).map((h) => h.id)).not.toContain(1);
      expect(child.get(1), 'deleted by the child').toBeUndefined();
      expect(child.get(3), 'deleted by the parent before the branch').toBeUndefined();
    } finally {
      await child.close();
      await parent.close();
    }
  });

  /**
   * A child's delete once cleared membership bits at `id >>> 3`, taking an id ≥ 2^32 mod
   * 2^32: deleting 2^40 + 5 (never written) hid the inherited id 5, durably. The kill loop's
   * branch workload deletes such ids too (BRANCH_BIG_ID_BASE in crash/ops.mjs).
   */
  it('deleting an id ≥ 2^32 in a branch child hides no inherited id', async () => {
    const { parent, child } = await parentAndChild('big-id-alias');
    try {
      const res = await child.delete([2 ** 40 + 5]);
      expect(res.deleted).toBe(0);
      expect((await child.query([5, 5], 10)).map((h) => h.id).sort()).toEqual([0, 1, 2, 4, 5]);
      expect(child.status().totalVectors).toBe(5);
    } finally {
      await child.close();
      await parent.close();
    }
  });

  /**
   * compact() on a child once copied every MEMBERSHIP segment the directory lists, the
   * superseded ones too (one per delete that hid an inherited id), so a child that kept
   * deleting grew without bound however often it was compacted. It keeps only the last
   * COW_MAP, MEMBERSHIP and RVFJS_BRANCH_PIN (the ones a reader uses).
   */
  it('compact() of a branch child keeps only its current membership', async () => {
    const { parent, child } = await parentAndChild('membership-leak');
    try {
      for (const id of [0, 1, 2]) await child.delete([id]);
      await child.compact();
      expect(child.segments().filter((s) => s.segType === 'membership')).toHaveLength(1);
    } finally {
      await child.close();
      await parent.close();
    }
    // The membership that stays is the current one: the deleted ids are still hidden.
    const again = await RvfStore.open(child.path, { readOnly: true });
    expect((await again.query([0, 0], 10)).map((h) => h.id).sort()).toEqual([4, 5]);
    await again.close();
  });
});
