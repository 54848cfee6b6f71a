/**
 * What a SIGKILL in the middle of RvfStore.branch() leaves behind.
 *
 * branch() appends a bookkeeping commit to the parent (one more child, so compact() refuses)
 * while it takes the child's lock and opens the child's private temp file; the child is
 * written under the temp name and hard-linked into place only once the parent's record is
 * written. A child process (crash/branching.mjs, running the BUILT package) opens one parent
 * and branches c0, c1, ... from it until it is killed: at a random moment from the start,
 * or (mostly) aimed into branch() of c<N> by the line the child prints before calling it.
 * After each kill:
 *  - the parent opens read-write and answers exactly as before any kill;
 *  - every child the process reported opens and answers the same;
 *  - the child in flight is absent or complete (publish is atomic), the next one absent;
 *  - the parent recorded every child that exists, and at most one more (the one in flight),
 *    so compact() refuses whenever a child exists;
 *  - the dead writer's lock and temp file never block branching to the in-flight path again.
 * The parent's record is then reset (compact({ force: true })) so the next round starts from
 * no children. Build first: `pnpm build` in packages/rvf-runtime (RVF_CRASH_DIST=<index.js>
 * runs the child on another build). A failure prints RVF_CRASH_SEED, which replays the kill
 * plans (timing allowing) and keeps the files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError, SegmentType } from '@rvfjs/types';
import { bytesSource, decodeStatePayload, findLatestManifest, readSegmentAt } from '@rvfjs/wire';
import { describe, expect, it } from 'vitest';
import { type FilterInput, RvfStore } from '../src/index.js';
import {
  afterMs,
  type Check,
  crashTestSetup,
  type Durations,
  killByPlan,
  type Must,
  startChild,
} from './crash/harness.js';
import { hash } from './crash/ops.mjs';
import { bruteForce, randomVectors, rng } from './helpers.js';

const SEED = Number(process.env.RVF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const KILLS = 30;
/** At least this many kills must land with a child in flight, or the test proves little. */
const MIN_IN_FLIGHT = 8;
const DIM = 8;
const COUNT = 1500;
const K = 10;
/** Fixed data (the seed only drives the kills), so the brute-force check is deterministic. */
const DATA_SEED = 0x5eed;
const vectors = randomVectors(COUNT, DIM, DATA_SEED);
const ids = Array.from({ length: COUNT }, (_, i) => i);
const groupOf = (id: number) => (id % 3 === 0 ? 'a' : 'b');
const queries = Array.from({ length: 5 }, (_, i) => randomVectors(1, DIM, DATA_SEED + 1 + i));
const FILTER: FilterInput = { op: 'eq', field: 'group', value: 'a' };
const EXACT = { plan: 'exact', includeMetadata: false } as const;
/** Test-side opens build no graph in the background: every check uses the exact engine. */
const NO_INDEX = { indexThreshold: Number.MAX_SAFE_INTEGER };
const RW = { lock: { staleSameHostMs: 0 }, ...NO_INDEX };

type Hits = { id: number; distance: number }[];
/** The exact top K of every query, then the filtered top K of the first query. */
type Answers = Hits[];

const setup = crashTestSetup('crash-branching', SEED);
const work = setup.work;
const check: Check = setup.check;
const must: Must = setup.must;

async function answersOf(s: RvfStore): Promise<Answers> {
  const raw = [];
  for (const q of queries) raw.push(await s.query(q, K, EXACT));
  raw.push(await s.query(queries[0]!, K, { ...EXACT, filter: FILTER }));
  return raw.map((hits) => hits.map((h) => ({ id: Number(h.id), distance: h.distance })));
}

/** Where two answers differ (same ids in the same order, distances to f32 precision), or undefined. */
function differ(got: Answers, want: Answers): string | undefined {
  for (const [i, w] of want.entries()) {
    const g = got[i] ?? [];
    const same =
      g.length === w.length &&
      g.every(
        (h, r) =>
          h.id === w[r]!.id && Math.abs(h.distance - w[r]!.distance) <= 1e-5 * Math.max(1, w[r]!.distance),
      );
    if (!same) return `answer ${i}: [${g.map((h) => h.id)}], expected [${w.map((h) => h.id)}]`;
  }
  return undefined;
}

/** The parent's persisted child count, read from its file as a reader would (last RVFJS_STATE). */
async function branchCountOf(path: string): Promise<number> {
  const source = bytesSource(new Uint8Array(readFileSync(path)));
  const { manifest } = await findLatestManifest(source);
  const states = manifest.directory.filter((e) => e.segType === SegmentType.RvfjsState);
  const last = states.at(-1);
  return last ? decodeStatePayload((await readSegmentAt(source, last)).payload).branchCount : 0;
}

