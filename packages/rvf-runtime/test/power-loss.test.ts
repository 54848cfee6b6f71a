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

type Who = 'p' | 'c';
const handle = (r: Run, who: Who) => (who === 'p' ? r.p! : r.c!);
const label = (who: Who, what: string) => (who === 'c' ? `child: ${what}` : what);
const only = (who: Who, target: Who, change: (s: State | undefined) => State) =>
  who === target ? change : same;

/** Ingests `ids` (as `version`) into the parent or the child. */
const ingest = (who: Who, ids: number[], version: number, name = `ingest ${ids.join(',')}`): Step => ({
  name: label(who, name),
  run: async (r) => void (await handle(r, who).ingestBatch(flat(ids, version), ids)),
  p: only(who, 'p', (s) => put(s, ids, version)),
  c: only(who, 'c', (s) => put(s, ids, version)),
});
const remove = (who: Who, ids: number[]): Step => ({
  name: label(who, `delete ${ids.join(',')}`),
  run: async (r) => void (await handle(r, who).delete(ids)),
  p: only(who, 'p', (s) => drop(s, ids)),
  c: only(who, 'c', (s) => drop(s, ids)),
});
/** close() (which saves the graph) and, unless `stay`, a read-write open again. */
const reopen = (who: Who, stay = false): Step => ({
  name: label(who, stay ? 'close (saves the graph)' : 'close (saves the graph) and reopen'),
  run: async (r) => {
    await handle(r, who).close();
    const next = stay ? undefined : await RvfStore.open(join(r.dir, `${who}.rvf`), opts(r));
    if (who === 'p') r.p = next;
    else r.c = next;
  },
  p: same,
  c: same,
});
const compact = (who: Who): Step => ({
  name: label(who, 'compact'),
  run: async (r) => void (await handle(r, who).compact()),
  p: same,
  c: same,
});
const create: Step = {
  name: 'create',
  run: async (r) => {
    r.p = await RvfStore.create(join(r.dir, 'p.rvf'), { dimension: DIM, ...opts(r) });
  },
  p: () => new Map(),
  c: same,
};
const branch: Step = {
  name: 'branch',
  run: async (r) => {
    r.c = await r.p!.branch(join(r.dir, 'c.rvf'));
  },
  p: same,
  c: (_, p) => new Map(p),
};
const closeBoth: Step = {
  name: 'close both',
  run: async (r) => {
    await r.c!.close();
    await r.p!.close();
    r.c = undefined;
    r.p = undefined;
  },
  p: same,
  c: same,
};

/** A parent written, reopened, compacted, frozen (saving its graph with the freeze) and branched. */
const FROZEN_PARENT: Step[] = [
  create,
  ingest('p', range(0, 20), 1),
  ingest('p', range(10, 30), 2, 'ingest 10..29 (10..19 rewritten)'),
  remove('p', range(0, 5)),
  reopen('p'),
  compact('p'),
  ingest('p', range(30, 35), 3),
  // Rounds of writes, each closed and reopened (a graph save at each close).
  ...[0, 1, 2].flatMap((round) => {
    const ids = range(40 + 10 * round, 50 + 10 * round);
    return [ingest('p', ids, 10 + round), remove('p', ids.slice(0, 2)), reopen('p')];
  }),
  compact('p'),
  {
    name: 'freeze (saves the graph)',
    run: async (r) => void (await r.p!.freeze()),
    p: same,
    c: same,
  },
  branch,
  ingest('c', [5, 40], 4),
  remove('c', [10]),
  closeBoth,
];

/** A parent branched while it is still written to: the child count and a due graph save go in with the branch. */
const LIVE_PARENT: Step[] = [
  create,
  ...[0, 1, 2].map((b) => ingest('p', range(10 * b, 10 * b + 10), 1)),
  remove('p', range(5, 10)),
  reopen('p'),
  ingest('p', range(30, 50), 2, 'ingest 30..49 (into the loaded graph)'),
  branch,
  ingest('c', [0, 1, 60], 3),
  remove('c', [20]),
  compact('c'),
  ingest('p', range(50, 55), 4, 'ingest 50..54 after the branch'),
  remove('p', [30]),
  reopen('c'),
  ingest('c', range(61, 70), 5),
  remove('c', [61]),
  reopen('p'),
  ingest('p', range(55, 65), 5),
  closeBoth,
];

/** Many small commits on one store: each a cut point at every one of its calls. */
const SMALL_COMMITS: Step[] = [
  create,
  ...range(0, 8).map((b) => ingest('p', range(3 * b, 3 * b + 3), b)),
  ...[1, 7, 13, 19].map((id) => remove('p', [id])),
  reopen('p', true),
];

/** The store files a workload makes, and which model each follows. */
const FILES = [
  ['p.rvf', 'p'],
  ['c.rvf', 'c'],
] as const;

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
          for (const [file, key] of FILES) {
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
        for (const [file, key] of FILES) {
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
