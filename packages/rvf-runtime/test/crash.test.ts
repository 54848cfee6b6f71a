/**
 * Crash safety, tested by killing real writer processes with SIGKILL mid-write.
 *
 * A writer child (crash/writer.mjs, running the BUILT package) runs an endless deterministic
 * workload (crash/ops.mjs): operation n commits epoch n and is a pure function of (seed, n),
 * so the state after any epoch is known to an in-memory model; now and then it closes
 * (persisting its HNSW graph) and reopens. After each kill the file is opened read-only
 * here and must hold exactly the model's state at an epoch E, last printed ≤ E ≤ last
 * printed + 1: the live ids, every vector bit for bit, metadata, k-NN equal to brute force,
 * one unbroken witness per epoch. The next writer then reopens it read-write, which must
 * fence the tail down to complete segments, and continues from there. Kills are aimed, by
 * the child's output, at ingests, deletes, compactions, closes and the reopen itself, until
 * each kind has its quota. SIGKILL does not tear writes this small, so for some kills the
 * test also cuts what the killed step appended at a random byte (what a kill inside its
 * pwrite would leave). The machinery (child processes, kill plans, the oracle, the kill
 * loop) is crash/harness.ts, shared with crash-branch.test.ts. Build first: `pnpm build` in
 * packages/rvf-runtime (RVF_CRASH_DIST=<path to an index.js> runs the children on another build).
 *
 * The only nondeterminism is where the kills land; a failure prints RVF_CRASH_SEED, which
 * replays the same workloads (and, timing allowing, the same kill plans) and keeps the files.
 */