describe('crash safety of branch() under SIGKILL', () => {
  it(`a kill during branch() never damages the parent and never publishes a half child (${KILLS} kills)`, async () => {
    const started = performance.now();
    const r = rng(hash(SEED, 0xb7a4c1));
    const parentPath = join(work.dir, 'parent.rvf');
    {
      const s = await RvfStore.create(parentPath, { dimension: DIM, metric: 'l2' });
      await s.ingestBatch(
        vectors,
        ids,
        ids.map((id) => ({ group: groupOf(id) })),
      );
      await s.close();
    }
    // The expected answers, from the parent before any kill, and checked by brute force.
    const expected = await (async () => {
      const s = await RvfStore.open(parentPath, { readOnly: true, ...NO_INDEX });
      try {
        return await answersOf(s);
      } finally {
        await s.close();
      }
    })();
    const independent: Answers = [
      ...queries.map((q) => bruteForce(vectors, ids, DIM, 'l2', q, K)),
      bruteForce(vectors, ids, DIM, 'l2', queries[0]!, K, (id) => groupOf(id) === 'a'),
    ];
    expect(differ(expected, independent)).toBeUndefined();
    expect(expected.every((hits) => hits.length === K)).toBe(true);

    /** Opens a child read-only and compares its answers with the parent's. */
    const checkChild = async (path: string, where: () => string) => {
      const c = await must(RvfStore.open(path, { readOnly: true, ...NO_INDEX }), () => `${where()}: open`);
      try {
        const st = c.status();
        check(st.totalVectors === COUNT, () => `${where()}: ${st.totalVectors} vectors`);
        const d = differ(await answersOf(c), expected);
        check(d === undefined, () => `${where()}: ${d}`);
      } finally {
        await c.close();
      }
    };

    // The harness's step timings are for writer children; this child prints none of them.
    const durations: Durations = { ingest: 5, delete: 5, compact: 25, close: 5, reopen: 20 };
    /** Running estimates of branch() here (ms): the first of a process is cold and slower. */
    const branchMs = { first: 15, later: 5 };
    const outcomes = { idle: 0, unpublished: 0, published: 0 };
    /** In-flight kills after which the parent had recorded the child / some file of it was left. */
    let recordedInFlight = 0;
    let traced = 0;
    let rebranched = 0;
    for (let k = 0; k < KILLS; k++) {
      const where = () => `branch kill ${k}`;
      const dir = join(work.dir, `round${k}`);
      mkdirSync(dir);
      // branch() only appends to the parent: what it held before must stay byte for byte.
      const parentBefore = readFileSync(parentPath);
      // Spawned only now: the child opens the parent read-write, which the checks below hold.
      const child = startChild('branching.mjs', [parentPath, dir]);
      // A fifth of the kills at a random moment from the start (as the create test does);
      // the rest aimed into branch() of c<target>, a random fraction of its expected
      // duration after the child announced it, a third of them into its last part (the
      // publish). Timing noise still carries some past the call, into close() (which is
      // slow for the first child or two of a process).
      const target = r() < 0.2 ? undefined : r() < 0.3 ? 0 : 1 + Math.floor(r() * 3);
      const frac = r() < 1 / 3 ? 0.7 + r() * 0.3 : r();
      const startupMs = target === undefined ? r() * 20 : 10_000; // the latter only a fallback
      const exited = killByPlan(child, { mode: 'startup', delayMs: startupMs }, durations);
      let began = 0;
      // Replaces the harness's line hook (its step timings do not apply here).
      child.onLine = (line, at) => {
        const [word, num] = line.split(' ');
        const i = Number(num);
        const key = i === 0 ? 'first' : 'later';
        if (word === 'branching') {
          began = at;
          if (i === target) afterMs(frac * branchMs[key], () => child.kill());
        } else if (word === 'branched') {
          branchMs[key] = branchMs[key] * 0.8 + Math.min(at - began, 200) * 0.2;
        }
      };
      const exit = await exited;
      check(
        exit.signal === 'SIGKILL',
        () => `${where()}: the child exited by itself (${exit.code}): ${child.stderr}`,
      );
      check(
        child.lines.every((l, j) => l === `${j % 2 === 0 ? 'branching' : 'branched'} ${j >> 1}`),
        () => `${where()}: unexpected output ${child.lines.join(' | ')}`,
      );
      // c0 .. c<n-1> were reported; c<n> was in flight if the child announced it.
      const n = child.lines.length >> 1;
      const wasInFlight = child.lines.length % 2 === 1;
      const reported = Array.from({ length: n }, (_, i) => i);
      const inFlight = join(dir, `c${n}.rvf`);
      // No child beyond the one in flight was ever made.
      const names = readdirSync(dir);
      const ahead = names.filter((f) => /^c\d+\.rvf$/.test(f) && Number(f.slice(1, -4)) > n);
      check(ahead.length === 0, () => `${where()}: the child ran ahead: ${ahead}`);
      const traces = names.filter((f) => f.startsWith(`c${n}.rvf.`));

      // The file as the kill left it: an append to what it was, recording how many children.
      const parentAfter = readFileSync(parentPath);
      check(
        parentAfter.length >= parentBefore.length &&
          parentAfter.subarray(0, parentBefore.length).equals(parentBefore),
        () =>
          `${where()}: the parent's existing bytes changed (${parentBefore.length} → ${parentAfter.length} bytes)`,
      );
      const recorded = await must(branchCountOf(parentPath), () => `${where()}: reading the parent`);
      // a. The parent opens read-write (breaking the dead writer's lock, fencing any torn
      // record) and answers as before.
      const parent = await must(RvfStore.open(parentPath, RW), () => `${where()}: parent open`);
      try {
        const d = differ(await answersOf(parent), expected);
        check(d === undefined, () => `${where()}: the parent answers differently: ${d}`);
        check(parent.status().totalVectors === COUNT, () => `${where()}: parent lost vectors`);

        // b. Every reported child opens (through its pin into the parent) and answers the same.
        for (const i of reported) await checkChild(join(dir, `c${i}.rvf`), () => `${where()}: c${i}.rvf`);

        // c. The child in flight is absent, or complete.
        const published = existsSync(inFlight);
        if (published) await checkChild(inFlight, () => `${where()}: in-flight c${n}.rvf`);
        const children = n + (published ? 1 : 0);

        // d. Every existing child was recorded first; only the one in flight may be recorded
        // without a file (killed after the record, before the link).
        check(
          recorded >= children && recorded <= n + 1,
          () => `${where()}: the parent records ${recorded} children, ${children} exist (${n} reported)`,
        );
        if (children > 0) {
          const err = await parent.compact().then(
            () => undefined,
            (e: unknown) => e,
          );
          check(
            RvfError.is(err, ErrorCode.LineageBroken) && /branch child/.test(err.message),
            () =>
              `${where()}: compact() of a parent with ${children} children was not refused: ${String(err)}`,
          );
        }
        // Nothing of c<n> exists unless branch() of it had begun.
        check(
          wasInFlight || (!published && recorded === n && traces.length === 0),
          () => `${where()}: c${n} left traces (${recorded} recorded, ${traces}) but was never begun`,
        );
        if (!wasInFlight) outcomes.idle++;
        else if (published) outcomes.published++;
        else outcomes.unpublished++;
        if (recorded > n) recordedInFlight++;
        if (traces.length > 0) traced++;

        // The dead writer's lock and temp file never block branching to the in-flight path.
        if (!published) {
          const again = await must(
            parent.branch(inFlight, { lock: { staleSameHostMs: 0 } }),
            () => `${where()}: branching to c${n}.rvf again (left: ${traces.join(', ') || 'nothing'})`,
          );
          await again.close();
          await checkChild(inFlight, () => `${where()}: c${n}.rvf branched again`);
          rebranched++;
        }

        // Back to no children, so the next round's compact() check means something.
        if ((await branchCountOf(parentPath)) > 0) await parent.compact({ force: true });
      } finally {
        await parent.close();
      }
      check(
        (await branchCountOf(parentPath)) === 0,
        () => `${where()}: compact({ force: true }) left a child count`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const inFlight = outcomes.unpublished + outcomes.published;
    console.log(
      `branch kills: ${JSON.stringify(outcomes)}; of ${inFlight} with a child in flight, ${recordedInFlight} were recorded ` +
        `by the parent and ${traced} left a lock or temp file; ${rebranched} paths branched again; ` +
        `branch() ~${branchMs.first.toFixed(1)} ms first, ~${branchMs.later.toFixed(1)} ms later; ${seconds.toFixed(1)} s`,
    );
    check(
      inFlight >= MIN_IN_FLIGHT,
      () => `only ${inFlight} of ${KILLS} kills landed with a child in flight: ${JSON.stringify(outcomes)}`,
    );
  }, 60_000);
});
