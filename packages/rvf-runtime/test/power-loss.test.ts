/**
 * Power loss and disk errors, simulated where SIGKILL cannot reach: a killed process keeps the
 * OS page cache, so the kill tests cannot show that data is fsynced before the manifest that
 * names it. Here every write, fsync, truncation, link, rename, removal and folder sync of a
 * workload (create, ingest, delete, close with a graph save, compaction, freeze with a graph
 * save, branch, a child's edits) goes through PowerLossFileSystem, which keeps what a power
 * cut would leave: only fsynced bytes, only names whose folder was fsynced.
 *
 * 1. The power is cut at every call in turn. What survives must open, and hold exactly the
 *    state after the last acknowledged operation or after the one in flight: no acknowledged
 *    commit lost, nothing unacknowledged half-visible.
 * 2. Every call in turn fails instead (EIO; ENOSPC for writes). The operation either succeeds
 *    (the failure was in tidying up) or rejects with a typed RvfError, and then neither the
 *    store in memory nor the file, reopened, shows any of it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RvfError } from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { rng, tempDir } from './helpers.js';
import { PowerLossFileSystem } from './power-loss/power-loss-fs.js';

const work = tempDir('rvfjs-power-loss-');
afterAll(() => work.cleanup());

// Graphs are built on the event loop and saved only by close() and freeze(), at fixed points
// of the workload, so that call n is the same call in every run.
const WORKERS_ENV = 'RVF_DISABLE_WORKERS';
const savedWorkersEnv = process.env[WORKERS_ENV];
process.env[WORKERS_ENV] = '1'; // before the first run below, at import
afterAll(() => {
  if (savedWorkersEnv === undefined) delete process.env[WORKERS_ENV];
  else process.env[WORKERS_ENV] = savedWorkersEnv;
});

const DIM = 4;
/** Low, so the stores keep and save an HNSW graph. */
const THRESHOLD = 8;
type State = Map<number, number[]>;
const vec = (id: number, version: number) => [id, version, id / 2, 1];

interface Run {
  fs: PowerLossFileSystem;
  dir: string;
  p?: RvfStore;
  c?: RvfStore;
}

interface Step {
  name: string;
  run(r: Run): Promise<void>;
  /** The states of the parent and the child after the step (undefined: no file yet). */
  p: (before: State | undefined) => State | undefined;
  c: (before: State | undefined, p: State | undefined) => State | undefined;
}