import { existsSync, mkdirSync, promises, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import {
  type Check,
  type Child,
  crashTestSetup,
  type Durations,
  killByPlan,
  logKillLoop,
  type Must,
  runKillLoop,
  startChild,
  type VerifyOptions,
  verifyAgainstModel,
} from './crash/harness.js';
import { BIG_ID_BASE, BIG_ID_SPACE, DIMENSION, hash, ID_SPACE, Model } from './crash/ops.mjs';
import { rng } from './helpers.js';

const SEED = Number(process.env.RVF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Kill quotas (by the operation in flight): the loop runs until all are met. */
const MIN_KILLS = 200;
const MIN_KILLS_IN = { compact: 20, delete: 40, ingest: 40 } as const;
/** The kill loop stops at either limit even if the quotas are not met (which then fails). */
const MAX_KILLS = 600;
const DEADLINE_MS = 100_000;
const KILLS_PER_STORE = 40;
/** Stores worked on concurrently: one lane's writer runs while the other lane checks a crash. */
const LANES = 2;
/** Every how many kills the check also waits for the HNSW graph and queries it. */
const INDEX_CHECK_EVERY = 4;
const MAX_FILE_SIZE = 8 << 20;

const setup = crashTestSetup('crash', SEED);
const work = setup.work;
const check: Check = setup.check;
const must: Must = setup.must;

/** Running estimates of how long each step takes here (ms), from the writers' output. */
const durations: Durations = { ingest: 5, delete: 5, compact: 25, close: 5, reopen: 20 };

/**
 * The root store's checks: every id the workload can name is probed through get(), the
 * default filtered query (tag = 'a', k = 10); no export() listing, and the store's own
 * index threshold when the graph is not checked.
 */
const VERIFY: VerifyOptions = {
  probeIds: Array.from({ length: ID_SPACE + BIG_ID_SPACE }, (_, i) =>
    i < ID_SPACE ? i : BIG_ID_BASE + i - ID_SPACE,
  ),
  maxFileSize: MAX_FILE_SIZE,
  checkExport: false,
  defaultIndexThreshold: true,
};

describe('crash safety under SIGKILL', () => {
  it(`recovers the exact model state after ≥ ${MIN_KILLS} kills mid-ingest, mid-delete and mid-compaction`, async () => {
    const report = await runKillLoop({
      seed: SEED,
      check,
      must,
      minKills: MIN_KILLS,
      quotas: MIN_KILLS_IN,
      maxKills: MAX_KILLS,
      deadlineMs: DEADLINE_MS,
      killsPerStore: KILLS_PER_STORE,
      lanes: LANES,
      indexCheckEvery: INDEX_CHECK_EVERY,
      durations,
      makeStore: async (storeNo, storeSeed) => {
        const path = join(work.dir, `store${storeNo}.rvf`);
        await (
          await RvfStore.create(path, { dimension: DIMENSION, metric: 'l2', m: 8, efConstruction: 40 })
        ).close();
        const model = new Model(storeSeed);
        return {
          path,
          writerArgs: [String(storeSeed)],
          model,
          verify: (r, withIndex) => verifyAgainstModel(path, model, r, withIndex, VERIFY),
        };
      },
    });

    logKillLoop(report, 'crash test', 'stores', SEED);
    check(
      report.quotaMet,
      () =>
        `kill quotas not met in ${report.kills} kills / ${report.seconds.toFixed(1)} s: ${JSON.stringify(report.counts)}`,
    );
    expect(report.kills).toBeGreaterThanOrEqual(MIN_KILLS);
  }, 130_000);

  /**
   * What a kill during RvfStore.create leaves at the path being created. The guarantee
   * tested: the path is absent (a new create() then succeeds, the dead creator's lock and
   * private file notwithstanding), or a complete empty store (epoch 0, no vectors, the
   * requested dimension and metric) that a writer can take over. Never a half state; every
   * store created before the kill is intact. A kill counts as landing mid-create when it left
   * the creator's lock or private file behind, or a published file whose create() had not
   * resolved; enough kills must land there for the test to mean anything.
   */
  it('a kill during create leaves no file or a complete empty store', async () => {
    const r = rng(hash(SEED, 0xc0ffee));
    const outcomes = { absent: 0, complete: 0, refused: 0, midCreate: 0 };
    const refusedSizes = new Set<number>();
    const KILLS = 30;
    const dirFor = (k: number) => {
      const dir = join(work.dir, `create${k}`);
      mkdirSync(dir);
      return dir;
    };
    let nextDir = dirFor(0);
    let next = startChild('create.mjs', [nextDir]);
    for (let k = 0; k < KILLS; k++) {
      const [child, dir] = [next, nextDir];
      const exit = await killByPlan(child, { mode: 'startup', delayMs: 1 + r() * 25 }, durations);
      if (k + 1 < KILLS) {
        nextDir = dirFor(k + 1);
        next = startChild('create.mjs', [nextDir]);
      }
      check(
        exit.signal === 'SIGKILL',
        () => `create kill ${k}: the child exited by itself (${exit.code}): ${child.stderr}`,
      );
      const created = child.lines.map((l) => Number(l.split(' ')[1]));
      check(
        created.every((c, i) => c === i),
        () => `create kill ${k}: unexpected output ${child.lines.join(' | ')}`,
      );
      for (const i of created) {
        const s = await RvfStore.open(join(dir, `c${i}.rvf`), { readOnly: true });
        check(
          s.epoch === 0 && s.status().totalVectors === 0 && s.dimension === DIMENSION,
          () => `create kill ${k}: c${i}.rvf was created but opens at epoch ${s.epoch}`,
        );
        await s.close();
      }
      const path = join(dir, `c${created.length}.rvf`);
      check(
        !existsSync(join(dir, `c${created.length + 1}.rvf`)),
        () => `create kill ${k}: the child ran ahead`,
      );
      // The creator's lock and its private file (<path>.create-<writer id>.tmp), if the kill
      // landed after create() took them; the published path itself, if it landed after that.
      const leftovers = readdirSync(dir).filter((f) => f.startsWith(`c${created.length}.rvf.`));
      if (leftovers.length > 0 || existsSync(path)) outcomes.midCreate++;
      if (!existsSync(path)) {
        // A lock the dead creator left without its file never blocks a new create.
        const again = await RvfStore.create(path, { dimension: DIMENSION });
        await again.close();
        outcomes.absent++;
        continue;
      }
      let opened: RvfStore | undefined;
      try {
        opened = await RvfStore.open(path, { readOnly: true });
      } catch (e) {
        // create() links a complete file into place: a file that exists must open.
        check(false, () => `create kill ${k}: the created path fails to open with ${String(e)}`);
        // A writer refuses it just the same (it breaks the dead creator's lock first).
        const err = await RvfStore.open(path, { lock: { staleSameHostMs: 0 } }).then(
          (s) => s.close().then(() => undefined),
          (e2: unknown) => e2,
        );
        check(
          RvfError.is(err, ErrorCode.ManifestNotFound),
          () => `create kill ${k}: a writer opened the half-created file`,
        );
        outcomes.refused++;
        refusedSizes.add(statSync(path).size);
        continue;
      }
      const st = opened.status();
      const w = await opened.verifyWitness();
      await opened.close();
      check(
        st.currentEpoch === 0 &&
          st.totalVectors === 0 &&
          st.dimension === DIMENSION &&
          st.metric === 'l2' &&
          w.valid &&
          w.entries === 0,
        () => `create kill ${k}: c${created.length}.rvf opens in a half state: ${JSON.stringify(st)}`,
      );
      // And a writer takes it over (the lock of the dead creator is stale) and uses it.
      const rw = await RvfStore.open(path, { lock: { staleSameHostMs: 0 } });
      await rw.ingestBatch([[1, 2, 3, 4, 5, 6, 7, 8]], [1]);
      await rw.close();
      outcomes.complete++;
    }
    console.log(
      `create kills: ${JSON.stringify(outcomes)}${refusedSizes.size ? `; refused files were ${[...refusedSizes].join(', ')} bytes` : ''}`,
    );
    // Most kills land inside a create (each takes a few milliseconds with its fsyncs, and the
    // creator does nothing else); a run where few did tested little.
    expect(outcomes.midCreate).toBeGreaterThanOrEqual(KILLS / 6);
    expect(outcomes.refused).toBe(0);
  }, 60_000);

  /**
   * A creator killed after create() took its lock and private file, and before its first
   * manifest was linked into place, leaves nothing at the path: create() publishes the file
   * whole (a hard link of the complete private file), and a new create() of the same path
   * succeeds. The child here is killed at exactly that point.
   */
  it('a kill between create() making the file and writing its first manifest leaves a usable path', async () => {
    const dir = join(work.dir, 'create-paused');
    mkdirSync(dir);
    const path = join(dir, 'p.rvf');
    const child = startChild('create-paused.mjs', [path]);
    child.onLine = (line) => {
      if (line === 'paused') child.kill();
    };
    await child.go();
    const exit = await child.closed;
    expect(exit.signal, child.stderr).toBe('SIGKILL');
    expect(child.lines).toEqual(['paused']);
    // Nothing is at the path; the dead creator's lock does not block a new create.
    expect(existsSync(path)).toBe(false);
    const usable = await RvfStore.create(path, { dimension: DIMENSION });
    expect(usable.epoch).toBe(0);
    await usable.close();
  });

  /**
   * Breaking the lock a killed writer left behind must be atomic: a writer B that read the
   * stale lock, then lost the CPU while writer A broke it and took the lock, must not delete
   * A's fresh lock and take its own (two writers would append to one file). Here B is this
   * process, held (by a hook on fs.promises.readFile, which lock.ts reads the lock with) right
   * after it read the dead writer's lock; A is a real writer child that breaks the lock and
   * starts committing. B's open fails with LockHeld (lock.ts breaks a lock by compare-and-delete).
   */
  it('writers recovering from a crash still exclude each other (stale-lock break race)', async () => {
    const path = join(work.dir, 'lock-race.rvf');
    const lockPath = `${path}.lock`;
    await (await RvfStore.create(path, { dimension: DIMENSION })).close();
    const waitFor = (c: Child, what: string) =>
      new Promise<void>((resolve, reject) => {
        c.onLine = (line) => line.startsWith(what) && resolve();
        void c.closed.then(() => reject(new Error(`the writer exited before '${what}': ${c.stderr}`)));
      });
    // A real crash leaves the dead writer's lock.
    const dead = startChild('writer.mjs', [path, '1']);
    const deadOpen = waitFor(dead, 'open');
    await dead.go();
    await deadOpen;
    dead.kill();
    await dead.closed;
    expect(existsSync(lockPath)).toBe(true);

    const realReadFile = promises.readFile;
    let reachedGate!: () => void;
    const gateReached = new Promise<string>((resolve) => {
      reachedGate = () => resolve('held');
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    promises.readFile = (async (file: Parameters<typeof realReadFile>[0], ...rest: unknown[]) => {
      const bytes = await (realReadFile as (...a: unknown[]) => Promise<unknown>).call(
        promises,
        file,
        ...rest,
      );
      if (String(file) === lockPath) {
        reachedGate();
        await gate;
      }
      return bytes;
    }) as typeof realReadFile;
    let a: Child | undefined;
    let b: RvfStore | unknown;
    try {
      const opening = RvfStore.open(path, { lock: { staleSameHostMs: 0 } }).then(
        (s) => s,
        (e: unknown) => e,
      );
      const first = await Promise.race([gateReached, opening.then(() => 'settled')]);
      expect(first, 'the hook no longer intercepts the lock read: update this test').toBe('held');
      // A breaks the stale lock and commits.
      a = startChild('writer.mjs', [path, '1']);
      const aCommits = waitFor(a, 'committed');
      await a.go();
      await aCommits;
      release();
      b = await opening;
    } finally {
      release();
      promises.readFile = realReadFile;
      a?.kill();
      await a?.closed;
      if (b instanceof RvfStore) await b.close();
    }
    expect(
      RvfError.is(b, ErrorCode.LockHeld),
      b instanceof RvfStore ? 'a second writer opened the store' : String(b),
    ).toBe(true);
  });
});
