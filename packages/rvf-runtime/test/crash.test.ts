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
 * pwrite would leave). Build first: `pnpm build` in packages/rvf-runtime
 * (RVF_CRASH_DIST=<path to an index.js> runs the children on another build).
 *
 * The only nondeterminism is where the kills land; a failure prints RVF_CRASH_SEED, which
 * replays the same workloads (and, timing allowing, the same kill plans) and keeps the files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, promises, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { bytesSource, findLatestManifest, walkSegments } from '@rvfjs/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import {
  BIG_ID_BASE,
  BIG_ID_SPACE,
  DIMENSION,
  hash,
  ID_SPACE,
  Model,
  type OpKind,
  opKind,
  reopensAfter,
} from './crash/ops.mjs';
import { rng, tempDir } from './helpers.js';

const SEED = Number(process.env.RVF_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CRASH_DIR = fileURLToPath(new URL('./crash/', import.meta.url));
/** The children run the built package; RVF_CRASH_DIST points them at another build. */
const DIST = process.env.RVF_CRASH_DIST ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SRC = fileURLToPath(new URL('../src/', import.meta.url));

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

const work = tempDir('rvfjs-crash-');
let failed = false;
afterAll(() => {
  if (failed) console.log(`crash test files kept in ${work.dir}`);
  else work.cleanup();
});

beforeAll(() => {
  if (!existsSync(DIST))
    throw new Error(`${DIST} is missing: run \`pnpm build\` in packages/rvf-runtime first`);
  const built = statSync(DIST).mtimeMs;
  const newer = readdirSync(SRC).filter((f) => statSync(join(SRC, f)).mtimeMs > built);
  if (newer.length > 0)
    console.warn(`crash test: dist is older than src/${newer.join(', src/')}; the children run dist`);
  console.log(`crash test seed: RVF_CRASH_SEED=${SEED}`);
});

/** Fails with the seed (and keeps the files) so the run can be replayed. */
function check(ok: boolean, what: () => string): asserts ok {
  if (!ok) {
    failed = true;
    throw new Error(`${what()} [RVF_CRASH_SEED=${SEED}]`);
  }
}

/** Awaits `p`; an error (say, the store no longer opens) fails like a check, with the seed. */
async function must<T>(p: Promise<T>, what: () => string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    check(false, () => `${what()}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------- child processes

class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  onLine: ((text: string, at: number) => void) | undefined;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private markReady: () => void = () => undefined;
  /** Resolves once the child has loaded the package and waits for `go()`. */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(script: string, args: string[]) {
    this.proc = spawn(process.execPath, [join(CRASH_DIR, script), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      const at = performance.now();
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (text === 'ready') {
          this.markReady();
          continue;
        }
        this.lines.push(text);
        this.onLine?.(text, at);
      }
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.proc.stdin!.on('error', () => undefined); // EPIPE when it is already gone
    this.closed = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Lets the child start its work once it is ready (so timings start there, not in Node's startup). */
  async go(): Promise<void> {
    await Promise.race([this.ready, this.closed]);
    this.proc.stdin!.write('go\n');
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

const liveChildren = new Set<Child>();
afterAll(async () => {
  for (const c of liveChildren) c.kill();
  await Promise.all([...liveChildren].map((c) => c.closed));
});

function startChild(script: string, args: string[]): Child {
  const c = new Child(script, args);
  liveChildren.add(c);
  void c.closed.then(() => liveChildren.delete(c));
  return c;
}

/** setTimeout for whole milliseconds, a spin for the sub-millisecond rest. */
function afterMs(ms: number, fn: () => void): void {
  const until = performance.now() + ms;
  const spin = () => {
    while (performance.now() < until) {
      /* sub-millisecond wait */
    }
    fn();
  };
  if (ms >= 1) setTimeout(spin, Math.floor(ms));
  else spin();
}

// ---------------------------------------------------------------- the writer's life

/** What a writer was doing when it was killed: an operation, its close, its reopen, or its first open. */
type Kind = OpKind | 'close' | 'reopen' | 'open';

/** What comes after an output line of the writer. */
function nextAfter(line: string): Kind | undefined {
  const [word, num] = line.split(' ');
  const e = Number(num);
  if (word === 'open') return opKind(e + 1);
  if (word === 'committed') return reopensAfter(e) ? 'close' : opKind(e + 1);
  return word === 'closed' ? 'reopen' : undefined;
}

interface Life {
  /** The first `open`: the epoch it found and the file size after its fencing. */
  opened?: { epoch: number; size: number };
  /** The last epoch it printed (its open's, if it committed nothing). */
  last: number;
  /** The file end after the last printed line, when known: what the killed step wrote starts there. */
  lastEnd: number | undefined;
  inFlight: Kind;
}

/** Reads a killed writer's output; every line must follow from the one before. */
function lifeOf(lines: string[], startEpoch: number, where: () => string): Life {
  const life: Life = { last: startEpoch, lastEnd: undefined, inFlight: 'open' };
  for (const line of lines) {
    const [word, a, b] = line.split(' ');
    const e = Number(a);
    if (word === 'open') {
      check(e === life.last, () => `${where()}: the writer opened at epoch ${e} after epoch ${life.last}`);
      life.opened ??= { epoch: e, size: Number(b) };
      life.lastEnd = Number(b);
    } else if (word === 'committed') {
      check(e === life.last + 1, () => `${where()}: '${line}' after epoch ${life.last}`);
      life.last = e;
      life.lastEnd = Number(b);
    } else {
      check(word === 'closed' && e === life.last, () => `${where()}: unexpected output '${line}'`);
      life.lastEnd = undefined; // close() may have appended its graph
    }
    life.inFlight = nextAfter(line)!;
  }
  return life;
}

// ---------------------------------------------------------------- kill plans

type Plan =
  | { mode: 'startup'; delayMs: number } // from `go`: lands in the open, lock, load or fencing
  | { mode: 'random'; delayMs: number } // 5–120 ms after the open
  | { mode: 'target'; kind: OpKind | 'close'; frac: number }; // a fraction into the next step of that kind

/** Running estimates of how long each step takes here (ms), from the writers' output. */
const durations: Record<Exclude<Kind, 'open'>, number> = {
  ingest: 5,
  delete: 5,
  compact: 25,
  close: 5,
  reopen: 20,
};

function pickPlan(r: () => number, counts: Record<string, number>): Plan {
  const x = r();
  if (x < 0.05) return { mode: 'startup', delayMs: r() * 25 };
  if (x < 0.25) return { mode: 'random', delayMs: 5 + r() * 115 };
  if (x < 0.3) return { mode: 'target', kind: 'close', frac: r() };
  // Aim at the operations furthest below their quota.
  const need = (k: OpKind) => Math.max(0.15, 1 - (counts[k] ?? 0) / MIN_KILLS_IN[k]);
  const w = { ingest: need('ingest'), delete: need('delete') * 1.3, compact: need('compact') };
  const y = r() * (w.ingest + w.delete + w.compact);
  const kind: OpKind = y < w.ingest ? 'ingest' : y < w.ingest + w.delete ? 'delete' : 'compact';
  return { mode: 'target', kind, frac: r() * 1.15 };
}

/** Lets the child run until the plan kills it; resolves once it is gone. */
function killByPlan(
  child: Child,
  plan: Plan,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let fired = false;
  const fire = () => {
    if (!fired) {
      fired = true;
      child.kill();
    }
  };
  let prev: { line: string; at: number } | undefined;
  let armed = false;
  child.onLine = (line, at) => {
    if (prev) {
      const step = nextAfter(prev.line);
      if (step && step !== 'open')
        durations[step] = durations[step] * 0.9 + Math.min(at - prev.at, 300) * 0.1;
    }
    prev = { line, at };
    if (line.startsWith('open') && plan.mode === 'random' && !armed) {
      armed = true;
      afterMs(plan.delayMs, fire);
    }
    if (plan.mode === 'target' && !armed && nextAfter(line) === plan.kind) {
      armed = true;
      const span = plan.kind === 'close' ? durations.close + durations.reopen : durations[plan.kind];
      afterMs(plan.frac * span, fire);
    }
  };
  // A child that never gets going is killed anyway (and then fails the exit check).
  const guard = setTimeout(fire, 20_000);
  void child.go().then(() => {
    if (plan.mode === 'startup') afterMs(plan.delayMs, fire);
  });
  return child.closed.finally(() => clearTimeout(guard));
}

// ---------------------------------------------------------------- the oracle

const f64Distance = (a: readonly number[], q: Float32Array) => {
  let s = 0;
  for (let d = 0; d < DIMENSION; d++) s += (a[d]! - q[d]!) * (a[d]! - q[d]!);
  return s;
};
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

/**
 * k-NN against brute force on the model: the same distances rank by rank, every hit live
 * at its model distance, and nothing the model ranks clearly inside the top k missing
 * (ties within f32 rounding may come in either order). `approximate` (an HNSW answer)
 * only requires distinct live hits at their true distances, in order.
 */
function knnProblems(
  got: { id: unknown; distance: number }[],
  model: Model,
  q: Float32Array,
  k: number,
  keep: (meta: { tag: string } | undefined) => boolean,
  approximate = false,
): string[] {
  const all: { id: number; distance: number }[] = [];
  for (const [id, e] of model.live)
    if (keep(e.metadata)) all.push({ id, distance: f64Distance(e.vector, q) });
  all.sort((a, b) => a.distance - b.distance || a.id - b.id);
  const want = all.slice(0, k);
  const out: string[] = [];
  const what = `${approximate ? 'hnsw ' : ''}query k=${k}`;
  if (approximate ? got.length > want.length : got.length !== want.length) {
    return [`${what}: ${got.length} hits, brute force has ${want.length}`];
  }
  const ids = new Set(got.map((h) => Number(h.id)));
  if (ids.size !== got.length) out.push(`${what}: duplicate ids`);
  got.forEach((h, i) => {
    const e = model.live.get(Number(h.id));
    if (!e || !keep(e.metadata))
      out.push(`${what}: hit ${String(h.id)} is not live (or not matching) in the model`);
    else if (!near(h.distance, f64Distance(e.vector, q)))
      out.push(`${what}: distance of ${String(h.id)} is ${h.distance}`);
    if (approximate) {
      if (i > 0 && h.distance < got[i - 1]!.distance) out.push(`${what}: hits out of order at rank ${i}`);
    } else if (!near(h.distance, want[i]!.distance)) {
      out.push(`${what}: rank ${i} at ${h.distance}, brute force ${want[i]!.distance}`);
    }
  });
  const kth = want.at(-1)?.distance ?? 0;
  if (!approximate) {
    for (const w of want)
      if (w.distance < kth && !near(w.distance, kth) && !ids.has(w.id)) out.push(`${what}: misses ${w.id}`);
  }
  return out;
}

/** Opens the store read-only and compares everything visible with the model at its epoch. */
async function verifyAgainstModel(
  path: string,
  model: Model,
  r: () => number,
  withIndex: boolean,
): Promise<{ epoch: number; problems: string[] }> {
  const s = await RvfStore.open(path, { readOnly: true, ...(withIndex ? { indexThreshold: 128 } : {}) });
  try {
    const st = s.status();
    const epoch = st.currentEpoch;
    if (epoch < model.epoch) return { epoch, problems: [`epoch went back from ${model.epoch} to ${epoch}`] };
    model.advanceTo(epoch);
    const problems: string[] = [];
    if (st.totalVectors !== model.live.size)
      problems.push(`totalVectors ${st.totalVectors}, model ${model.live.size}`);
    if (st.fileSize > MAX_FILE_SIZE) problems.push(`file grew to ${st.fileSize} bytes`);
    for (const [id, want] of model.live) {
      const got = s.get(id);
      if (!got) {
        problems.push(`id ${id} is missing`);
        continue;
      }
      const gotBits = new Uint32Array(got.vector.buffer, got.vector.byteOffset, got.vector.length);
      const wantBits = new Uint32Array(Float32Array.from(want.vector).buffer);
      if (gotBits.length !== DIMENSION || gotBits.some((b, d) => b !== wantBits[d])) {
        problems.push(`id ${id}: vector ${[...got.vector]} is not ${want.vector}`);
      }
      if (!isDeepStrictEqual(got.metadata, want.metadata)) {
        problems.push(
          `id ${id}: metadata ${JSON.stringify(got.metadata)} is not ${JSON.stringify(want.metadata)}`,
        );
      }
    }
    for (let i = 0; i < ID_SPACE + BIG_ID_SPACE; i++) {
      const id = i < ID_SPACE ? i : BIG_ID_BASE + i - ID_SPACE;
      if (!model.live.has(id) && s.get(id) !== undefined)
        problems.push(`id ${id} is visible but deleted or never written`);
    }
    const qs = [0, 1, 2].map(() => Float32Array.from({ length: DIMENSION }, () => Math.fround(r() * 4 - 2)));
    const exact = { plan: 'exact' } as const;
    // Everything: exactly the live set.
    const all = await s.query(qs[0]!, model.live.size + 5, { ...exact, includeMetadata: false });
    problems.push(...knnProblems(all, model, qs[0]!, model.live.size + 5, () => true));
    for (const q of qs) problems.push(...knnProblems(await s.query(q, 10, exact), model, q, 10, () => true));
    const tagged = await s.query(qs[1]!, 10, { ...exact, filter: { op: 'eq', field: 'tag', value: 'a' } });
    problems.push(...knnProblems(tagged, model, qs[1]!, 10, (m) => m?.tag === 'a'));
    if (withIndex) {
      // The graph (a saved one caught up, or rebuilt) never serves dead or stale vectors.
      await s.waitForIndex();
      for (const q of qs) {
        problems.push(...knnProblems(await s.query(q, 10, { plan: 'hnsw' }), model, q, 10, () => true, true));
      }
    }
    const w = await s.verifyWitness();
    // One witness per operation, one chain across reopens and compactions.
    if (!w.valid) problems.push(`witness chain broken at ${JSON.stringify(w.firstBroken)}`);
    if (w.entries !== epoch || w.chains !== (epoch > 0 ? 1 : 0)) {
      problems.push(`witness: ${w.entries} entries in ${w.chains} chains at epoch ${epoch}`);
    }
    return { epoch, problems: problems.slice(0, 20) };
  } finally {
    await s.close();
  }
}

interface Tail {
  epoch: number;
  manifestOffset: number;
  manifestEnd: number;
  /** Bytes after the last valid manifest. */
  tail: number;
  /** ... and whether they are anything but complete, hash-valid segments. */
  torn: boolean;
}

async function tailOf(bytes: Uint8Array): Promise<Tail> {
  const found = await findLatestManifest(bytesSource(bytes));
  const tail = bytes.subarray(found.end);
  return {
    epoch: found.manifest.epoch,
    manifestOffset: found.offset,
    manifestEnd: found.end,
    tail: tail.length,
    torn: !(await completeSegments(tail)),
  };
}

/** True when `bytes` is a run of complete, hash-valid segments (the only thing fencing may keep). */
async function completeSegments(bytes: Uint8Array): Promise<boolean> {
  let at = 0;
  for await (const item of walkSegments(bytesSource(bytes), { verifyHashes: true })) {
    if (item.kind !== 'segment' || item.offset !== at || item.hash === 'mismatch') return false;
    at += 64 + item.header.payloadLength;
  }
  return at === bytes.length;
}

// ---------------------------------------------------------------- the tests

interface KindStats {
  kills: number;
  /** The operation committed but the kill came before it was printed (E = last + 1). */
  committedUnprinted: number;
  /** The kill left bytes after the last manifest (orphan or torn segments). */
  tailLeft: number;
  /** ... of which something was torn: not complete, hash-valid segments (in practice only
   *  after a cut by the test that no writer has fenced yet: SIGKILL alone never tore one). */
  torn: number;
  /** A compaction's temp file was left behind. */
  compactTmp: number;
  /** The test then cut what the killed step wrote short (an emulated torn write), inside its data... */
  cutData: number;
  /** ... or inside its manifest (the store then falls back to the previous one). */
  cutManifest: number;
}

describe('crash safety under SIGKILL', () => {
  it(`recovers the exact model state after ≥ ${MIN_KILLS} kills mid-ingest, mid-delete and mid-compaction`, async () => {
    const t0 = performance.now();
    const stats = new Map<Kind, KindStats>();
    const counts: Record<string, number> = {};
    const fence = { reopened: 0, cutBytes: 0, keptBytes: 0 };
    let kills = 0;
    let stores = 0;
    const goOn = () => kills < MAX_KILLS && performance.now() - t0 < DEADLINE_MS;
    const quotaMet = () =>
      kills >= MIN_KILLS &&
      (Object.keys(MIN_KILLS_IN) as OpKind[]).every((k) => (counts[k] ?? 0) >= MIN_KILLS_IN[k]);

    const lane = async (laneNo: number) => {
      while (!quotaMet() && goOn()) {
        const storeNo = stores++;
        const seed = hash(SEED, storeNo);
        const r = rng(hash(SEED, storeNo, 1));
        const path = join(work.dir, `store${storeNo}.rvf`);
        await (
          await RvfStore.create(path, { dimension: DIMENSION, metric: 'l2', m: 8, efConstruction: 40 })
        ).close();
        const model = new Model(seed);
        let bytes = readFileSync(path);
        let tail = await tailOf(bytes);
        let tmpIno = -1;
        let next = startChild('writer.mjs', [path, String(seed)]);
        for (let k = 0; k < KILLS_PER_STORE && !quotaMet() && goOn(); k++) {
          const where = () => `lane ${laneNo}, store ${storeNo} (seed ${seed}), kill ${k}`;
          const child = next;
          const plan = pickPlan(r, counts);
          const killed = killByPlan(child, plan);
          // The next writer starts up now, so Node's startup overlaps this crash and its check.
          next = startChild('writer.mjs', [path, String(seed)]);
          const exit = await killed;
          check(
            exit.signal === 'SIGKILL',
            () => `${where()}: the writer exited by itself (${exit.code}): ${child.stderr}`,
          );
          const life = lifeOf(child.lines, model.epoch, where);
          const { last, inFlight } = life;

          if (life.opened) {
            // Its open after the previous crash saw the same epoch and fenced the tail: it
            // kept only complete segments after the last manifest. (Fencing only truncates,
            // so what it kept is a prefix of the file as that crash left it.)
            const { size } = life.opened;
            const kept = size - tail.manifestEnd;
            check(
              kept >= 0 &&
                size <= tail.manifestEnd + tail.tail &&
                (kept === 0 || (await completeSegments(bytes.subarray(tail.manifestEnd, size)))),
              () =>
                `${where()}: after fencing the file is ${size} bytes; the manifest ends at ${tail.manifestEnd}, the file was ${tail.manifestEnd + tail.tail}`,
            );
            fence.reopened++;
            fence.cutBytes += tail.manifestEnd + tail.tail - size;
            fence.keptBytes += kept;
          }

          // The kill's aftermath, before anything touches the file again.
          bytes = readFileSync(path);
          const real = await must(tailOf(bytes), () => `${where()}: no valid manifest after the kill`);
          tail = real;
          // SIGKILL does not tear a write this small (Linux copies the whole pwrite into the
          // page cache first), so a kill inside one is emulated: cut what the killed step
          // appended (it starts at the file end the writer last printed) at a random byte,
          // which is what a kill inside its pwrite would leave.
          let cut: 'data' | 'manifest' | undefined;
          const appending = inFlight === 'ingest' || inFlight === 'delete' || inFlight === 'close';
          if (appending && life.lastEnd !== undefined && bytes.length > life.lastEnd + 1 && r() < 0.3) {
            const at = life.lastEnd + 1 + Math.floor(r() * (bytes.length - life.lastEnd - 1));
            cut = real.manifestOffset >= life.lastEnd && at > real.manifestOffset ? 'manifest' : 'data';
            truncateSync(path, at);
            bytes = readFileSync(path);
            tail = await must(tailOf(bytes), () => `${where()}: no valid manifest after cutting at ${at}`);
          }
          const tmp = `${path}.compact.tmp`;
          const tmpNow = existsSync(tmp) ? statSync(tmp).ino : -1;
          const { epoch, problems } = await must(
            verifyAgainstModel(path, model, r, k % INDEX_CHECK_EVERY === 0),
            () => `${where()}: reading the store after the kill (in ${inFlight}) failed`,
          );
          const ran = inFlight !== 'close' && inFlight !== 'reopen' && inFlight !== 'open';
          check(
            epoch >= last && epoch <= last + (ran ? 1 : 0),
            () =>
              `${where()}: recovered epoch ${epoch}, the writer last printed ${last} (killed in ${inFlight}${cut ? `, its ${cut} cut by the test` : ''})`,
          );
          check(
            tail.epoch === epoch,
            () => `${where()}: the tail scan found epoch ${tail.epoch}, the store ${epoch}`,
          );
          check(
            problems.length === 0,
            () => `${where()}: at epoch ${epoch} (killed in ${inFlight}):\n  ${problems.join('\n  ')}`,
          );

          const s = stats.get(inFlight) ?? {
            kills: 0,
            committedUnprinted: 0,
            tailLeft: 0,
            torn: 0,
            compactTmp: 0,
            cutData: 0,
            cutManifest: 0,
          };
          s.kills++;
          if (epoch === last + 1) s.committedUnprinted++;
          if (real.tail > 0) s.tailLeft++;
          if (real.torn) s.torn++;
          if (tmpNow !== -1 && tmpNow !== tmpIno) s.compactTmp++;
          if (cut === 'data') s.cutData++;
          if (cut === 'manifest') s.cutManifest++;
          stats.set(inFlight, s);
          tmpIno = tmpNow;
          counts[inFlight] = (counts[inFlight] ?? 0) + 1;
          kills++;
        }
        next.kill();
        await next.closed;

        // Last, a writer in this process takes the store over (breaking the dead writer's
        // lock), fences it and closes it cleanly; the state is still the model's.
        const rw = await must(
          RvfStore.open(path, { lock: { staleSameHostMs: 0 } }),
          () => `store ${storeNo}: the final reopen failed`,
        );
        check(
          rw.epoch === model.epoch,
          () => `store ${storeNo}: read-write reopen at epoch ${rw.epoch}, not ${model.epoch}`,
        );
        await rw.close();
        check(!existsSync(`${path}.lock`), () => `store ${storeNo}: the lock outlived close()`);
        const final = await must(
          verifyAgainstModel(path, model, r, true),
          () => `store ${storeNo}: the final check failed`,
        );
        check(
          final.problems.length === 0,
          () => `store ${storeNo} after a clean reopen:\n  ${final.problems.join('\n  ')}`,
        );
        check(
          !(await tailOf(readFileSync(path))).torn,
          () => `store ${storeNo}: a torn tail survived a writer's open`,
        );
      }
    };
    await Promise.all([...Array(LANES).keys()].map(lane));

    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `crash test: ${kills} kills over ${stores} stores in ${seconds} s (seed ${SEED}); by the step in flight:`,
    );
    console.table([...stats].map(([inFlight, s]) => ({ inFlight, ...s })));
    console.log(
      `fencing: ${fence.reopened} reopens after a crash cut ${fence.cutBytes} bytes and kept ${fence.keptBytes}; ` +
        `step durations here (ms): ${JSON.stringify(durations, (_, v) => (typeof v === 'number' ? +v.toFixed(1) : v))}`,
    );
    check(
      quotaMet(),
      () => `kill quotas not met in ${kills} kills / ${seconds} s: ${JSON.stringify(counts)}`,
    );
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
  }, 130_000);

  /**
   * What a kill during RvfStore.create leaves at the path being created. The guarantee
   * tested: the path is absent (and so is its lock), or a complete empty store (epoch 0,
   * no vectors, the requested dimension and metric), or a file every open refuses with
   * ManifestNotFound — create() had made the file but not written its first manifest yet
   * (see the next test: today that file also blocks a new create()). Never a half state;
   * every store created before the kill is intact.
   */
  it('a kill during create leaves no file or a complete empty store', async () => {
    const r = rng(hash(SEED, 0xc0ffee));
    const outcomes = { absent: 0, complete: 0, refused: 0 };
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
      const exit = await killByPlan(child, { mode: 'startup', delayMs: 1 + r() * 25 });
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
  }, 60_000);

  /**
   * Known gap (see the report): a writer killed after create() made the file and before its
   * first manifest was written leaves an empty file that open() refuses (ManifestNotFound)
   * and create() refuses too ("already exists"), so the path is dead until removed by hand.
   * The child here is killed at exactly that point. Expected: either the path opens as an
   * empty store, or create() can make it again. Marked `fails` until create() publishes the
   * file atomically; then drop `.fails`.
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
   * Known bug (see the report): breaking the lock a killed writer left behind is
   * check-then-delete. A writer B that read the stale lock, then lost the CPU while writer A
   * broke it and took the lock, goes on to delete A's fresh lock and take its own: two
   * writers append to one file. Here B is this process, held (by a hook on
   * fs.promises.readFile, which lock.ts reads the lock with) right after it read the dead
   * writer's lock; A is a real writer child that breaks the lock and starts committing.
   * Expected: B's open fails with LockHeld. Marked `fails` until the lock break is atomic.
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