function put(s: State | undefined, ids: number[], version: number): State {
  const out = new Map(s);
  for (const id of ids) out.set(id, vec(id, version));
  return out;
}
function drop(s: State | undefined, ids: number[]): State {
  const out = new Map(s);
  for (const id of ids) out.delete(id);
  return out;
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const flat = (ids: number[], version: number) => new Float32Array(ids.flatMap((id) => vec(id, version)));
const same = (s: State | undefined) => s;
const opts = (r: Run) => ({ fileSystem: r.fs, indexThreshold: THRESHOLD, lock: { staleSameHostMs: 0 } });

const FROZEN_PARENT: Step[] = [
  {
    name: 'create',
    run: async (r) => {
      r.p = await RvfStore.create(join(r.dir, 'p.rvf'), { dimension: DIM, ...opts(r) });
    },
    p: () => new Map(),
    c: same,
  },
  {
    name: 'ingest 0..19',
    run: async (r) => void (await r.p!.ingestBatch(flat(range(0, 20), 1), range(0, 20))),
    p: (s) => put(s, range(0, 20), 1),
    c: same,
  },
  {
    name: 'ingest 10..29 (10..19 rewritten)',
    run: async (r) => void (await r.p!.ingestBatch(flat(range(10, 30), 2), range(10, 30))),
    p: (s) => put(s, range(10, 30), 2),
    c: same,
  },
  {
    name: 'delete 0..4',
    run: async (r) => void (await r.p!.delete(range(0, 5))),
    p: (s) => drop(s, range(0, 5)),
    c: same,
  },
  {
    name: 'close (saves the graph)',
    run: async (r) => {
      await r.p!.close();
      r.p = undefined;
    },
    p: same,
    c: same,
  },
  {
    name: 'open',
    run: async (r) => {
      r.p = await RvfStore.open(join(r.dir, 'p.rvf'), opts(r));
    },
    p: same,
    c: same,
  },
  {
    name: 'compact',
    run: async (r) => void (await r.p!.compact()),
    p: same,
    c: same,
  },
  {
    name: 'ingest 30..34',
    run: async (r) => void (await r.p!.ingestBatch(flat(range(30, 35), 3), range(30, 35))),
    p: (s) => put(s, range(30, 35), 3),
    c: same,
  },
  // Rounds of writes, each closed and reopened (a graph save at each close).
  ...[0, 1, 2].flatMap((round): Step[] => {
    const ids = range(40 + 10 * round, 50 + 10 * round);
    return [
      {
        name: `round ${round}: ingest ${ids[0]}..${ids.at(-1)}`,
        run: async (r) => void (await r.p!.ingestBatch(flat(ids, 10 + round), ids)),
        p: (s) => put(s, ids, 10 + round),
        c: same,
      },
      {
        name: `round ${round}: delete ${ids[0]}, ${ids[1]}`,
        run: async (r) => void (await r.p!.delete(ids.slice(0, 2))),
        p: (s) => drop(s, ids.slice(0, 2)),
        c: same,
      },
      {
        name: `round ${round}: close and reopen`,
        run: async (r) => {
          await r.p!.close();
          r.p = await RvfStore.open(join(r.dir, 'p.rvf'), opts(r));
        },
        p: same,
        c: same,
      },
    ];
  }),
  {
    name: 'compact again',
    run: async (r) => void (await r.p!.compact()),
    p: same,
    c: same,
  },
  {
    name: 'freeze (saves the graph)',
    run: async (r) => void (await r.p!.freeze()),
    p: same,
    c: same,
  },
  {
    name: 'branch',
    run: async (r) => {
      r.c = await r.p!.branch(join(r.dir, 'c.rvf'));
    },
    p: same,
    c: (_, p) => new Map(p),
  },
  {
    name: 'child: ingest 5 and 40',
    run: async (r) => void (await r.c!.ingestBatch(flat([5, 40], 4), [5, 40])),
    p: same,
    c: (s) => put(s, [5, 40], 4),
  },
  {
    name: 'child: delete 10',
    run: async (r) => void (await r.c!.delete([10])),
    p: same,
    c: (s) => drop(s, [10]),
  },
  {
    name: 'close both',
    run: async (r) => {
      await r.c!.close();
      await r.p!.close();
      r.c = undefined;
      r.p = undefined;
    },
    p: same,
    c: same,
  },
];

/** A parent branched while it is still written to: the child count and a due graph save go in with the branch. */
const LIVE_PARENT: Step[] = [
  FROZEN_PARENT[0]!, // create
  ...[0, 1, 2].map(
    (b): Step => ({
      name: `ingest ${10 * b}..${10 * b + 9}`,
      run: async (r) =>
        void (await r.p!.ingestBatch(flat(range(10 * b, 10 * b + 10), 1), range(10 * b, 10 * b + 10))),
      p: (s) => put(s, range(10 * b, 10 * b + 10), 1),
      c: same,
    }),
  ),
  {
    name: 'delete 5..9',
    run: async (r) => void (await r.p!.delete(range(5, 10))),
    p: (s) => drop(s, range(5, 10)),
    c: same,
  },
  {
    name: 'close (saves the graph) and reopen',
    run: async (r) => {
      await r.p!.close();
      r.p = await RvfStore.open(join(r.dir, 'p.rvf'), opts(r));
    },
    p: same,
    c: same,
  },
  {
    name: 'ingest 30..49 (into the loaded graph)',
    run: async (r) => void (await r.p!.ingestBatch(flat(range(30, 50), 2), range(30, 50))),
    p: (s) => put(s, range(30, 50), 2),
    c: same,
  },
  {
    name: 'branch (the parent records its child)',
    run: async (r) => {
      r.c = await r.p!.branch(join(r.dir, 'c.rvf'));
    },
    p: same,
    c: (_, p) => new Map(p),
  },
  {
    name: 'child: ingest 0, 1, 60',
    run: async (r) => void (await r.c!.ingestBatch(flat([0, 1, 60], 3), [0, 1, 60])),
    p: same,
    c: (s) => put(s, [0, 1, 60], 3),
  },
  {
    name: 'child: delete 20',
    run: async (r) => void (await r.c!.delete([20])),
    p: same,
    c: (s) => drop(s, [20]),
  },
  {
    name: 'child: compact',
    run: async (r) => void (await r.c!.compact()),
    p: same,
    c: same,
  },
  {
    name: 'parent: ingest 50..54 after the branch',
    run: async (r) => void (await r.p!.ingestBatch(flat(range(50, 55), 4), range(50, 55))),
    p: (s) => put(s, range(50, 55), 4),
    c: same,
  },
  {
    name: 'parent: delete 30',
    run: async (r) => void (await r.p!.delete([30])),
    p: (s) => drop(s, [30]),
    c: same,
  },
  {
    name: 'child: close and reopen',
    run: async (r) => {
      await r.c!.close();
      r.c = await RvfStore.open(join(r.dir, 'c.rvf'), opts(r));
    },
    p: same,
    c: same,
  },
  {
    name: 'child: ingest 61..69',
    run: async (r) => void (await r.c!.ingestBatch(flat(range(61, 70), 5), range(61, 70))),
    p: same,
    c: (s) => put(s, range(61, 70), 5),
  },
  {
    name: 'child: delete 61',
    run: async (r) => void (await r.c!.delete([61])),
    p: same,
    c: (s) => drop(s, [61]),
  },
  {
    name: 'parent: close and reopen',
    run: async (r) => {
      await r.p!.close();
      r.p = await RvfStore.open(join(r.dir, 'p.rvf'), opts(r));
    },
    p: same,
    c: same,
  },
  {
    name: 'parent: ingest 55..64',
    run: async (r) => void (await r.p!.ingestBatch(flat(range(55, 65), 5), range(55, 65))),
    p: (s) => put(s, range(55, 65), 5),
    c: same,
  },
  FROZEN_PARENT[FROZEN_PARENT.length - 1]!, // close both
];

/** Many small commits on one store: each a cut point at every one of its calls. */
const SMALL_COMMITS: Step[] = [
  FROZEN_PARENT[0]!, // create
  ...range(0, 8).map(
    (b): Step => ({
      name: `ingest ${3 * b}..${3 * b + 2}`,
      run: async (r) =>
        void (await r.p!.ingestBatch(flat(range(3 * b, 3 * b + 3), b), range(3 * b, 3 * b + 3))),
      p: (s) => put(s, range(3 * b, 3 * b + 3), b),
      c: same,
    }),
  ),
  ...[1, 7, 13, 19].map(
    (id): Step => ({
      name: `delete ${id}`,
      run: async (r) => void (await r.p!.delete([id])),
      p: (s) => drop(s, [id]),
      c: same,
    }),
  ),
  {
    name: 'close (saves the graph)',
    run: async (r) => {
      await r.p!.close();
      r.p = undefined;
    },
    p: same,
    c: same,
  },
];

type Models = { p: State | undefined; c: State | undefined }[];

/** The parent's and child's states after each step (index 0: before any). */
function modelsOf(steps: Step[]): Models {
  const out: Models = [{ p: undefined, c: undefined }];
  for (const step of steps) {
    const prev = out[out.length - 1]!;
    const p = step.p(prev.p);
    out.push({ p, c: step.c(prev.c, p) });
  }
  return out;
}

async function stateOf(store: RvfStore): Promise<State> {
  const out: State = new Map();
  for await (const line of store.export()) {
    const rec = JSON.parse(line) as { id: number; vector: number[] };
    out.set(Number(rec.id), rec.vector);
  }
  return out;
}

async function stateOfFile(path: string): Promise<State> {
  const s = await RvfStore.open(path, { readOnly: true });
  try {
    return await stateOf(s);
  } finally {
    await s.close();
  }
}

const show = (s: State | undefined) =>
  s === undefined
    ? 'no file'
    : [...s.keys()]
        .sort((a, b) => a - b)
        .map((id) => `${id}:${s.get(id)![1]}`)
        .join(',');

let runNo = 0;
function newRun(): Run {
  const dir = join(work.dir, `run${runNo++}`);
  mkdirSync(dir);
  return { fs: new PowerLossFileSystem(), dir };
}

async function closeQuietly(r: Run): Promise<void> {
  await r.c?.close().catch(() => undefined);
  await r.p?.close().catch(() => undefined);
}

/** Runs the workload until a step fails; returns how many steps were acknowledged. */
async function runWorkload(r: Run, steps: Step[]): Promise<{ acked: number; error?: unknown }> {
  for (let i = 0; i < steps.length; i++) {
    try {
      await steps[i]!.run(r);
    } catch (error) {
      return { acked: i, error };
    }
    // A step that finished after the power went did not finish, as far as anyone could see.
    if (r.fs.dead) return { acked: i };
  }
  return { acked: steps.length };
}

/** Each workload's changing calls in a run without faults (the same in every run). */
async function callsOf(steps: Step[]): Promise<number> {
  const r = newRun();
  const { acked, error } = await runWorkload(r, steps);
  if (acked !== steps.length) throw new Error(`the workload fails without any fault: ${String(error)}`);
  return r.fs.calls.length;
}

const WORKLOADS = [
  { name: 'frozen parent', steps: FROZEN_PARENT },
  { name: 'live parent', steps: LIVE_PARENT },
  { name: 'small commits', steps: SMALL_COMMITS },
].map((w) => ({ ...w, models: modelsOf(w.steps) }));
const CALLS = new Map<string, number>();
for (const w of WORKLOADS) CALLS.set(w.name, await callsOf(w.steps));
const TOTAL_CALLS = [...CALLS.values()].reduce((a, b) => a + b, 0);

describe('power loss (only fsynced bytes and names survive)', () => {
  it(`the workloads make ${TOTAL_CALLS} changing calls, each a cut point (≥ 200)`, () => {
    expect(TOTAL_CALLS).toBeGreaterThanOrEqual(200);
  });

  it.each(WORKLOADS)(
    '$name: a cut at any call loses no acknowledged commit and shows nothing half-done',
    async ({ name, steps, models }) => {
      const calls = CALLS.get(name)!;
      const outcomes = { atAcked: 0, atInFlight: 0 };
      for (let cut = 1; cut <= calls; cut++) {
        const r = newRun();
        r.fs.cutAt = cut;
        const { acked } = await runWorkload(r, steps);
        await closeQuietly(r);
        const before = models[acked]!;
        const inFlight = models[Math.min(acked + 1, steps.length)]!;
        // Twice: only what was fsynced, and that plus a random part of what was not (the disk
        // may flush unsynced writes in any order before the power goes).
        const rand = rng(cut);
        const variants = [
          ['synced only', undefined],
          ['with some unsynced writes', () => rand() < 0.5],
        ] as const;
        for (const [variant, keep] of variants) {
          const survived = join(r.dir, variant === 'synced only' ? 'after' : 'after-some');
          const names = r.fs.materialize(r.dir, survived, keep);
          const label = `cut at call ${cut} (${r.fs.calls[cut - 1]}), ${variant}, during step ${acked} '${steps[acked]?.name ?? 'none'}'`;
          for (const [file, key] of [
            ['p.rvf', 'p'],
            ['c.rvf', 'c'],
          ] as const) {
            const got = names.includes(file) ? await stateOfFile(join(survived, file)) : undefined;
            const ok = [before[key], inFlight[key]].map(show).includes(show(got));
            expect(
              ok,
              `${label}: ${file} is [${show(got)}], expected [${show(before[key])}] or [${show(inFlight[key])}]`,
            ).toBe(true);
            if (show(got) === show(before[key])) outcomes.atAcked++;
            else outcomes.atInFlight++;
          }
        }
      }
      console.log(`${name}: ${calls} cut points, file states ${JSON.stringify(outcomes)}`);
    },
    300_000,
  );
});

describe('disk errors (every call fails once: EIO, or ENOSPC for writes)', () => {
  it.each(WORKLOADS)(
    '$name: an operation succeeds or rejects with a typed RvfError, and then memory and file show none of it',
    async ({ name, steps, models }) => {
      const calls = CALLS.get(name)!;
      const outcomes = { rejected: 0, succeeded: 0 };
      for (let failAt = 1; failAt <= calls; failAt++) {
        const r = newRun();
        r.fs.failAt = failAt;
        r.fs.failure = { code: failAt % 2 === 0 ? 'ENOSPC' : 'EIO' };
        const { acked, error } = await runWorkload(r, steps);
        const label = `failure at call ${failAt} (${r.fs.calls[failAt - 1] ?? '?'}), step ${acked} '${steps[acked]?.name ?? 'none'}'`;
        if (acked === steps.length) {
          outcomes.succeeded++;
        } else {
          outcomes.rejected++;
          expect(error, `${label}: ${String(error)}`).toBeInstanceOf(RvfError);
          // Memory: the handles still open show the state before the step.
          const want = models[acked]!;
          if (r.p) expect(show(await stateOf(r.p)), `${label}: parent in memory`).toBe(show(want.p));
          if (r.c) expect(show(await stateOf(r.c)), `${label}: child in memory`).toBe(show(want.c));
          if (steps[acked]!.name.startsWith('freeze'))
            expect(r.p?.frozen, `${label}: frozen in memory`).toBe(false);
        }
        await closeQuietly(r);
        // The files, reopened: the state after the last step that succeeded.
        const want = models[acked]!;
        for (const [file, key] of [
          ['p.rvf', 'p'],
          ['c.rvf', 'c'],
        ] as const) {
          const path = join(r.dir, file);
          const got = existsSync(path) ? await stateOfFile(path) : undefined;
          expect(show(got), `${label}: ${file} reopened`).toBe(show(want[key]));
        }
      }
      console.log(`${name}: disk errors ${JSON.stringify(outcomes)} of ${calls} injected failures`);
      expect(outcomes.rejected).toBeGreaterThan(calls / 2);
    },
    300_000,
  );
});
